using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Hosting;
using NetScsi.Transport;
using NetScsi.Transport.Tcp;

namespace NetScsi.Functional.Tests.Cli;

/// <summary>Binds the configured portals for real (so port conflicts behave as in production) but serves nothing.</summary>
internal sealed class FakeTargetRunnerFactory : ITargetRunnerFactory
{
    public TaskCompletionSource<FakeTargetRunner> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ServeConfiguration? Configuration { get; private set; }

    public Task<ITargetRunner> CreateAsync(ServeConfiguration configuration, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        Configuration = configuration;
        var targets = configuration.Targets
            .Select(t => new ServedTarget(t.Iqn, t.Alias, t.Luns.Select(l => new ServedLun(l.Number!.Value, l.Kind == LunKind.File ? $"file {l.Path}" : "memory", l.SizeBytes ?? 0, l.BlockSize, l.ReadOnly, l.Removable)).ToList(), t.Chap is not null, t.MutualChap is not null, t.Acls.Count))
            .ToList();
        return Task.FromResult<ITargetRunner>(new FakeTargetRunner(this, configuration.Portals, targets));
    }
}

internal sealed class FakeTargetRunner(FakeTargetRunnerFactory factory, IReadOnlyList<Portal> portals, IReadOnlyList<ServedTarget> targets) : ITargetRunner
{
    private readonly List<Socket> _sockets = new();

    public IReadOnlyList<ServedTarget> Targets => targets;

    public IReadOnlyList<Portal> ListeningPortals => _sockets.ConvertAll(s => (Portal)new TcpPortal((IPEndPoint)s.LocalEndPoint!));

    public bool Stopped { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var portal in portals)
        {
            var endPoint = (IPEndPoint)((TcpPortal)portal).EndPoint;
            var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(endPoint);
                socket.Listen(1);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            _sockets.Add(socket);
        }

        factory.Started.TrySetResult(this);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Stopped = true;
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _sockets.ForEach(s => s.Dispose());
        return ValueTask.CompletedTask;
    }
}
