using System.Globalization;
using Microsoft.Extensions.Logging;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Hosting;
using NetScsi.Cli.Parsing;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Target;
using NetScsi.Scsi.Storage;
using NetScsi.Transport;

namespace NetScsi.Cli.Control;

/// <summary>
/// The control plane of a running target, without any socket: every change (one command, or a reload) is a
/// desired configuration that is validated whole, then applied as the difference from the running one. Steps that
/// can fail (opening a store, resizing, binding a portal) run first and are undone if a later one fails; only then
/// is the new state published (LUN and ACL sets copy-on-write), so a change is applied whole or not at all. One
/// change at a time; each is logged.
/// </summary>
internal sealed partial class TargetController
{
    /// <summary>How long a forced LUN removal waits for the commands it aborts.</summary>
    private static readonly TimeSpan AbortWait = TimeSpan.FromSeconds(5);

    private readonly IscsiTargetServer _server;
    private readonly BuiltTarget _built;
    private readonly Func<ServeConfiguration>? _reloadSource;
    private readonly string? _configPath;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ServeConfiguration _running;

    /// <param name="running">What the target was started with (LUN numbers assigned).</param>
    /// <param name="reloadSource">Re-reads the config file (and the flags on top of it); null when serve had no --config.</param>
    /// <param name="configPath">The --config file: saveconfig's default destination.</param>
    public TargetController(IscsiTargetServer server, BuiltTarget built, ServeConfiguration running, Func<ServeConfiguration>? reloadSource, string? configPath, ILoggerFactory loggerFactory)
    {
        _server = server;
        _built = built;
        _running = ConfigFileWriter.Clone(running);
        _reloadSource = reloadSource;
        _configPath = configPath;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("NetScsi.Control");
        foreach (var live in built.Luns)
        {
            // The running model holds what is served: sizes as the devices have them.
            var target = _running.Targets.Find(t => t.Iqn == live.Target)!;
            var config = target.Luns.Find(l => l.Number == live.Config.Number)!;
            int index = target.Luns.IndexOf(config);
            target.Luns[index] = live.Config;
        }
    }

    /// <summary>A copy of the running configuration (what saveconfig writes).</summary>
    public ServeConfiguration Running => ConfigFileWriter.Clone(_running);

    /// <summary>Once the server listens: a TCP portal configured with port 0 becomes the port it bound (what saveconfig writes).</summary>
    public void OnStarted()
    {
        var bound = _server.ListeningPortals;
        if (bound.Count != _running.Portals.Count)
        {
            return;
        }

        for (int i = 0; i < bound.Count; i++)
        {
            if (_running.Portals[i] is NetScsi.Transport.Tcp.TcpPortal { Port: 0 } && bound[i] is NetScsi.Transport.Tcp.TcpPortal)
            {
                _running.Portals[i] = bound[i];
            }
        }
    }

    public async Task<ControlResponse> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await DispatchAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (CliException e)
        {
            LogRefused(_logger, request.Command ?? "(none)", e.Message);
            return ControlResponse.Refused(e.Message);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<ControlResponse> DispatchAsync(ControlRequest r, CancellationToken cancellationToken)
    {
        switch (r.Command)
        {
            case "lun.list":
                return new ControlResponse { Ok = true, Luns = ListLuns(r.Target) };
            case "acl.list":
                return new ControlResponse { Ok = true, Acls = ListAcls(r.Target) };
            case "portal.list":
                return new ControlResponse { Ok = true, Portals = _server.ListeningPortals.Select(PortalParser.Format).ToList() };
            case "session.list":
                return new ControlResponse { Ok = true, Sessions = ListSessions(r.Target) };
            case "session.drop":
            {
                int tsih = r.Tsih ?? throw CliException.Usage("session drop: give the session's TSIH (netscsi target session list)");
                if (tsih is < 1 or > ushort.MaxValue || !_server.DropSession((ushort)tsih))
                {
                    throw CliException.Usage($"session drop: no session with TSIH {tsih}");
                }

                LogChanged(_logger, "session drop", $"session {tsih} dropped");
                return new ControlResponse { Ok = true, Changes = [$"session {tsih} dropped"] };
            }
            case "saveconfig":
            {
                var file = r.File ?? _configPath ?? throw CliException.Usage("saveconfig: give a FILE (serve has no --config file to write to)");
                try
                {
                    ConfigFileWriter.Save(_running, file);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw CliException.Runtime($"saveconfig: cannot write '{file}': {UserMessages.Of(e)}", e);
                }

                LogChanged(_logger, "saveconfig", Path.GetFullPath(file));
                return new ControlResponse { Ok = true, Changes = [$"running configuration written to {Path.GetFullPath(file)}"] };
            }
            case "reload":
            {
                if (_reloadSource is null)
                {
                    throw CliException.Usage("reload: serve was started without --config; there is no file to re-read");
                }

                return await ApplyAsync(_reloadSource(), r.Force, "reload", cancellationToken).ConfigureAwait(false);
            }
        }

        var desired = ConfigFileWriter.Clone(_running);
        var target = FindTarget(desired, r.Target);
        string what;
        switch (r.Command)
        {
            case "lun.add":
            {
                if (!LunSpecParser.TryParse(r.Spec ?? "", out var lun, out var error))
                {
                    throw CliException.Usage($"lun add: {error}");
                }

                lun.Number ??= r.Lun ?? Enumerable.Range(0, LunSpecParser.MaxLunNumber + 1).First(n => !target.Luns.Exists(l => l.Number == n));
                target.Luns.Add(lun);
                what = $"lun add {lun.Number} {r.Spec}";
                break;
            }
            case "lun.remove":
            {
                var lun = FindLun(target, r.Lun, "lun remove");
                target.Luns.Remove(lun);
                what = $"lun remove {lun.Number}";
                break;
            }
            case "lun.resize":
            {
                var lun = FindLun(target, r.Lun, "lun resize");
                if (!ByteSizeParser.TryParse(r.Size ?? "", out var size, out var error))
                {
                    throw CliException.Usage($"lun resize: {error}");
                }

                if (lun.Kind == LunKind.Rbd)
                {
                    throw CliException.Usage($"lun resize: lun {lun.Number} is an rbd image; resize the image with rbd resize");
                }

                lun.SizeBytes = size;
                what = $"lun resize {lun.Number} {r.Size}";
                break;
            }
            case "acl.add":
            {
                if (!AclSpecParser.TryParse(r.Spec ?? "", out var acl, out var error))
                {
                    throw CliException.Usage($"acl add: {error}");
                }

                target.Acls.RemoveAll(a => string.Equals(a.InitiatorName, acl.InitiatorName, StringComparison.OrdinalIgnoreCase));
                target.Acls.Add(acl);
                what = $"acl add {r.Spec}";
                break;
            }
            case "acl.remove":
            {
                var name = r.Initiator ?? r.Spec ?? throw CliException.Usage("acl remove: give the initiator name");
                if (target.Acls.RemoveAll(a => string.Equals(a.InitiatorName, name, StringComparison.OrdinalIgnoreCase)) == 0)
                {
                    throw CliException.Usage($"acl remove: target {target.Iqn} has no ACL for '{name}'");
                }

                what = $"acl remove {name}";
                break;
            }
            case "chap.set":
            case "chap.clear":
            {
                ChapConfig? chap = null;
                if (r.Command == "chap.set" && !ChapParser.TryParse(r.Spec ?? "", "chap set", out chap, out var error))
                {
                    throw CliException.Usage(error);
                }

                if (r.Initiator is { } initiator)
                {
                    var acl = target.Acls.Find(a => string.Equals(a.InitiatorName, initiator, StringComparison.OrdinalIgnoreCase))
                        ?? throw CliException.Usage($"{r.Command.Replace('.', ' ')}: target {target.Iqn} has no ACL for '{initiator}'");
                    acl.Chap = chap;
                }
                else if (r.Mutual)
                {
                    target.MutualChap = chap;
                }
                else
                {
                    target.Chap = chap;
                }

                what = $"{r.Command.Replace('.', ' ')}{(r.Mutual ? " (mutual)" : "")}{(r.Initiator is null ? "" : " for " + r.Initiator)}";
                break;
            }
            case "portal.add":
            case "portal.remove":
            {
                if (!PortalParser.TryParse(r.Spec ?? "", out var portal, out var error))
                {
                    throw CliException.Usage($"{r.Command.Replace('.', ' ')}: {error}");
                }

                if (r.Command == "portal.add")
                {
                    if (desired.Portals.Contains(portal))
                    {
                        throw CliException.Usage($"portal add: already listening on {PortalParser.Format(portal)}");
                    }

                    desired.Portals.Add(portal);
                }
                else if (!desired.Portals.Remove(portal))
                {
                    throw CliException.Usage($"portal remove: not listening on {PortalParser.Format(portal)}");
                }

                what = $"{r.Command.Replace('.', ' ')} {PortalParser.Format(portal)}";
                break;
            }
            default:
                throw CliException.Usage($"unknown command '{r.Command}'");
        }

        return await ApplyAsync(desired, r.Force, what, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Validates <paramref name="desired"/> whole, then makes the running target match it.</summary>
    internal async Task<ControlResponse> ApplyAsync(ServeConfiguration desired, bool force, string what, CancellationToken cancellationToken)
    {
        var validation = ServeConfigurationValidator.Validate(desired);
        if (!validation.IsValid)
        {
            throw CliException.Usage(string.Join("; ", validation.Errors));
        }

        var added = desired.Targets.Select(t => t.Iqn).Except(_running.Targets.Select(t => t.Iqn), StringComparer.Ordinal).ToList();
        var gone = _running.Targets.Select(t => t.Iqn).Except(desired.Targets.Select(t => t.Iqn), StringComparer.Ordinal).ToList();
        if (added.Count > 0 || gone.Count > 0)
        {
            throw CliException.Usage($"targets cannot be added or removed on a running target ({string.Join(", ", added.Select(a => "+" + a).Concat(gone.Select(g => "-" + g)))}); restart it");
        }

        // A TCP portal with port 0 in the file is the one already bound on that address, not another one.
        for (int i = 0; i < desired.Portals.Count; i++)
        {
            if (desired.Portals[i] is NetScsi.Transport.Tcp.TcpPortal { Port: 0 } any
                && _running.Portals.Find(p => p is NetScsi.Transport.Tcp.TcpPortal tcp && tcp.Host == any.Host && !desired.Portals.Contains(p)) is { } bound)
            {
                desired.Portals[i] = bound;
            }
        }

        var plan = Plan(desired, force);
        var changes = new List<string>();
        var opened = new List<(TargetConfig Target, LiveLun Lun)>();
        var resized = new List<(LiveLun Lun, long OldBlocks)>();
        var boundPortals = new List<Portal>();
        try
        {
            foreach (var (target, lun) in plan.Open)
            {
                opened.Add((target, TargetFactory.OpenLun(lun, _loggerFactory, _running.Alua, target.Iqn)));
            }

            foreach (var (live, blocks) in plan.Resize)
            {
                long old = live.Base.BlockCount;
                try
                {
                    await ((IResizableBlockDevice)live.Base).ResizeAsync(blocks, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or ArgumentOutOfRangeException or InvalidOperationException or UnauthorizedAccessException)
                {
                    throw CliException.Runtime($"lun {live.Config.Number}: cannot resize to {ByteSizeParser.Format(blocks * live.Base.BlockSize)}: {UserMessages.Of(e)}", e);
                }

                resized.Add((live, old));
            }

            foreach (var portal in plan.AddPortals)
            {
                try
                {
                    boundPortals.Add(await _server.AddPortalAsync(portal, cancellationToken).ConfigureAwait(false));
                }
                catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or InvalidOperationException)
                {
                    throw CliException.Runtime($"portal {PortalParser.Format(portal)}: cannot listen: {UserMessages.Of(e)}", e);
                }
            }
        }
        catch
        {
            // Undo the steps already taken, in reverse: nothing of this change stays.
            foreach (var portal in boundPortals)
            {
                await _server.RemovePortalAsync(portal).ConfigureAwait(false);
            }

            foreach (var (live, old) in resized)
            {
                await ((IResizableBlockDevice)live.Base).ResizeAsync(old, CancellationToken.None).ConfigureAwait(false);
            }

            foreach (var (_, live) in opened)
            {
                await live.CloseAsync().ConfigureAwait(false);
            }

            throw;
        }

        // From here nothing fails: publish.
        foreach (var (live, _) in resized)
        {
            var size = live.Base.BlockCount * live.Base.BlockSize;
            changes.Add($"lun {live.Config.Number} of {live.Target} resized to {ByteSizeParser.Format(size)}");
        }

        foreach (var (target, lun) in plan.Removed)
        {
            if (force)
            {
                await _server.AbortTasksOnAsync(Definition(target.Iqn), lun.Unit, AbortWait).ConfigureAwait(false);
            }
        }

        foreach (var desiredTarget in desired.Targets)
        {
            var definition = Definition(desiredTarget.Iqn);
            bool lunsChanged = plan.Removed.Any(x => x.Target.Iqn == desiredTarget.Iqn) || opened.Any(x => x.Target.Iqn == desiredTarget.Iqn);
            if (lunsChanged)
            {
                foreach (var removed in plan.Removed.Where(x => x.Target.Iqn == desiredTarget.Iqn))
                {
                    _built.Luns.Remove(removed.Lun);
                    _built.Devices.Remove(removed.Lun.Device);
                    changes.Add($"lun {removed.Lun.Config.Number} removed from {desiredTarget.Iqn}");
                }

                foreach (var (_, live) in opened.Where(x => x.Target.Iqn == desiredTarget.Iqn))
                {
                    _built.Luns.Add(live);
                    _built.Devices.Add(live.Device);
                    changes.Add($"lun {live.Config.Number} added to {desiredTarget.Iqn} ({live.Config.Source}, {ByteSizeParser.Format(live.Device.BlockCount * live.Device.BlockSize)})");
                }

                var luns = _built.Luns.Where(l => l.Target == desiredTarget.Iqn).OrderBy(l => l.Config.Number)
                    .Select(l => new LunMapping(l.Config.Number!.Value, l.Unit));
                _server.ReplaceLuns(definition, luns);
            }

            var runningTarget = _running.Targets.Find(t => t.Iqn == desiredTarget.Iqn)!;
            if (!SameAcls(runningTarget.Acls, desiredTarget.Acls) || (lunsChanged && desiredTarget.Acls.Count > 0))
            {
                int ended = _server.ReplaceAcls(definition, desiredTarget.Acls.Select(a => new InitiatorAcl(a.InitiatorName, a.Luns, ToCredentials(a.Chap))));
                if (!SameAcls(runningTarget.Acls, desiredTarget.Acls))
                {
                    changes.Add($"ACLs of {desiredTarget.Iqn}: {Describe(desiredTarget.Acls)}{(ended > 0 ? $" ({ended} session(s) ended)" : "")}");
                }
            }

            if (runningTarget.Chap != desiredTarget.Chap)
            {
                definition.Chap = ToCredentials(desiredTarget.Chap);
                changes.Add($"CHAP of {desiredTarget.Iqn} {(desiredTarget.Chap is null ? "cleared" : "set (user " + desiredTarget.Chap.User + ")")}");
            }

            if (runningTarget.MutualChap != desiredTarget.MutualChap)
            {
                definition.MutualChap = ToCredentials(desiredTarget.MutualChap);
                changes.Add($"mutual CHAP of {desiredTarget.Iqn} {(desiredTarget.MutualChap is null ? "cleared" : "set (user " + desiredTarget.MutualChap.User + ")")}");
            }

            if (lunsChanged)
            {
                _server.NotifyReportedLunsChanged(definition);
            }

            // Kept LUNs: the running model holds the served objects (sizes current).
            for (int i = 0; i < desiredTarget.Luns.Count; i++)
            {
                var live = _built.Luns.Find(l => l.Target == desiredTarget.Iqn && l.Config.Number == desiredTarget.Luns[i].Number);
                if (live is not null)
                {
                    live.Config.SizeBytes = live.Config.Kind == LunKind.Rbd ? live.Config.SizeBytes : live.Base.BlockCount * live.Base.BlockSize;
                    desiredTarget.Luns[i] = live.Config;
                }
            }
        }

        if (_running.DiscoveryChap != desired.DiscoveryChap || _running.DiscoveryMutualChap != desired.DiscoveryMutualChap)
        {
            _server.Options.DiscoveryChap = ToCredentials(desired.DiscoveryChap);
            _server.Options.DiscoveryMutualChap = ToCredentials(desired.DiscoveryMutualChap);
            changes.Add("discovery CHAP " + (desired.DiscoveryChap is null ? "cleared" : "set"));
        }

        foreach (var portal in boundPortals)
        {
            changes.Add($"listening on {PortalParser.Format(portal)}");
        }

        foreach (var portal in plan.RemovePortals)
        {
            if (await _server.RemovePortalAsync(portal).ConfigureAwait(false))
            {
                changes.Add($"no longer listening on {PortalParser.Format(portal)}");
            }
        }

        // Portals as bound (port 0 resolved), the rest as desired; what needs a restart stays as it runs.
        desired.Portals.Clear();
        desired.Portals.AddRange(_running.Portals.Except(plan.RemovePortals).Concat(boundPortals));
        var restart = plan.NeedsRestart;
        CopyRestartOnly(_running, desired);
        _running = desired;

        foreach (var (_, lun) in plan.Removed)
        {
            try
            {
                await lun.Unit.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                LogFlushFailed(_logger, lun.Config.Number ?? -1, e.Message);
            }

            await lun.CloseAsync().ConfigureAwait(false);
        }

        if (restart.Count > 0)
        {
            changes.Add($"not applied, needs a restart: {string.Join(", ", restart)}");
        }

        if (changes.Count == 0)
        {
            changes.Add("nothing to change");
        }

        LogChanged(_logger, what, string.Join("; ", changes));
        return new ControlResponse { Ok = true, Changes = changes };
    }

    private sealed record ApplyPlan(
        List<(TargetConfig Target, LunConfig Lun)> Open,
        List<(TargetConfig Target, LiveLun Lun)> Removed,
        List<(LiveLun Lun, long Blocks)> Resize,
        List<Portal> AddPortals,
        List<Portal> RemovePortals,
        List<string> NeedsRestart);

    // What the difference needs, checked before anything is done (so a refusal changes nothing).
    private ApplyPlan Plan(ServeConfiguration desired, bool force)
    {
        var plan = new ApplyPlan([], [], [], [], [], []);
        foreach (var target in desired.Targets)
        {
            var definition = Definition(target.Iqn);
            var current = _built.Luns.Where(l => l.Target == target.Iqn).ToList();
            foreach (var live in current)
            {
                var wanted = target.Luns.Find(l => l.Number == live.Config.Number);
                if (wanted is not null && SameStore(wanted, live.Config))
                {
                    if (wanted.BlockSize != live.Config.BlockSize || wanted.ReadOnly != live.Config.ReadOnly
                        || wanted.Removable != live.Config.Removable || wanted.DelayControlPath != live.Config.DelayControlPath)
                    {
                        throw CliException.Usage($"lun {live.Config.Number}: block size, readOnly, removable and delayControl cannot change on a served LUN; remove it and add it again");
                    }

                    long currentBytes = live.Base.BlockCount * live.Base.BlockSize;
                    if (wanted.Kind != LunKind.Rbd && wanted.SizeBytes is long bytes && bytes != currentBytes)
                    {
                        if (bytes % live.Base.BlockSize != 0)
                        {
                            throw CliException.Usage($"lun {live.Config.Number}: {bytes} bytes is not a whole number of {live.Base.BlockSize}-byte blocks");
                        }

                        if (bytes < currentBytes && !force)
                        {
                            throw CliException.Usage($"lun {live.Config.Number}: shrinking from {ByteSizeParser.Format(currentBytes)} to {ByteSizeParser.Format(bytes)} drops the data past the new end; give --force to do it");
                        }

                        if (live.Base is not IResizableBlockDevice resizable)
                        {
                            throw CliException.Usage($"lun {live.Config.Number}: its store cannot be resized online");
                        }

                        if (bytes / live.Base.BlockSize > resizable.MaxBlockCount)
                        {
                            throw CliException.Usage($"lun {live.Config.Number}: at most {ByteSizeParser.Format(resizable.MaxBlockCount * live.Base.BlockSize)} (a memory LUN grows up to this machine's memory)");
                        }

                        plan.Resize.Add((live, bytes / live.Base.BlockSize));
                    }

                    continue;
                }

                // Gone, or another store under the same number: the old one leaves.
                var (sessions, commands) = _server.UsageOf(definition, live.Unit);
                if ((sessions > 0 || commands > 0) && !force)
                {
                    throw CliException.Usage($"lun {live.Config.Number} of {target.Iqn} is in use ({sessions} session(s), {commands} command(s) in flight); give --force to remove it anyway");
                }

                plan.Removed.Add((target, live));
                if (wanted is not null)
                {
                    plan.Open.Add((target, wanted));
                }
            }

            foreach (var lun in target.Luns)
            {
                if (!current.Exists(l => l.Config.Number == lun.Number))
                {
                    plan.Open.Add((target, lun));
                }
            }

            var running = _running.Targets.Find(t => t.Iqn == target.Iqn)!;
            if (running.Alias != target.Alias)
            {
                plan.NeedsRestart.Add($"alias of {target.Iqn}");
            }
        }

        plan.AddPortals.AddRange(desired.Portals.Except(_running.Portals));
        plan.RemovePortals.AddRange(_running.Portals.Except(desired.Portals));
        if (desired.QueueDepth != _running.QueueDepth)
        {
            plan.NeedsRestart.Add("queueDepth");
        }

        if (desired.MaxConnections != _running.MaxConnections)
        {
            plan.NeedsRestart.Add("maxConnections");
        }

        if (desired.LogLevel != _running.LogLevel)
        {
            plan.NeedsRestart.Add("logLevel");
        }

        if (!Equals(desired.Metrics, _running.Metrics))
        {
            plan.NeedsRestart.Add("metrics");
        }

        if (!SameLimits(desired.Limits, _running.Limits))
        {
            plan.NeedsRestart.Add("limits");
        }

        return plan;
    }

    // What needs a restart keeps its running value, so saveconfig writes what runs.
    private static void CopyRestartOnly(ServeConfiguration from, ServeConfiguration to)
    {
        to.QueueDepth = from.QueueDepth;
        to.MaxConnections = from.MaxConnections;
        to.LogLevel = from.LogLevel;
        to.Metrics = from.Metrics;
        to.Limits.MaxConnectionsInLogin = from.Limits.MaxConnectionsInLogin;
        to.Limits.MaxConnectionsPerInitiatorAddress = from.Limits.MaxConnectionsPerInitiatorAddress;
        to.Limits.MaxSessionsPerTarget = from.Limits.MaxSessionsPerTarget;
        to.Limits.MaxSessionsPerInitiatorAddress = from.Limits.MaxSessionsPerInitiatorAddress;
        to.Limits.OutputStallTimeout = from.Limits.OutputStallTimeout;
        foreach (var target in to.Targets)
        {
            target.Alias = from.Targets.Find(t => t.Iqn == target.Iqn)!.Alias;
        }
    }

    private static bool SameLimits(IscsiTargetLimits a, IscsiTargetLimits b) =>
        a.MaxConnectionsInLogin == b.MaxConnectionsInLogin && a.MaxConnectionsPerInitiatorAddress == b.MaxConnectionsPerInitiatorAddress
        && a.MaxSessionsPerTarget == b.MaxSessionsPerTarget && a.MaxSessionsPerInitiatorAddress == b.MaxSessionsPerInitiatorAddress
        && a.OutputStallTimeout == b.OutputStallTimeout;

    private static bool SameStore(LunConfig a, LunConfig b) => a.Kind == b.Kind && a.Kind switch
    {
        LunKind.File => string.Equals(Path.GetFullPath(a.Path!), Path.GetFullPath(b.Path!), StringComparison.Ordinal),
        LunKind.Rbd => a.RbdPool == b.RbdPool && a.RbdImage == b.RbdImage,
        _ => true,
    };

    private static bool SameAcls(List<AclConfig> a, List<AclConfig> b) =>
        a.Count == b.Count && a.Zip(b).All(p => string.Equals(p.First.InitiatorName, p.Second.InitiatorName, StringComparison.OrdinalIgnoreCase)
            && (p.First.Luns ?? []).SequenceEqual(p.Second.Luns ?? []) && (p.First.Luns is null) == (p.Second.Luns is null) && p.First.Chap == p.Second.Chap);

    private static string Describe(List<AclConfig> acls) => acls.Count == 0
        ? "none (every initiator may log in)"
        : string.Join(", ", acls.Select(a => a.Luns is null ? a.InitiatorName : $"{a.InitiatorName}={string.Join(',', a.Luns)}"));

    private TargetDefinition Definition(string iqn) => _server.Options.Targets.First(t => t.Name == iqn);

    private static TargetConfig FindTarget(ServeConfiguration configuration, string? iqn)
    {
        if (iqn is null)
        {
            return configuration.Targets.Count == 1
                ? configuration.Targets[0]
                : throw CliException.Usage($"the target serves {configuration.Targets.Count} targets; give --target IQN");
        }

        return configuration.Targets.Find(t => string.Equals(t.Iqn, iqn, StringComparison.OrdinalIgnoreCase))
            ?? throw CliException.Usage($"no target '{iqn}' (serving: {string.Join(", ", configuration.Targets.Select(t => t.Iqn))})");
    }

    private static LunConfig FindLun(TargetConfig target, int? number, string command)
    {
        int n = number ?? throw CliException.Usage($"{command}: give the LUN number");
        return target.Luns.Find(l => l.Number == n)
            ?? throw CliException.Usage($"{command}: target {target.Iqn} has no lun {n} (has {string.Join(", ", target.Luns.Select(l => l.Number))})");
    }

    private List<LunJson> ListLuns(string? iqn)
    {
        var targets = iqn is null ? _running.Targets : [FindTarget(_running, iqn)];
        var list = new List<LunJson>();
        foreach (var live in _built.Luns.Where(l => targets.Exists(t => t.Iqn == l.Target)).OrderBy(l => l.Target, StringComparer.Ordinal).ThenBy(l => l.Config.Number))
        {
            var (sessions, commands) = _server.UsageOf(Definition(live.Target), live.Unit);
            list.Add(new LunJson(live.Target, live.Config.Number!.Value, live.Config.Source ?? live.Config.Kind.ToString().ToLowerInvariant(),
                live.Device.BlockCount * live.Device.BlockSize, live.Device.BlockSize, live.Device.IsReadOnly, sessions, commands));
        }

        return list;
    }

    private List<AclJson> ListAcls(string? iqn)
    {
        var targets = iqn is null ? _running.Targets : [FindTarget(_running, iqn)];
        return targets.SelectMany(t => t.Acls.Select(a => new AclJson(t.Iqn, a.InitiatorName, a.Luns, a.Chap is not null))).ToList();
    }

    private List<SessionJson> ListSessions(string? iqn)
    {
        var name = iqn is null ? null : FindTarget(_running, iqn).Iqn;
        return _server.GetSessions().Where(s => name is null || s.Target == name).Select(s => new SessionJson(
            s.Target,
            s.Initiator,
            s.Isid.ToString("x12", CultureInfo.InvariantCulture),
            s.Tsih,
            s.Connections,
            s.Portal,
            s.Remote,
            s.HeaderDigest,
            s.DataDigest,
            s.Negotiated.GroupBy(k => k.Key).ToDictionary(g => g.Key, g => g.Last().Value),
            s.CommandsInFlight,
            [.. s.Luns])).ToList();
    }

    private static ChapCredentials? ToCredentials(ChapConfig? chap) => chap is null ? null : new ChapCredentials(chap.User, chap.Secret);

    [LoggerMessage(Level = LogLevel.Information, Message = "Control: {What}: {Changes}")]
    private static partial void LogChanged(ILogger logger, string what, string changes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Control: {Command} refused, nothing changed: {Reason}")]
    private static partial void LogRefused(ILogger logger, string command, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Control: flushing removed lun {Lun} failed: {Message}")]
    private static partial void LogFlushFailed(ILogger logger, int lun, string message);
}
