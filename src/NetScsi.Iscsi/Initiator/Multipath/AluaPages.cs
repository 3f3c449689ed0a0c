using System.Buffers.Binary;
using NetScsi.Scsi.Alua;

namespace NetScsi.Iscsi.Initiator.Multipath;

/// <summary>
/// What a multipath initiator reads of a unit's ALUA pages: the target port group of the port it talks to (VPD 83h,
/// designator type 5, SPC-4 §7.8.6.6) and that group's state in REPORT TARGET PORT GROUPS (SPC-4 §6.36). Codec only.
/// </summary>
public static class AluaPages
{
    /// <summary>MAINTENANCE IN / REPORT TARGET PORT GROUPS with <paramref name="allocationLength"/> into <paramref name="cdb"/> (12 bytes).</summary>
    public static void BuildReportTargetPortGroups(Span<byte> cdb, uint allocationLength)
    {
        cdb[..12].Clear();
        cdb[0] = Scsi.Commands.ScsiOpcode.MaintenanceIn;
        cdb[1] = Scsi.Commands.ScsiOpcode.ReportTargetPortGroupsServiceAction;
        BinaryPrimitives.WriteUInt32BigEndian(cdb[6..], allocationLength);
    }

    /// <summary>The target port group designator of a VPD 83h page, if it has one.</summary>
    public static bool TryGetPortGroup(ReadOnlySpan<byte> vpd83, out ushort group)
    {
        group = 0;
        if (vpd83.Length < 4 || vpd83[1] != 0x83)
        {
            return false;
        }

        int end = Math.Min(4 + BinaryPrimitives.ReadUInt16BigEndian(vpd83[2..]), vpd83.Length);
        for (int offset = 4; offset + 4 <= end;)
        {
            int length = vpd83[offset + 3];
            if (offset + 4 + length > end)
            {
                return false;
            }

            if ((vpd83[offset + 1] & 0x0F) == 5 && length >= 4)
            {
                group = BinaryPrimitives.ReadUInt16BigEndian(vpd83[(offset + 6)..]);
                return true;
            }

            offset += 4 + length;
        }

        return false;
    }

    /// <summary>The state REPORT TARGET PORT GROUPS data gives <paramref name="group"/>, if it lists that group.</summary>
    public static bool TryGetGroupState(ReadOnlySpan<byte> data, ushort group, out AsymmetricAccessState state)
    {
        state = default;
        if (data.Length < 4)
        {
            return false;
        }

        int end = (int)Math.Min(4 + (long)BinaryPrimitives.ReadUInt32BigEndian(data), data.Length);
        for (int offset = 4; offset + 8 <= end;)
        {
            if (BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]) == group)
            {
                state = (AsymmetricAccessState)(data[offset] & 0x0F);
                return true;
            }

            offset += 8 + (4 * data[offset + 7]);
        }

        return false;
    }
}
