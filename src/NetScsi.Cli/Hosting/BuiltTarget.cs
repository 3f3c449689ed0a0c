using NetScsi.Cli.Configuration;
using NetScsi.Iscsi.Configuration;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;

namespace NetScsi.Cli.Hosting;

/// <summary>
/// Server options ready to serve, what they contain, and the devices to dispose afterwards. The control plane adds
/// to and removes from <see cref="Devices"/> and <see cref="Luns"/> while the target runs (one change at a time).
/// </summary>
internal sealed record BuiltTarget(IscsiTargetOptions Options, IReadOnlyList<ServedTarget> Targets, List<IBlockDevice> Devices, List<LiveLun> Luns);

/// <summary>One served LUN: its configuration (kept current: size), the store it opened, what serves it, and its unit.</summary>
/// <param name="Target">The target's IQN.</param>
/// <param name="Config">The LUN's configuration, as saveconfig writes it.</param>
/// <param name="Base">The store itself (resized through it).</param>
/// <param name="Device">What the unit reads and writes: <paramref name="Base"/>, or a wrapper of it.</param>
/// <param name="Unit">The logical unit.</param>
/// <param name="Watcher">What watches the device for the unit (an ALUA lock follower), or null: stopped before the device closes.</param>
internal sealed record LiveLun(string Target, LunConfig Config, IBlockDevice Base, IBlockDevice Device, BlockLogicalUnit Unit, IAsyncDisposable? Watcher = null)
{
    /// <summary>Stops the watcher, then closes the device (a LUN removed or not added after all).</summary>
    public async ValueTask CloseAsync()
    {
        if (Watcher is not null)
        {
            await Watcher.DisposeAsync().ConfigureAwait(false);
        }

        await Device.DisposeAsync().ConfigureAwait(false);
    }
}
