using System.Diagnostics.Metrics;

namespace NetScsi.Scsi.Metrics;

/// <summary>
/// The SCSI layer's instruments (System.Diagnostics.Metrics), per target and LUN, whatever transport carries the
/// commands. Nothing is measured while no listener (an exporter, <c>dotnet-counters</c>) is subscribed.
/// </summary>
public static class ScsiMeter
{
    /// <summary>The meter's name, for exporters to subscribe to.</summary>
    public const string Name = "NetScsi.Scsi";

    internal static readonly Meter Meter = new(Name);

    // The counters are totals each LunMetrics keeps itself (an Interlocked add per command) and a listener reads when it
    // collects: an exporter's per-measurement callback (prometheus-net's adapter looks the labelled child up on every
    // call) then runs once per scrape, not once per command. Only the duration is a measurement per command.
    internal static readonly ObservableCounter<long> Commands =
        Meter.CreateObservableCounter("commands", () => LunMetrics.Observe(LunMetrics.Counter.Commands), "{command}", "SCSI commands completed");

    internal static readonly ObservableCounter<long> ReadBytes =
        Meter.CreateObservableCounter("read_bytes", () => LunMetrics.Observe(LunMetrics.Counter.ReadBytes), "By", "Bytes returned to initiators (Data-In)");

    internal static readonly ObservableCounter<long> WrittenBytes =
        Meter.CreateObservableCounter("written_bytes", () => LunMetrics.Observe(LunMetrics.Counter.WrittenBytes), "By",
            "Bytes written by initiators (Data-Out) of commands that succeeded");

    internal static readonly Histogram<double> Duration =
        Meter.CreateHistogram<double>("command_duration_seconds", "s", "Time the logical unit took to execute a command");

    internal static readonly ObservableCounter<long> Errors =
        Meter.CreateObservableCounter("errors", LunMetrics.ObserveErrors, "{command}", "Commands that ended in CHECK CONDITION, by sense key");

    internal static readonly ObservableCounter<long> Busy =
        Meter.CreateObservableCounter("busy", () => LunMetrics.Observe(LunMetrics.Counter.Busy), "{command}", "Commands answered BUSY or TASK SET FULL");
}
