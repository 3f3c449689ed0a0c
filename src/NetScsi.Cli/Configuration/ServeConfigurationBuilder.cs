namespace NetScsi.Cli.Configuration;

/// <summary>
/// Merges the config file (the base) with the flags (docs/config.md, "Flags and the config file"):
/// <list type="bullet">
/// <item>--listen replaces the file's portals; --queue-depth, --log-level, --metrics, --discovery-chap and
/// --discovery-mutual-chap replace its values.</item>
/// <item>Target flags (--iqn, --alias, --lun, --chap, --mutual-chap, --acl) act on one target: the one
/// --iqn names (added if the file lacks it), else the file's only target, else a new default target.
/// --lun and --acl add; --alias, --chap and --mutual-chap replace.</item>
/// <item>A target made from flags or defaults with no LUN gets the default 1 GiB file LUN; a target
/// from the file must list its LUNs.</item>
/// <item>LUNs without a number get the lowest free numbers, in order.</item>
/// </list>
/// </summary>
internal static class ServeConfigurationBuilder
{
    public static ServeConfiguration Build(ServeConfiguration? fromFile, ServeFlags flags)
    {
        var config = fromFile ?? new ServeConfiguration();

        if (flags.Listen.Count > 0)
        {
            config.Portals.Clear();
            config.Portals.AddRange(flags.Listen);
        }

        if (config.Portals.Count == 0)
        {
            config.Portals.Add(ServeDefaults.Portal);
        }

        if (flags.QueueDepth is int queueDepth)
        {
            config.QueueDepth = queueDepth;
        }

        if (flags.MaxConnections is int maxConnections)
        {
            config.MaxConnections = maxConnections;
        }

        if (flags.LogLevel is { } logLevel)
        {
            config.LogLevel = logLevel;
        }

        if (flags.Metrics is not null)
        {
            config.Metrics = flags.Metrics;
        }

        if (flags.DiscoveryChap is not null)
        {
            config.DiscoveryChap = flags.DiscoveryChap;
        }

        if (flags.DiscoveryMutualChap is not null)
        {
            config.DiscoveryMutualChap = flags.DiscoveryMutualChap;
        }

        if (flags.Tpg is not null || flags.PeerTpgs.Count > 0 || flags.AluaFollowLock)
        {
            // --tpg replaces the file's group; --peer-tpg adds (the same group again replaces it); --alua-follow-lock turns it on.
            config.Alua ??= new AluaConfig();
            if (flags.Tpg is not null)
            {
                config.Alua.Local = flags.Tpg;
            }

            foreach (var peer in flags.PeerTpgs)
            {
                config.Alua.Peers.RemoveAll(p => p.Id == peer.Id);
                config.Alua.Peers.Add(peer);
            }

            config.Alua.FollowLock |= flags.AluaFollowLock;
        }

        TargetConfig? flagTarget = null;
        if (flags.Iqn is not null)
        {
            flagTarget = config.Targets.Find(t => string.Equals(t.Iqn, flags.Iqn, StringComparison.Ordinal));
            if (flagTarget is null)
            {
                flagTarget = new TargetConfig { Iqn = flags.Iqn };
                config.Targets.Add(flagTarget);
            }
        }
        else if (flags.HasTargetFlags || config.Targets.Count == 0)
        {
            switch (config.Targets.Count)
            {
                case 0:
                    flagTarget = new TargetConfig { Iqn = ServeDefaults.TargetIqn };
                    config.Targets.Add(flagTarget);
                    break;
                case 1:
                    flagTarget = config.Targets[0];
                    break;
                default:
                    throw CliException.Usage(
                        $"the config file defines {config.Targets.Count} targets; add --iqn to say which one --alias/--lun/--chap/--mutual-chap/--acl apply to");
            }
        }

        if (flagTarget is not null)
        {
            ApplyTargetFlags(flagTarget, flags);

            // A target the file defined without LUNs stays LUN-less so validation reports it,
            // rather than quietly gaining the default LUN.
            if (flagTarget.Luns.Count == 0 && !flagTarget.DefinedInFile)
            {
                flagTarget.Luns.Add(ServeDefaults.Lun());
            }
        }

        foreach (var target in config.Targets)
        {
            AssignLunNumbers(target);
        }

        return config;
    }

    private static void ApplyTargetFlags(TargetConfig target, ServeFlags flags)
    {
        if (flags.Alias is not null)
        {
            target.Alias = flags.Alias;
        }

        if (flags.Chap is not null)
        {
            target.Chap = flags.Chap;
        }

        if (flags.MutualChap is not null)
        {
            target.MutualChap = flags.MutualChap;
        }

        target.Luns.AddRange(flags.Luns);

        foreach (var acl in flags.Acls)
        {
            // Same initiator again: the flag's entry replaces the file's.
            target.Acls.RemoveAll(a => string.Equals(a.InitiatorName, acl.InitiatorName, StringComparison.Ordinal));
            target.Acls.Add(acl);
        }
    }

    private static void AssignLunNumbers(TargetConfig target)
    {
        var used = new HashSet<int>();
        foreach (var lun in target.Luns)
        {
            if (lun.Number is int n)
            {
                used.Add(n);
            }
        }

        int next = 0;
        foreach (var lun in target.Luns)
        {
            if (lun.Number is null)
            {
                while (used.Contains(next))
                {
                    next++;
                }

                lun.Number = next;
                used.Add(next);
            }
        }
    }
}
