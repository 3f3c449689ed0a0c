using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Control;
using NetScsi.Cli.Parsing;

namespace NetScsi.Cli.Commands;

/// <summary>
/// <c>netscsi target lun|acl|chap|portal|session|saveconfig|reload</c>: change or show a running target through its
/// control socket (docs/operations.md). Exit 0 done, 1 refused by the target (nothing changed), 2 bad command line,
/// 3 control socket unreachable.
/// </summary>
internal sealed class TargetControlCommands
{
    private readonly CliContext _context;

    private readonly Option<string> _socket = new("--control-socket")
    {
        Description = $"The target's control socket (serve --control-socket) [default: {ControlSettings.DefaultSocketPath}]",
        HelpName = "PATH",
        Recursive = true,
    };

    private readonly Option<bool> _json = new("--json")
    {
        Description = "Print the target's answer as JSON",
        Recursive = true,
    };

    private readonly Option<string> _target = new("--target", "-t")
    {
        Description = "The target's IQN [default: the only target served]",
        HelpName = "IQN",
        Recursive = true,
    };

    private readonly Option<bool> _force = new("--force")
    {
        Description = "Remove a LUN that is in use (its commands are aborted), shrink a LUN",
    };

    private readonly Option<bool> _mutual = new("--mutual")
    {
        Description = "The mutual CHAP credentials (what the target answers with) instead of the initiators'",
    };

    private readonly Option<string> _initiator = new("--initiator")
    {
        Description = "One ACL's CHAP credentials instead of the target's",
        HelpName = "NAME",
    };

    public TargetControlCommands(CliContext context) => _context = context;

    public IEnumerable<Command> Create()
    {
        var lunSpec = new Argument<string>("SPEC") { Description = "memory:SIZE[,lun=N,...], file:PATH[,size=SIZE,...] or rbd:POOL/IMAGE (as serve --lun)" };
        var lunNumber = new Argument<int>("LUN") { Description = "LUN number" };
        var size = new Argument<string>("SIZE") { Description = "New size: 2G, 512M, ... or bytes" };
        var lun = new Command("lun", "Add, remove, resize or list the LUNs of a running target");
        lun.Add(Leaf("add", "Add a LUN (initiators get REPORTED LUNS DATA HAS CHANGED)", [lunSpec], p => new() { Command = "lun.add", Spec = p.GetValue(lunSpec) }));
        lun.Add(Leaf("remove", "Remove a LUN; refused while sessions use it unless --force", [lunNumber, _force], p => new() { Command = "lun.remove", Lun = p.GetValue(lunNumber), Force = p.GetValue(_force) }));
        lun.Add(Leaf("resize", "Resize a LUN online (initiators get CAPACITY DATA HAS CHANGED); shrinking needs --force", [lunNumber, size, _force],
            p => new() { Command = "lun.resize", Lun = p.GetValue(lunNumber), Size = p.GetValue(size), Force = p.GetValue(_force) }));
        lun.Add(Leaf("list", "List the LUNs, with the sessions and commands using each", [], _ => new() { Command = "lun.list" }));

        var aclSpec = new Argument<string>("INITIATOR") { Description = "INITIATOR[=LUN,LUN...] (as serve --acl)" };
        var aclName = new Argument<string>("INITIATOR") { Description = "The initiator's iSCSI name" };
        var acl = new Command("acl", "Add, remove or list the initiators allowed to log in");
        acl.Add(Leaf("add", "Allow an initiator (replaces its entry if it has one)", [aclSpec], p => new() { Command = "acl.add", Spec = p.GetValue(aclSpec) }));
        acl.Add(Leaf("remove", "Remove an initiator's entry; its sessions end", [aclName], p => new() { Command = "acl.remove", Initiator = p.GetValue(aclName) }));
        acl.Add(Leaf("list", "List the ACL entries", [], _ => new() { Command = "acl.list" }));

        var credentials = new Argument<string>("USER:SECRET") { Description = "CHAP name and secret (12 to 16 bytes)" };
        var chap = new Command("chap", "Set or clear CHAP for new logins (sessions already logged in go on)");
        chap.Add(Leaf("set", "Require CHAP with these credentials", [credentials, _mutual, _initiator],
            p => new() { Command = "chap.set", Spec = p.GetValue(credentials), Mutual = p.GetValue(_mutual), Initiator = p.GetValue(_initiator) }));
        chap.Add(Leaf("clear", "Stop requiring CHAP", [_mutual, _initiator], p => new() { Command = "chap.clear", Mutual = p.GetValue(_mutual), Initiator = p.GetValue(_initiator) }));

        var portalArg = new Argument<string>("ADDR:PORT") { Description = "Portal (as serve --listen)" };
        var portal = new Command("portal", "Add, remove or list the portals the target listens on");
        portal.Add(Leaf("add", "Listen on one more portal", [portalArg], p => new() { Command = "portal.add", Spec = p.GetValue(portalArg) }));
        portal.Add(Leaf("remove", "Stop listening on a portal (its sessions go on)", [portalArg], p => new() { Command = "portal.remove", Spec = p.GetValue(portalArg) }));
        portal.Add(Leaf("list", "List the portals", [], _ => new() { Command = "portal.list" }));

        var tsih = new Argument<int>("TSIH") { Description = "The session's TSIH (session list)" };
        var session = new Command("session", "List or drop the target's sessions");
        session.Add(Leaf("list", "List sessions: initiator, ISID/TSIH, portal, digests, negotiated parameters, commands in flight", [], _ => new() { Command = "session.list" }));
        session.Add(Leaf("drop", "End a session (its connection closes)", [tsih], p => new() { Command = "session.drop", Tsih = p.GetValue(tsih) }));

        var file = new Argument<string?>("FILE") { Description = "Where to write [default: serve's --config file]", Arity = ArgumentArity.ZeroOrOne };
        var save = Leaf("saveconfig", "Write the running state as a JSON config file (serve --config of it reproduces it)", [file],
            p => new() { Command = "saveconfig", File = p.GetValue(file) is { } f ? Path.GetFullPath(f) : null });
        var reload = Leaf("reload", "Re-read serve's --config file and apply the difference (as SIGHUP does)", [_force], p => new() { Command = "reload", Force = p.GetValue(_force) });
        return [lun, acl, chap, portal, session, save, reload];
    }

    private Command Leaf(string name, string description, Symbol[] symbols, Func<ParseResult, ControlRequest> request)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Argument argument: command.Add(argument); break;
                case Option option: command.Add(option); break;
            }
        }

        command.Add(_socket);
        command.Add(_json);
        command.Add(_target);
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, request(parseResult), cancellationToken));
        return command;
    }

    private async Task<int> RunAsync(ParseResult parseResult, ControlRequest request, CancellationToken cancellationToken)
    {
        request.Target = parseResult.GetValue(_target);
        ControlResponse response;
        try
        {
            response = await ControlClient.SendAsync(parseResult.GetValue(_socket) ?? ControlSettings.DefaultSocketPath, request, cancellationToken).ConfigureAwait(false);
        }
        catch (CliException e)
        {
            await _context.Error.WriteLineAsync($"netscsi: error: {e.Message}").ConfigureAwait(false);
            return e.ExitCode;
        }

        if (parseResult.GetValue(_json))
        {
            await _context.Output.WriteLineAsync(JsonSerializer.Serialize(response, ControlJsonContext.Default.ControlResponse)).ConfigureAwait(false);
            return response.Ok ? ExitCodes.Success : ExitCodes.RuntimeFailure;
        }

        if (!response.Ok)
        {
            await _context.Error.WriteLineAsync($"netscsi: error: {response.Error}").ConfigureAwait(false);
            return ExitCodes.RuntimeFailure;
        }

        await WriteAsync(_context.Output, response).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private static async Task WriteAsync(TextWriter output, ControlResponse response)
    {
        var c = CultureInfo.InvariantCulture;
        foreach (var change in response.Changes ?? [])
        {
            await output.WriteLineAsync(change).ConfigureAwait(false);
        }

        if (response.Luns is { } luns)
        {
            await output.WriteLineAsync(string.Format(c, "{0,-40} {1,5} {2,10} {3,6} {4,-3} {5,8} {6,8}  {7}", "TARGET", "LUN", "SIZE", "BLOCK", "RO", "SESSIONS", "COMMANDS", "BACKING")).ConfigureAwait(false);
            foreach (var l in luns)
            {
                await output.WriteLineAsync(string.Format(c, "{0,-40} {1,5} {2,10} {3,6} {4,-3} {5,8} {6,8}  {7}",
                    l.Target, l.Lun, ByteSizeParser.Format(l.SizeBytes), l.BlockSize, l.ReadOnly ? "yes" : "no", l.Sessions, l.CommandsInFlight, l.Backing)).ConfigureAwait(false);
            }
        }

        if (response.Acls is { } acls)
        {
            if (acls.Count == 0)
            {
                await output.WriteLineAsync("no ACL: every initiator may log in and sees every LUN").ConfigureAwait(false);
            }

            foreach (var a in acls)
            {
                await output.WriteLineAsync($"{a.Target}  {a.Initiator}  luns={(a.Luns is null ? "all" : string.Join(',', a.Luns))}{(a.Chap ? "  chap" : "")}").ConfigureAwait(false);
            }
        }

        foreach (var portal in response.Portals ?? [])
        {
            await output.WriteLineAsync(portal).ConfigureAwait(false);
        }

        if (response.Sessions is { } sessions)
        {
            if (sessions.Count == 0)
            {
                await output.WriteLineAsync("no sessions").ConfigureAwait(false);
            }

            foreach (var s in sessions)
            {
                await output.WriteLineAsync(string.Format(c, "TSIH {0}  ISID {1}  {2} -> {3}  via {4} from {5}  connections {6}  digests header={7} data={8}  in flight {9}  luns {10}",
                    s.Tsih, s.Isid, s.Initiator, s.Target, s.Portal, s.Remote, s.Connections, s.HeaderDigest ? "CRC32C" : "None", s.DataDigest ? "CRC32C" : "None",
                    s.CommandsInFlight, string.Join(',', s.Luns))).ConfigureAwait(false);
                await output.WriteLineAsync("  " + string.Join(" ", s.Negotiated.Select(k => $"{k.Key}={k.Value}"))).ConfigureAwait(false);
            }
        }
    }
}
