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

    internal static readonly Counter<long> Commands =
        Meter.CreateCounter<long>("commands", "{command}", "SCSI commands completed");

    internal static readonly Counter<long> ReadBytes =
        Meter.CreateCounter<long>("read_bytes", "By", "Bytes returned to initiators (Data-In)");

    internal static readonly Counter<long> WrittenBytes =
        Meter.CreateCounter<long>("written_bytes", "By", "Bytes written by initiators (Data-Out) of commands that succeeded");

    internal static readonly Histogram<double> Duration =
        Meter.CreateHistogram<double>("command_duration_seconds", "s", "Time the logical unit took to execute a command");

    internal static readonly Counter<long> Errors =
        Meter.CreateCounter<long>("errors", "{command}", "Commands that ended in CHECK CONDITION, by sense key");

    internal static readonly Counter<long> Busy =
        Meter.CreateCounter<long>("busy", "{command}", "Commands answered BUSY or TASK SET FULL");
}
