using System.Diagnostics.Metrics;

namespace NetScsi.Storage.Rbd;

/// <summary>
/// The RBD store's instruments (System.Diagnostics.Metrics), per lock follower (one per target, LUN and image):
/// how often the gateway gained or lost the image's exclusive lock, and whether it holds it now. Both are observable
/// instruments read from the followers when an exporter collects, so nothing is recorded on the data path and
/// nothing at all while no listener is subscribed.
/// </summary>
public static class RbdMeter
{
    /// <summary>The meter's name, for exporters to subscribe to.</summary>
    public const string Name = "NetScsi.Rbd";

    private static readonly Lock s_lock = new();
    private static readonly List<RbdAluaLockFollower> s_followers = [];
    private static readonly Meter s_meter = CreateMeter();

    // The meter holds its instruments; they read the followers registered below when a listener collects.
    private static Meter CreateMeter()
    {
        var meter = new Meter(Name);
        meter.CreateObservableCounter("lock_handovers", () => Observe(static f => f.Handovers), "{handover}",
            "Times this gateway gained or lost the image's exclusive lock (taking it at start counts)");
        meter.CreateObservableGauge("lock_owner", () => Observe(static f => f.IsOwner ? 1 : 0), "{gateway}",
            "1 while this gateway holds the image's exclusive lock (its target port group active/optimized), else 0");
        return meter;
    }

    internal static void Add(RbdAluaLockFollower follower)
    {
        _ = s_meter;
        lock (s_lock)
        {
            s_followers.Add(follower);
        }
    }

    internal static void Remove(RbdAluaLockFollower follower)
    {
        lock (s_lock)
        {
            s_followers.Remove(follower);
        }
    }

    // Runs when a listener collects (a scrape), not per command.
    private static List<Measurement<long>> Observe(Func<RbdAluaLockFollower, long> value)
    {
        lock (s_lock)
        {
            var measurements = new List<Measurement<long>>(s_followers.Count);
            foreach (RbdAluaLockFollower follower in s_followers)
            {
                measurements.Add(new Measurement<long>(value(follower), follower.MetricTags));
            }

            return measurements;
        }
    }
}
