using System.Text;
using NetScsi.Transport.Ethernet;

namespace NetScsi.Transport.Aoe.Client;

/// <summary>One Query Config reply (AoE r11 §4.1): who answered and what it accepts.</summary>
/// <param name="Address">The target's MAC (the reply's source).</param>
/// <param name="Shelf">Major address.</param>
/// <param name="Slot">Minor address.</param>
/// <param name="BufferCount">Requests the target queues: the client keeps at most this many in flight.</param>
/// <param name="FirmwareVersion">As the target reports it.</param>
/// <param name="SectorsPerCommand">The most sectors one ATA command may carry (0: not stated, the MTU alone limits it).</param>
/// <param name="ConfigString">The target's config string, as ASCII.</param>
public sealed record AoeTargetConfig(MacAddress Address, ushort Shelf, byte Slot, ushort BufferCount, ushort FirmwareVersion, byte SectorsPerCommand, string ConfigString)
{
    /// <summary>Decodes a Query Config reply frame; false when it is not one (or is an error reply).</summary>
    public static bool TryParse(ReadOnlySpan<byte> frame, out AoeHeader header, out AoeTargetConfig? config)
    {
        config = null;
        if (AoeHeader.TryRead(frame, out header) != AoeReadStatus.Ok
            || !header.IsResponse
            || (header.Flags & AoeFlags.Error) != 0
            || header.Command != AoeCommand.QueryConfig
            || AoeConfigHeader.TryRead(frame[AoeHeader.Length..], out var argument, out var text) != AoeReadStatus.Ok)
        {
            return false;
        }

        config = new AoeTargetConfig(header.Source, header.Major, header.Minor, argument.BufferCount, argument.FirmwareVersion, argument.SectorCount,
            Encoding.ASCII.GetString(text));
        return true;
    }

    /// <summary>Writes a Query Config read request (the argument all zeros but the version and CCmd).</summary>
    /// <returns>The frame's length, padded to 60.</returns>
    public static int WriteRequest(Span<byte> frame, MacAddress source, MacAddress destination, ushort shelf, byte slot, uint tag)
    {
        var header = new AoeHeader { Destination = destination, Source = source, Major = shelf, Minor = slot, Command = AoeCommand.QueryConfig, Tag = tag };
        header.WriteTo(frame);
        new AoeConfigHeader { Version = AoeHeader.CurrentVersion, Command = AoeConfigCommand.Read }.WriteTo(frame[AoeHeader.Length..]);
        int length = AoeHeader.Length + AoeConfigHeader.Length;
        frame[length..AoeResponse.MinimumFrameLength].Clear();
        return AoeResponse.MinimumFrameLength;
    }
}
