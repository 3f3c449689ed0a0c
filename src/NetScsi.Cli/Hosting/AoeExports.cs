using Microsoft.Extensions.Logging;
using NetScsi.Cli.Configuration;
using NetScsi.Transport.Aoe;
using NetScsi.Transport.Ethernet;

namespace NetScsi.Cli.Hosting;

/// <summary>
/// The <c>aoe:IFACE,shelf=S</c> portals: one <see cref="AoeTarget"/> each, exporting every LUN of the served targets
/// as a slot (its <c>slot</c> setting, else its LUN number) over the same logical units iSCSI uses.
/// </summary>
internal sealed class AoeExports : IAsyncDisposable
{
    private readonly List<AoeTarget> _targets;

    private AoeExports(List<AoeTarget> targets) => _targets = targets;

    public static async Task<AoeExports> StartAsync(IReadOnlyList<AoePortal> portals, IReadOnlyList<LiveLun> luns, ILogger logger, CancellationToken cancellationToken)
    {
        var targets = new List<AoeTarget>();
        try
        {
            var slots = new List<AoeSlotDefinition>();
            var used = new Dictionary<int, LiveLun>();
            foreach (var lun in luns)
            {
                int slot = lun.Config.AoeSlot ?? lun.Config.Number!.Value;
                if (slot > Parsing.LunSpecParser.MaxAoeSlot)
                {
                    throw CliException.Usage($"lun {lun.Config.Number} of {lun.Target} cannot be an AoE slot (0..{Parsing.LunSpecParser.MaxAoeSlot}); give it slot=N");
                }

                if (!used.TryAdd(slot, lun))
                {
                    throw CliException.Usage($"AoE slot {slot} is taken by lun {used[slot].Config.Number} of {used[slot].Target} and lun {lun.Config.Number} of {lun.Target}; give one of them slot=N");
                }

                if (lun.Device.BlockSize != Transport.Aoe.Ata.AtaDevice.SectorSize)
                {
                    throw CliException.Usage($"lun {lun.Config.Number} has {lun.Device.BlockSize}-byte blocks; AoE exports only 512-byte LUNs");
                }

                slots.Add(new AoeSlotDefinition((byte)slot, lun.Unit, lun.Config.AoeMacMask,
                    lun.Config.AoeConfigString is { } text ? System.Text.Encoding.UTF8.GetBytes(text) : null));
            }

            foreach (var portal in portals)
            {
                AoeTarget target;
                try
                {
                    target = await AoeTarget.StartAsync(portal.Interface, portal.Shelf, slots, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is EthernetLinkException or ArgumentException or InvalidOperationException)
                {
                    throw CliException.Runtime($"cannot serve {portal}: {e.Message}", e);
                }

                targets.Add(target);
                logger.LogInformation("AoE shelf {Shelf} on {Interface} ({Mac}, MTU {Mtu}, {Sectors} sectors a frame): slots {Slots}",
                    portal.Shelf, portal.Interface, target.Address, target.Mtu, target.SectorsPerFrame, string.Join(' ', target.Slots));
            }

            return new AoeExports(targets);
        }
        catch
        {
            foreach (var target in targets)
            {
                await target.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var target in _targets)
        {
            await target.DisposeAsync().ConfigureAwait(false);
        }

        _targets.Clear();
    }
}
