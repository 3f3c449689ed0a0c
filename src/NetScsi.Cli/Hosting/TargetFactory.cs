using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetScsi.Cli.Configuration;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Session;
using NetScsi.Scsi.Alua;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;
using NetScsi.Storage.Rbd;

namespace NetScsi.Cli.Hosting;

/// <summary>
/// Configuration → block devices → logical units → <see cref="IscsiTargetOptions"/>. The only place
/// that knows the storage and logical-unit types. On failure, devices already opened are disposed.
/// </summary>
internal static class TargetFactory
{
    public static async Task<BuiltTarget> BuildAsync(ServeConfiguration configuration, ILoggerFactory? loggerFactory = null)
    {
        loggerFactory ??= NullLoggerFactory.Instance;
        var devices = new List<IBlockDevice>();
        var lives = new List<LiveLun>();
        try
        {
            var options = new IscsiTargetOptions
            {
                QueueDepth = configuration.QueueDepth,
                MaxConnections = configuration.MaxConnections,
                DiscoveryChap = ToCredentials(configuration.DiscoveryChap),
                DiscoveryMutualChap = ToCredentials(configuration.DiscoveryMutualChap),
            };
            options.Limits.MaxConnectionsInLogin = configuration.Limits.MaxConnectionsInLogin;
            options.Limits.MaxConnectionsPerInitiatorAddress = configuration.Limits.MaxConnectionsPerInitiatorAddress;
            options.Limits.MaxSessionsPerTarget = configuration.Limits.MaxSessionsPerTarget;
            options.Limits.MaxSessionsPerInitiatorAddress = configuration.Limits.MaxSessionsPerInitiatorAddress;
            options.Limits.OutputStallTimeout = configuration.Limits.OutputStallTimeout;
            if (configuration.Alua?.Local is { } tpg)
            {
                // One port per gateway: its target portal group tag is its target port group id and relative target port.
                options.TargetPortalGroupTag = tpg.Id;
            }

            foreach (var portal in configuration.Portals)
            {
                // AoE portals are not iSCSI's: AoeExports serves them over the same logical units.
                if (portal is not Transport.Aoe.AoePortal)
                {
                    options.Portals.Add(portal);
                }
            }

            foreach (var transport in CliTransports.All)
            {
                options.Transports.Add(transport);
            }

            var served = new List<ServedTarget>();
            foreach (var target in configuration.Targets)
            {
                var definition = new TargetDefinition
                {
                    Name = target.Iqn,
                    Alias = target.Alias,
                    Chap = ToCredentials(target.Chap),
                    MutualChap = ToCredentials(target.MutualChap),
                };
                var luns = new List<ServedLun>();
                foreach (var lun in target.Luns)
                {
                    var live = OpenLun(lun, loggerFactory, configuration.Alua, target.Iqn);
                    devices.Add(live.Device);
                    lives.Add(live);
                    definition.Luns.Add(new LunMapping(lun.Number!.Value, live.Unit));
                    luns.Add(Describe(lun, live.Device));
                }

                foreach (var acl in target.Acls)
                {
                    definition.Acls.Add(new InitiatorAcl(acl.InitiatorName, acl.Luns, ToCredentials(acl.Chap)));
                }

                options.Targets.Add(definition);
                served.Add(new ServedTarget(target.Iqn, target.Alias, luns, target.Chap is not null, target.MutualChap is not null, target.Acls.Count));
            }

            return new BuiltTarget(options, served, devices, lives);
        }
        catch
        {
            foreach (var live in lives)
            {
                if (live.Watcher is { } watcher)
                {
                    await watcher.DisposeAsync().ConfigureAwait(false);
                }
            }

            foreach (var device in devices)
            {
                await device.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>
    /// Opens one LUN's store and builds its unit: what serve does per LUN and what <c>lun add</c> does on a
    /// running target. The config's size becomes the device's (an existing file keeps its own).
    /// </summary>
    /// <exception cref="CliException">The store cannot be opened or created.</exception>
    internal static LiveLun OpenLun(LunConfig lun, ILoggerFactory loggerFactory, AluaConfig? alua, string targetIqn = "")
    {
        var baseDevice = OpenDevice(lun);
        var device = baseDevice;
        IAsyncDisposable? watcher = null;
        try
        {
            if (lun.DelayControlPath is { } control)
            {
                // Test and diagnostic feature: delays injected at run time through a control file.
                device = new DelayControlledBlockDevice(device, lun.Number!.Value, Path.GetFullPath(control), loggerFactory.CreateLogger<DelayControlledBlockDevice>());
            }

            var registry = CreateAlua(alua, targetIqn, lun.Number!.Value, device, loggerFactory.CreateLogger("NetScsi.Alua"), out watcher);
            var unit = CreateUnit(lun, device, registry);
            if (lun.Kind != LunKind.Rbd)
            {
                lun.SizeBytes = device.BlockCount * device.BlockSize;
            }

            return new LiveLun(targetIqn, lun, baseDevice, device, unit, watcher);
        }
        catch
        {
            watcher?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            baseDevice.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    private static ServedLun Describe(LunConfig lun, IBlockDevice device) => new(
        lun.Number!.Value,
        lun.Kind switch
        {
            LunKind.File => $"file {lun.Path}",
            LunKind.Rbd => $"rbd {lun.RbdPool}/{lun.RbdImage} (image id {((RbdBlockDevice)UnwrapDelay(device)).ImageId})",
            _ => "memory",
        },
        device.BlockCount * device.BlockSize,
        device.BlockSize,
        device.IsReadOnly,
        lun.Removable,
        (device as DelayControlledBlockDevice)?.ControlPath);

    private static IBlockDevice UnwrapDelay(IBlockDevice device) => device is DelayControlledBlockDevice delayed ? delayed.Inner : device;

    /// <summary>The LUN's target port groups (null without ALUA); with follow-lock, the follower that drives them.</summary>
    private static TargetPortGroupRegistry? CreateAlua(AluaConfig? alua, string targetIqn, int lunNumber, IBlockDevice device, ILogger logger, out IAsyncDisposable? watcher)
    {
        watcher = null;
        if (alua?.Local is not { } local)
        {
            return null;
        }

        var groups = new List<(ushort, ushort[], bool, AsymmetricAccessState)> { (local.Id, [local.Id], true, alua.LocalState) };
        foreach (var peer in alua.Peers)
        {
            groups.Add((peer.Id, [peer.Id], false, alua.PeerState(peer)));
        }

        // Following the lock, the states are the lock's (implicit only); otherwise they are set by SET TARGET PORT GROUPS too.
        var registry = new TargetPortGroupRegistry(
            alua.FollowLock ? AluaTransitions.Implicit : AluaTransitions.Implicit | AluaTransitions.Explicit, groups,
            implicitTransitionTimeSeconds: alua.FollowLock ? ImplicitTransitionTimeSeconds : (byte)0);
        if (alua.FollowLock && UnwrapDelay(device) is RbdBlockDevice rbd)
        {
            var follower = new RbdAluaLockFollower(rbd, registry, local.Id, alua.LocalState,
                alua.Peers.Select(p => (p.Id, alua.PeerState(p))).ToList(), target: targetIqn, lun: lunNumber);
            follower.OwnershipChanged += owner => logger.LogInformation(
                "lun {Lun}: {What} the exclusive lock of {Image}; target port group {Group} is now {State}", lunNumber,
                owner ? "took" : "lost", rbd.Name, local.Id, AsymmetricAccessStates.Name(owner ? AsymmetricAccessState.ActiveOptimized : alua.LocalState));
            if (follower.Handovers > 0)
            {
                logger.LogInformation("lun {Lun}: holds the exclusive lock of {Image}; target port group {Group} is active-optimized", lunNumber, rbd.Name, local.Id);
            }

            watcher = follower;
        }

        return registry;
    }

    /// <summary>A dead owner's lock is broken once Ceph drops its watch (osd_client_watch_timeout, 30 s by default), plus a poll.</summary>
    private const byte ImplicitTransitionTimeSeconds = 35;

    private static BlockLogicalUnit CreateUnit(LunConfig lun, IBlockDevice device, TargetPortGroupRegistry? alua)
    {
        var unitOptions = new LogicalUnitOptions
        {
            Alua = alua,
            ReadOnly = lun.ReadOnly,
            Removable = lun.Removable,
            // Persistent reservations made with APTPL = 1 are kept next to the backing file; a memory LUN
            // loses its contents on restart anyway, so it does not offer persistence through power loss.
            ReservationStatePath = lun.Kind == LunKind.File ? Path.GetFullPath(lun.Path!) + ".pr" : null,
            Version1Registrant = IscsiTransportIdCodec.FromVersion1Names,
        };
        try
        {
            return new BlockLogicalUnit(device, unitOptions);
        }
        catch (InvalidDataException e)
        {
            // A corrupt reservation state file: the message names it.
            throw CliException.Runtime($"lun {lun.Number}: {e.Message}", e);
        }
    }

    private static IBlockDevice OpenDevice(LunConfig lun)
    {
        if (lun.Kind == LunKind.Memory)
        {
            // Room to grow online (lun resize) up to this machine's memory, or the LUN's own size if larger (sparse).
            long size = lun.SizeBytes!.Value;
            return new MemoryBlockDevice(size, lun.BlockSize, lun.ReadOnly, maxSizeBytes: Math.Max(size, Math.Min(MachineMemory.CapacityBytes(), MemoryBlockDevice.MaxSizeBytes)));
        }

        if (lun.Kind == LunKind.Rbd)
        {
            return OpenRbd(lun);
        }

        var path = Path.GetFullPath(lun.Path!);
        if (Directory.Exists(path))
        {
            throw CliException.Usage($"'{lun.Path}' is a directory; a file LUN needs a file path (e.g. {Path.Combine(lun.Path!, "lun0.img")})");
        }

        try
        {
            // An existing file keeps its size: the configured size only says how big to create it.
            bool exists = File.Exists(path);
            if (!exists && lun.SizeBytes is null)
            {
                throw CliException.Usage($"file '{lun.Path}' does not exist; give a size (e.g. file:{lun.Path},size=1G) to create it");
            }

            if (!exists && Path.GetDirectoryName(path) is { } directory && !Directory.Exists(directory))
            {
                // A typo in the directory must not silently become a new directory tree and an empty disk.
                if (!lun.CreateDirectories)
                {
                    throw CliException.Usage(
                        $"directory '{directory}' of file '{lun.Path}' does not exist; create it, or add create-dirs to the LUN spec (\"createDirs\": true in a config file) to have it created");
                }

                Directory.CreateDirectory(directory);
            }

            return FileBlockDevice.Open(path, exists ? null : lun.SizeBytes, lun.BlockSize, lun.ReadOnly);
        }
        catch (ArgumentOutOfRangeException e) when (lun.SizeBytes is long size)
        {
            // The file system refused the length (ext4 stops at 16 TiB, tmpfs at its size, ...).
            throw CliException.Runtime($"cannot create '{lun.Path}' with size {Parsing.ByteSizeParser.Format(size)}: the file system does not allow a file that large", e);
        }
        // ArgumentException: an existing file whose length is not a whole number of blocks.
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw CliException.Runtime($"cannot open '{lun.Path}': {UserMessages.Of(e)}", e);
        }
    }

    private static RbdBlockDevice OpenRbd(LunConfig lun)
    {
        try
        {
            return RbdBlockDevice.Open(new RbdImageOptions
            {
                Pool = lun.RbdPool!,
                Image = lun.RbdImage!,
                ConfigPath = lun.RbdConfigPath is { } conf ? Path.GetFullPath(conf) : null,
                ClientId = lun.RbdClientId,
                ReadOnly = lun.ReadOnly,
                BlockSize = lun.BlockSize,
            });
        }
        catch (RbdException e)
        {
            // librbd missing, no configuration, cluster unreachable, no such pool or image: the target cannot run.
            throw CliException.Runtime($"lun {lun.Number} (rbd:{lun.RbdPool}/{lun.RbdImage}): {e.Message}", e);
        }
    }

    private static ChapCredentials? ToCredentials(ChapConfig? chap) =>
        chap is null ? null : new ChapCredentials(chap.User, chap.Secret);
}
