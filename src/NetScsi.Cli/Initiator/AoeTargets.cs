using System.Globalization;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Json.Output;
using NetScsi.Transport.Aoe.Client;
using NetScsi.Transport.Ethernet;

namespace NetScsi.Cli.Initiator;

/// <summary>
/// The one place the initiator commands turn an <c>aoe://IFACE/SHELF.SLOT</c> URL into an open <see cref="AoeDevice"/>
/// (the counterpart of <see cref="TargetResolver"/> and <see cref="Connections"/> for iSCSI), with failures as
/// <see cref="CliException"/>s that say where and why.
/// </summary>
internal static class AoeTargets
{
    public static bool IsAoe(string spec) => AoeUrl.IsAoeUrl(spec);

    public static AoeUrl Parse(string spec) =>
        AoeUrl.TryParse(spec, out var url, out var error) ? url : throw CliException.Usage($"invalid AoE URL '{spec}': {error}");

    /// <summary>Opens the device: Query Config and IDENTIFY; <c>--timeout</c> bounds each frame's retransmissions.</summary>
    public static async Task<AoeDevice> OpenAsync(string spec, InitiatorSettings settings, CancellationToken cancellationToken, bool inlineCompletions = false)
    {
        var url = Parse(spec);
        var options = new AoeClientOptions { Timeout = settings.Timeout ?? TargetResolver.DefaultTimeout, InlineCompletions = inlineCompletions };
        try
        {
            return await AoeDevice.OpenAsync(url.Interface, url.Shelf, url.Slot, options, cancellationToken).ConfigureAwait(false);
        }
        catch (EthernetLinkException e)
        {
            throw new CliException(e.IsPermissionDenied ? ExitCodes.RuntimeFailure : ExitCodes.ConnectFailure, $"{url}: {e.Message}", e);
        }
        catch (AoeException e)
        {
            throw new CliException(ExitCodes.ConnectFailure, e.Message, e);
        }
    }

    /// <summary>The broadcast Query Config on <paramref name="interfaceName"/>.</summary>
    public static async Task<IReadOnlyList<AoeTargetConfig>> DiscoverAsync(string interfaceName, TimeSpan wait, CancellationToken cancellationToken)
    {
        try
        {
            return await AoeDiscovery.DiscoverAsync(interfaceName, wait, cancellationToken).ConfigureAwait(false);
        }
        catch (EthernetLinkException e)
        {
            throw new CliException(e.IsPermissionDenied ? ExitCodes.RuntimeFailure : ExitCodes.ConnectFailure, $"AoE discovery on {interfaceName}: {e.Message}", e);
        }
    }

    /// <summary>What <c>capacity</c>, <c>ls</c> and <c>discover</c> print about a device.</summary>
    public static AoeDeviceJson Describe(AoeUrl url, AoeTargetConfig config, AtaIdentity? identity, string? error) => new(
        string.Create(CultureInfo.InvariantCulture, $"{config.Shelf}.{config.Slot}"),
        url.ToString(),
        config.Address.ToString(),
        identity is null ? null : identity.Sectors * AoeDevice.SectorSize,
        identity?.Sectors,
        AoeDevice.SectorSize,
        identity?.Model,
        identity?.Serial,
        identity?.Firmware,
        identity?.Lba48,
        config.BufferCount,
        config.SectorsPerCommand,
        config.FirmwareVersion,
        config.ConfigString,
        error);

    public static AoeDeviceJson Describe(AoeDevice device) =>
        Describe(new AoeUrl(device.InterfaceName, device.Shelf, device.Slot), device.Config, device.Identity, null);

    /// <summary>The two-column table of one device (capacity, ls).</summary>
    public static void WriteTable(CliContext context, AoeDeviceJson d, int sectorsPerFrame)
    {
        var table = Output.Table(context, "Field", "Value");
        Output.AddRow(table, "Device", $"{d.Url} (e{d.Device}) at {d.Mac}");
        Output.AddRow(table, "Size", d.SizeBytes is ulong bytes ? $"{Output.Size((long)bytes)} ({bytes.ToString(CultureInfo.InvariantCulture)} bytes)" : "-");
        Output.AddRow(table, "Sectors", d.Sectors?.ToString(CultureInfo.InvariantCulture) ?? "-");
        Output.AddRow(table, "Sector size", d.SectorSize.ToString(CultureInfo.InvariantCulture));
        Output.AddRow(table, "Model", d.Model ?? "-");
        Output.AddRow(table, "Serial", d.Serial ?? "-");
        Output.AddRow(table, "Firmware", d.Firmware ?? "-");
        Output.AddRow(table, "LBA48", d.Lba48 is bool lba48 ? (lba48 ? "yes" : "no") : "-");
        Output.AddRow(table, "Buffers (in flight)", d.BufferCount.ToString(CultureInfo.InvariantCulture));
        Output.AddRow(table, "Sectors per frame", string.Create(CultureInfo.InvariantCulture, $"{sectorsPerFrame} (target {d.SectorsPerCommand})"));
        Output.AddRow(table, "Config string", d.ConfigString);
        Output.Console(context).Write(table);
    }
}
