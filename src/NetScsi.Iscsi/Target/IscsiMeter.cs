using System.Diagnostics.Metrics;

namespace NetScsi.Iscsi.Target;

/// <summary>
/// The iSCSI target's instruments (System.Diagnostics.Metrics): sessions, connections, logins, digest errors,
/// task management and CmdSN window refusals. Per-LUN command figures are the SCSI layer's
/// (<see cref="Scsi.Metrics.ScsiMeter"/>).
/// </summary>
public static class IscsiMeter
{
    /// <summary>The meter's name, for exporters to subscribe to.</summary>
    public const string Name = "NetScsi.Iscsi";

    private static readonly Meter s_meter = new(Name);

    internal static readonly UpDownCounter<long> Sessions =
        s_meter.CreateUpDownCounter<long>("sessions", "{session}", "Normal sessions established, by target");

    internal static readonly UpDownCounter<long> Connections =
        s_meter.CreateUpDownCounter<long>("connections", "{connection}", "Connections open (in login or full feature)");

    internal static readonly Counter<long> Logins =
        s_meter.CreateCounter<long>("logins", "{login}", "Logins that ended, by result (success or the failure's status)");

    internal static readonly Counter<long> DigestErrors =
        s_meter.CreateCounter<long>("digest_errors", "{pdu}", "PDUs with a bad header or data digest");

    internal static readonly Counter<long> TaskManagement =
        s_meter.CreateCounter<long>("task_management", "{request}", "Task management requests, by function");

    internal static readonly Counter<long> CmdSNRefused =
        s_meter.CreateCounter<long>("cmdsn_refused", "{pdu}", "Commands dropped because their CmdSN was outside the window");

    internal static readonly Counter<long> CmdSNHeld =
        s_meter.CreateCounter<long>("cmdsn_held", "{command}", "Commands received ahead of a CmdSN hole and held until it filled");

    internal static void Login(string result) => Logins.Add(1, new KeyValuePair<string, object?>("result", result));

    internal static void DigestError(string kind) => DigestErrors.Add(1, new KeyValuePair<string, object?>("kind", kind));
}
