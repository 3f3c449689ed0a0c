using System.Globalization;
using NetScsi.Iscsi.Initiator;

namespace NetScsi.Cli.Initiator;

/// <summary>Connect and discover with failures turned into <see cref="Configuration.CliException"/>s that say where and why.</summary>
internal static class Connections
{
    /// <param name="target">Where, and the session options.</param>
    /// <param name="cancellationToken">Cancels the connect and login.</param>
    /// <param name="report">Where to say how many connections the session got, when <c>--connections</c> asked for more than one.</param>
    public static async Task<IscsiSession> ConnectAsync(ResolvedTarget target, CancellationToken cancellationToken, TextWriter? report = null)
    {
        IscsiSession session;
        try
        {
            session = await IscsiSession.ConnectAsync(target.Options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw InitiatorErrors.Connect(e, target, discovery: false, cancellationToken);
        }

        if (report is not null && target.Options.Connections > 1)
        {
            report.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"netscsi: session TSIH {session.Tsih} to {target.Portal}: {session.ConnectionCount} connection(s) (asked {target.Options.Connections}, the target's MaxConnections {session.Parameters.MaxConnections})"));
        }

        return session;
    }

    public static async Task<IReadOnlyList<DiscoveredTarget>> DiscoverAsync(ResolvedTarget portal, CancellationToken cancellationToken)
    {
        try
        {
            var options = portal.Options;
            return await IscsiDiscovery.DiscoverAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw InitiatorErrors.Connect(e, portal, discovery: true, cancellationToken);
        }
    }

    /// <summary>Logs out, ignoring failures: the work is done, and a target that drops the logout should not fail the command.</summary>
    /// <param name="session">The session.</param>
    /// <param name="report">Where to list the commands each connection carried, for a session of several.</param>
    public static async Task CloseAsync(IscsiSession session, TextWriter? report = null)
    {
        long[] issued = session.CommandsIssuedPerConnection();
        if (report is not null && issued.Length > 1)
        {
            report.WriteLine("netscsi: session TSIH " + session.Tsih.ToString(CultureInfo.InvariantCulture) + ": SCSI commands per connection (CID 0, 1, ...): "
                + string.Join(", ", issued.Select(n => n.ToString(CultureInfo.InvariantCulture))));
        }

        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await session.LogoutAsync(cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Logged out or not, the connection is closed by DisposeAsync.
        }

        await session.DisposeAsync().ConfigureAwait(false);
    }
}
