using System.CommandLine;
using System.Globalization;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Hosting;
using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Initiator.Multipath;

namespace NetScsi.Cli.Initiator;

/// <summary>
/// <c>--path HOST[:PORT]</c> (repeatable) and <c>--path-fail-timeout</c> of <c>read</c>, <c>write</c>, <c>bench</c>
/// and <c>ls</c>: more portals (gateways) of the same target; with any, the command runs over a
/// <see cref="MultipathSession"/> whose first path is the URL's portal.
/// </summary>
internal sealed class PathOptions
{
    private readonly CliContext _context;

    private readonly Option<string[]> _paths = new("--path")
    {
        Description = "Another portal of the same target (repeatable): multipath by ALUA state, failover when a path dies",
        HelpName = "HOST[:PORT]",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private readonly Option<TimeSpan?> _failTimeout = new("--path-fail-timeout")
    {
        Description = "With --path: how long a lost path is re-tried before its commands move to another [default: 5s]",
        HelpName = "DURATION",
        CustomParser = ParseFailTimeout,
    };

    public PathOptions(CliContext context) => _context = context;

    private static TimeSpan? ParseFailTimeout(System.CommandLine.Parsing.ArgumentResult result)
    {
        if (Parsing.DurationParser.TryParse(result.Tokens[^1].Value, out var value, out var error))
        {
            return value;
        }

        result.AddError($"--path-fail-timeout: {error}");
        return null;
    }

    public void AddTo(Command command)
    {
        command.Options.Add(_paths);
        command.Options.Add(_failTimeout);
    }

    /// <summary>Whether the command line names other paths.</summary>
    public bool Any(ParseResult parseResult) => parseResult.GetValue(_paths) is { Length: > 0 };

    /// <summary>Refuses <c>--path</c> for a target that is not an iSCSI LUN (an <c>aoe://</c> device has one address).</summary>
    public void RefuseFor(ParseResult parseResult, string spec)
    {
        if (Any(parseResult))
        {
            throw CliException.Usage($"--path applies to iSCSI LUNs; {spec} is reached at one address");
        }
    }

    /// <summary>One session, or a multipath session over the URL's portal and every <c>--path</c>.</summary>
    public async Task<IScsiBlockIo> ConnectAsync(ParseResult parseResult, ResolvedTarget target, CancellationToken cancellationToken)
    {
        if (!Any(parseResult))
        {
            return await Connections.ConnectAsync(target, cancellationToken, _context.Error).ConfigureAwait(false);
        }

        return await ConnectMultipathAsync(parseResult, target, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A multipath session over the URL's portal and every <c>--path</c> (also with none: one path).</summary>
    public async Task<MultipathSession> ConnectMultipathAsync(ParseResult parseResult, ResolvedTarget target, CancellationToken cancellationToken)
    {
        var list = new List<IscsiSessionOptions> { target.Options };
        foreach (string text in parseResult.GetValue(_paths) ?? [])
        {
            if (target.Options.Connector != CliTransports.Tcp || !CliTransports.Tcp.TryParsePortal(text, IscsiUrl.DefaultPort, out var portal, out string? error))
            {
                throw CliException.Usage($"--path '{text}' is not a HOST[:PORT] portal of an iscsi:// target{(target.Options.Connector == CliTransports.Tcp ? "" : " (multipath is for iSCSI over TCP)")}");
            }

            _ = error;
            IscsiSessionOptions options = target.Options.Clone();
            options.Portal = portal;
            list.Add(options);
        }

        var multipath = new MultipathOptions { NoPathTimeout = target.Options.CommandTimeout };
        if (parseResult.GetValue(_failTimeout) is TimeSpan failTimeout)
        {
            multipath.PathFailTimeout = failTimeout;
        }

        MultipathSession session;
        try
        {
            session = await MultipathSession.ConnectAsync(list, target.Lun, multipath, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not CliException)
        {
            throw InitiatorErrors.Connect(e, target, discovery: false, cancellationToken);
        }

        // One line per failover, with when the first command completed on the new path (tests/ceph/multipath-failover.sh reads it).
        session.FailedOver += failover => _context.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"netscsi: failover from {failover.From} to {failover.To}: first command completed at {failover.FirstCompletedAt.ToUnixTimeMilliseconds() / 1000.0:0.000} (unix s)"));
        return session;
    }

    /// <summary>Logs out and closes a session from <see cref="ConnectAsync"/>.</summary>
    public static Task CloseAsync(IScsiBlockIo io) => CloseAsync(io, report: null);

    /// <summary>Logs out and closes a session from <see cref="ConnectAsync"/>; with <paramref name="report"/>, lists the commands per connection of a session of several.</summary>
    public static async Task CloseAsync(IScsiBlockIo io, TextWriter? report)
    {
        switch (io)
        {
            case IscsiSession session:
                await Connections.CloseAsync(session, report).ConfigureAwait(false);
                break;
            case MultipathSession multipath:
                try
                {
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await multipath.LogoutAsync(cts.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Logged out or not, DisposeAsync closes the connections.
                }

                await multipath.DisposeAsync().ConfigureAwait(false);
                break;
        }
    }
}
