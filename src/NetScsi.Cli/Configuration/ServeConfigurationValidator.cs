using System.Net;
using NetScsi.Cli.Parsing;
using NetScsi.Scsi.Storage;

using NetScsi.Transport;
using NetScsi.Transport.Tcp;

namespace NetScsi.Cli.Configuration;

/// <summary>Cross-field rules over the merged configuration; reports every problem, not just the first.</summary>
internal static class ServeConfigurationValidator
{
    /// <summary>Bounds the per-session CmdSN window (and so the memory a session may pin).</summary>
    public const int MaxQueueDepth = 4096;

    /// <summary>Most connections per session a target may offer (RFC 7143 §13.2 allows 65535; more is no use).</summary>
    public const int MaxMaxConnections = 16;

    /// <param name="config">The merged configuration.</param>
    /// <param name="memoryCapacityBytes">What memory LUNs are checked against; null = this machine's RAM + swap.</param>
    public static ValidationResult Validate(ServeConfiguration config, long? memoryCapacityBytes = null)
    {
        var errors = new List<string>();
        var warnings = new List<string>();

        if (config.QueueDepth is < 1 or > MaxQueueDepth)
        {
            errors.Add($"queue depth {config.QueueDepth} is out of range 1..{MaxQueueDepth}");
        }

        if (config.MaxConnections is < 1 or > MaxMaxConnections)
        {
            errors.Add($"max connections {config.MaxConnections} is out of range 1..{MaxMaxConnections}");
        }

        if (config.Portals.Count == 0)
        {
            errors.Add("no portal to listen on");
        }

        var portals = new HashSet<Portal>();
        foreach (var portal in config.Portals)
        {
            // Port 0 binds a fresh ephemeral port each time, so repeats are distinct portals.
            if (portal is not TcpPortal { Port: 0 } && !portals.Add(portal))
            {
                errors.Add($"portal {PortalParser.Format(portal)} is listed twice");
            }
        }

        bool onlyLoopback = config.Portals.TrueForAll(p => p is TcpPortal { Address: { } address } && IPAddress.IsLoopback(address));
        var iqns = new HashSet<string>(StringComparer.Ordinal);
        var files = new Dictionary<string, string>(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

        if (config.Targets.Count == 0)
        {
            errors.Add("no target defined");
        }

        ValidateDiscoveryChap(config, errors, warnings);

        foreach (var target in config.Targets)
        {
            ValidateTarget(target, iqns, files, onlyLoopback, errors, warnings);
        }

        ValidateMemoryLuns(config, memoryCapacityBytes ?? Hosting.MachineMemory.CapacityBytes(), errors);
        ValidateAlua(config, errors);

        return new ValidationResult(errors, warnings);
    }

    // Memory is taken on first write, so a memory LUN of any size starts; one larger than the machine's
    // memory would end the process part way through being filled. Refused unless asked to be sparse; past
    // what the chunk table can address it is refused always.
    private static void ValidateMemoryLuns(ServeConfiguration config, long capacityBytes, List<string> errors)
    {
        foreach (var target in config.Targets)
        {
            foreach (var lun in target.Luns)
            {
                if (lun is not { Kind: LunKind.Memory, SizeBytes: long size } || size <= 0)
                {
                    continue;
                }

                var l = $"target '{target.Iqn}': LUN {lun.Number?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} ({lun.Source ?? "memory"})";
                if (size > MemoryBlockDevice.MaxSizeBytes)
                {
                    errors.Add($"{l}: {ByteSizeParser.Format(size)} is more than a memory LUN can address (about {FormatApproximate(MemoryBlockDevice.MaxSizeBytes)})");
                }
                else if (size > capacityBytes && !lun.Sparse)
                {
                    errors.Add($"{l}: {ByteSizeParser.Format(size)} is more than this machine's memory ({FormatApproximate(capacityBytes)} of RAM and swap) can ever hold; "
                        + "add ',sparse' to the spec (\"sparse\": true in a config file) to serve it thin anyway");
                }
            }
        }
    }

    // 25165824000 → "23.4 GiB": GiB, TiB or PiB, whichever keeps the number below 1024.
    private static string FormatApproximate(long bytes)
    {
        const int UnitShift = 10;
        string[] units = ["GiB", "TiB", "PiB"];
        double value = bytes / (double)(1L << 30);
        int unit = 0;
        while (value >= 1 << UnitShift && unit < units.Length - 1)
        {
            value /= 1 << UnitShift;
            unit++;
        }

        return value.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " " + units[unit];
    }

    private static void ValidateDiscoveryChap(ServeConfiguration config, List<string> errors, List<string> warnings)
    {
        if (config.DiscoveryChap is { } chap)
        {
            AddIfNotNull(warnings, ChapRules.Warning(chap, "--discovery-chap"));
        }

        if (config.DiscoveryMutualChap is not { } mutual)
        {
            return;
        }

        AddIfNotNull(warnings, ChapRules.Warning(mutual, "--discovery-mutual-chap"));
        if (config.DiscoveryChap is null)
        {
            errors.Add("mutual CHAP for discovery needs one-way discovery CHAP too (--discovery-chap)");
        }
        else if (config.DiscoveryChap.Secret == mutual.Secret)
        {
            // RFC 7143 §12.1.3: the secret that authenticates initiators must not authenticate the target.
            errors.Add("the discovery mutual CHAP secret must differ from the discovery CHAP secret (RFC 7143 §12.1.3)");
        }
    }

    private static void ValidateTarget(
        TargetConfig target,
        HashSet<string> iqns,
        Dictionary<string, string> files,
        bool onlyLoopback,
        List<string> errors,
        List<string> warnings)
    {
        var t = $"target '{target.Iqn}'";
        if (!IscsiNameValidator.TryValidate(target.Iqn, out var nameError))
        {
            errors.Add(nameError);
        }

        if (!iqns.Add(target.Iqn))
        {
            errors.Add($"{t} is defined twice");
        }

        // RFC 7143 §13.6: TargetAlias is a UTF-8 text value; keep it printable and bounded.
        if (target.Alias is { } alias && (alias.Length > 255 || alias.Any(char.IsControl)))
        {
            errors.Add($"{t}: alias must be at most 255 printable characters");
        }

        if (target.Luns.Count == 0)
        {
            errors.Add($"{t} has no LUNs");
        }

        var numbers = new HashSet<int>();
        foreach (var lun in target.Luns)
        {
            ValidateLun(t, lun, numbers, files, errors);
        }

        var chapSecrets = new List<ChapConfig>();
        if (target.Chap is { } chap)
        {
            chapSecrets.Add(chap);
            AddIfNotNull(warnings, ChapRules.Warning(chap, $"{t}: --chap"));
        }

        var initiators = new HashSet<string>(StringComparer.Ordinal);
        foreach (var acl in target.Acls)
        {
            var a = $"{t}: ACL '{acl.InitiatorName}'";
            if (!IscsiNameValidator.TryValidate(acl.InitiatorName, out var aclNameError))
            {
                errors.Add($"{a}: {aclNameError}");
            }

            if (!initiators.Add(acl.InitiatorName))
            {
                errors.Add($"{a} is listed twice");
            }

            foreach (var lun in acl.Luns ?? [])
            {
                if (!numbers.Contains(lun))
                {
                    errors.Add($"{a} refers to LUN {lun}, which the target does not have");
                }
            }

            if (acl.Chap is { } aclChap)
            {
                chapSecrets.Add(aclChap);
                AddIfNotNull(warnings, ChapRules.Warning(aclChap, a));
            }
        }

        if (target.MutualChap is { } mutual)
        {
            AddIfNotNull(warnings, ChapRules.Warning(mutual, $"{t}: --mutual-chap"));

            // The initiator authenticates first; mutual CHAP only adds the target's answer.
            bool everyInitiatorUsesChap = target.Chap is not null
                || (target.Acls.Count > 0 && target.Acls.TrueForAll(acl => acl.Chap is not null));
            if (!everyInitiatorUsesChap)
            {
                errors.Add($"{t}: mutual CHAP needs one-way CHAP too (--chap, or chap on every ACL)");
            }

            // RFC 7143 §12.1.3: a secret used to authenticate initiators MUST NOT be used to
            // authenticate the target (a reflection attack would otherwise succeed).
            if (chapSecrets.Exists(c => c.Secret == mutual.Secret))
            {
                errors.Add($"{t}: the mutual CHAP secret must differ from the initiator CHAP secret (RFC 7143 §12.1.3)");
            }
        }

        if (!onlyLoopback && target.Chap is null && target.Acls.Count == 0)
        {
            warnings.Add($"{t} listens beyond loopback with neither CHAP nor an ACL: any initiator that can reach it may write to its LUNs");
        }
    }

    private static void ValidateLun(string t, LunConfig lun, HashSet<int> numbers, Dictionary<string, string> files, List<string> errors)
    {
        var l = $"{t}: LUN {lun.Number?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} ({lun.Source ?? lun.Kind.ToString().ToLowerInvariant()})";
        if (lun.Number is int number)
        {
            if (number is < 0 or > LunSpecParser.MaxLunNumber)
            {
                errors.Add($"{l}: LUN number must be 0..{LunSpecParser.MaxLunNumber}");
            }
            else if (!numbers.Add(number))
            {
                errors.Add($"{t}: LUN {number} is defined twice");
            }
        }

        if (lun.BlockSize is not (512 or 4096))
        {
            errors.Add($"{l}: block size {lun.BlockSize} must be 512 or 4096");
        }

        if (lun.Kind == LunKind.Memory && lun.SizeBytes is null)
        {
            errors.Add($"{l}: a memory LUN needs a size");
        }

        if (lun.SizeBytes is long size)
        {
            if (size <= 0)
            {
                errors.Add($"{l}: size must be greater than zero");
            }
            else if (lun.BlockSize is 512 or 4096 && size % lun.BlockSize != 0)
            {
                errors.Add($"{l}: size {size} bytes is not a multiple of the block size {lun.BlockSize}");
            }
        }

        if (lun.Kind == LunKind.Rbd)
        {
            // Two LUNs on one image in one process would corrupt each other; several gateways use several processes.
            var key = $"rbd:{lun.RbdConfigPath}:{lun.RbdPool}/{lun.RbdImage}";
            if (files.TryGetValue(key, out var user))
            {
                errors.Add($"{l}: RBD image {lun.RbdPool}/{lun.RbdImage} is already used by {user}");
            }
            else
            {
                files.Add(key, l);
            }
        }

        if (lun.Kind == LunKind.File)
        {
            if (string.IsNullOrEmpty(lun.Path))
            {
                errors.Add($"{l}: a file LUN needs a path");
                return;
            }

            string full;
            try
            {
                full = Path.GetFullPath(lun.Path);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
            {
                errors.Add($"{l}: invalid path '{lun.Path}': {e.Message}");
                return;
            }

            // Two LUNs on one file would corrupt each other (and FileBlockDevice locks the file).
            if (files.TryGetValue(full, out var other))
            {
                errors.Add($"{l}: file '{lun.Path}' is already used by {other}");
            }
            else
            {
                files.Add(full, l);
            }
        }
    }

    private static void AddIfNotNull(List<string> list, string? item)
    {
        if (item is not null)
        {
            list.Add(item);
        }
    }

    /// <summary>ALUA: a local group, peers distinct from it and each other, follow-lock only over RBD LUNs with a non-owner state.</summary>
    private static void ValidateAlua(ServeConfiguration config, List<string> errors)
    {
        if (config.Alua is not { } alua)
        {
            return;
        }

        if (alua.Local is null)
        {
            errors.Add("--peer-tpg and --alua-follow-lock need --tpg N (this gateway's target port group)");
            return;
        }

        var ids = new HashSet<ushort> { alua.Local.Id };
        foreach (var peer in alua.Peers)
        {
            if (!ids.Add(peer.Id))
            {
                errors.Add($"--peer-tpg {peer.Id}: target port group {peer.Id} is given twice (or is this gateway's --tpg)");
            }
        }

        if (!alua.FollowLock)
        {
            return;
        }

        if (alua.Local.State is Scsi.Alua.AsymmetricAccessState.ActiveOptimized or Scsi.Alua.AsymmetricAccessState.Transitioning)
        {
            errors.Add($"--tpg {alua.Local.Id}={Scsi.Alua.AsymmetricAccessStates.Name(alua.Local.State.Value)}: with --alua-follow-lock the lock owner is active-optimized and --tpg's state is the one while not owning it: active-non-optimized, standby or unavailable");
        }

        foreach (var peer in alua.Peers)
        {
            if (peer.State is Scsi.Alua.AsymmetricAccessState.ActiveOptimized or Scsi.Alua.AsymmetricAccessState.Transitioning)
            {
                errors.Add($"--peer-tpg {peer.Id}={Scsi.Alua.AsymmetricAccessStates.Name(peer.State.Value)}: with --alua-follow-lock a peer's state is the one while not owning the lock: active-non-optimized, standby or unavailable");
            }
        }

        foreach (var target in config.Targets)
        {
            foreach (var lun in target.Luns)
            {
                if (lun.Kind != LunKind.Rbd || lun.ReadOnly)
                {
                    errors.Add($"target {target.Iqn} lun {lun.Number}: --alua-follow-lock needs writable rbd: LUNs (the states follow the image's exclusive lock)");
                }
            }
        }
    }
}
