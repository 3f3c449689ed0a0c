using System.Net;
using Microsoft.Extensions.Logging;
using NetScsi.Transport;

namespace NetScsi.Iscsi.Target;

/// <summary>
/// The iSCSI target: accepts connections on its portals, runs login, sessions and the data path,
/// and hands SCSI commands to the logical units of <see cref="IscsiTargetOptions.Targets"/>.
/// </summary>
public sealed partial class IscsiTargetServer
{
    private readonly IscsiTargetOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;
    private readonly List<IDataMoverListener> _listeners = new();

    public IscsiTargetServer(IscsiTargetOptions options, ILoggerFactory loggerFactory, TimeProvider? timeProvider = null)
    {
        _options = options;
        _loggerFactory = loggerFactory;
        _time = timeProvider ?? TimeProvider.System;
    }

    public IscsiTargetOptions Options => _options;

    /// <summary>Where the server listens (after <see cref="StartAsync"/>): TCP portals and added listeners.</summary>
    public IReadOnlyList<EndPoint> ListeningEndPoints => _listeners.ConvertAll(l => l.EndPoint);
}
