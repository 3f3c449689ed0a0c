using System.Diagnostics;
using NetScsi.Transport.Ethernet;

namespace NetScsi.Transport.Aoe.Client;

/// <summary>
/// Finds the AoE devices on a segment: a Query Config to every shelf and slot (major FFFFh, minor FFh, to the
/// broadcast MAC), which every target answers once per device it exports (r11 §4.1); the replies are collected for
/// the given wait. The query goes out twice (at the start and half-way) against a lost frame.
/// </summary>
public static class AoeDiscovery
{
    /// <exception cref="EthernetLinkException">The interface cannot be opened (missing, or no root / CAP_NET_RAW).</exception>
    public static Task<IReadOnlyList<AoeTargetConfig>> DiscoverAsync(string interfaceName, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        var link = PacketSocketLink.Open(interfaceName, 64, AoeHeader.EtherType);
        return DiscoverAsync(link, wait, cancellationToken);
    }

    internal static Task<IReadOnlyList<AoeTargetConfig>> DiscoverAsync(IFrameLink link, TimeSpan wait, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() =>
        {
            using (link)
            {
                return Collect(link, wait, cancellationToken);
            }
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static IReadOnlyList<AoeTargetConfig> Collect(IFrameLink link, TimeSpan wait, CancellationToken cancellationToken)
    {
        uint tag = (uint)Random.Shared.Next();
        var batch = new FrameBatch(64, link.Mtu + EthernetHeader.Length);
        var found = new List<AoeTargetConfig>();
        var stopwatch = Stopwatch.StartNew();
        bool resent = false;
        Send(link, batch, tag);
        while (stopwatch.Elapsed < wait)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!resent && stopwatch.Elapsed >= wait / 2)
            {
                Send(link, batch, tag);
                resent = true;
            }

            link.Receive(batch);
            for (int i = 0; i < batch.Count; i++)
            {
                if (AoeTargetConfig.TryParse(batch.Frame(i), out var header, out var config) && header.Tag == tag
                    && !found.Exists(f => f.Address == config!.Address && f.Shelf == config.Shelf && f.Slot == config.Slot))
                {
                    found.Add(config!);
                }
            }

            if (batch.Count == 0)
            {
                link.Wait((int)Math.Clamp((wait - stopwatch.Elapsed).TotalMilliseconds / 4, 1, 50));
            }
        }

        found.Sort((a, b) => a.Shelf != b.Shelf ? a.Shelf.CompareTo(b.Shelf) : a.Slot != b.Slot ? a.Slot.CompareTo(b.Slot) : a.Address.Value.CompareTo(b.Address.Value));
        return found;
    }

    private static void Send(IFrameLink link, FrameBatch batch, uint tag)
    {
        int length = AoeTargetConfig.WriteRequest(batch.Slot(0), link.Address, MacAddress.Broadcast, AoeHeader.BroadcastMajor, AoeHeader.BroadcastMinor, tag);
        batch.SetLength(0, length);
        batch.Count = 1;
        link.Send(batch);
    }
}
