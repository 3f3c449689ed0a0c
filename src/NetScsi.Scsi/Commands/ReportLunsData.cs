using System.Buffers.Binary;

namespace NetScsi.Scsi.Commands;

/// <summary>
/// REPORT LUNS parameter data (SPC-4 §6.33.2): LUN LIST LENGTH (bytes 0-3, in bytes), 4 reserved bytes, then one
/// 8-byte LUN field per logical unit (SAM-5 §4.7; <see cref="ScsiTargetDevice.TryDecodeLun"/> reads one).
/// </summary>
public static class ReportLunsData
{
    /// <summary>The header is 8 bytes.</summary>
    public const int HeaderLength = 8;

    /// <summary>A LUN field is 8 bytes.</summary>
    public const int LunLength = 8;

    /// <summary>LUN LIST LENGTH: how many bytes of LUN fields the device has (more than arrived when the allocation was short).</summary>
    public static uint ReadListLength(ReadOnlySpan<byte> data) => BinaryPrimitives.ReadUInt32BigEndian(data);

    /// <summary>How many whole LUN fields <paramref name="data"/> holds, as the header says and as many as arrived.</summary>
    public static int CountReceived(ReadOnlySpan<byte> data) =>
        data.Length < HeaderLength ? 0 : (int)Math.Min(ReadListLength(data) / LunLength, (uint)((data.Length - HeaderLength) / LunLength));

    /// <summary>The LUN field at <paramref name="index"/> (below <see cref="CountReceived"/>).</summary>
    public static ulong ReadLun(ReadOnlySpan<byte> data, int index) =>
        BinaryPrimitives.ReadUInt64BigEndian(data[(HeaderLength + (index * LunLength))..]);
}
