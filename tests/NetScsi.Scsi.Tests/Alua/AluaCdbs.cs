using System.Buffers.Binary;
using NetScsi.Scsi.Alua;
using NetScsi.Scsi.Commands;

namespace NetScsi.Scsi.Tests.Alua;

/// <summary>REPORT / SET TARGET PORT GROUPS CDBs and parameter lists, built by hand from SPC-4 §6.27 and §6.39.</summary>
internal static class AluaCdbs
{
    public static byte[] ReportTargetPortGroups(bool extended = false, uint allocationLength = 1024)
    {
        byte[] c = new byte[12];
        c[0] = ScsiOpcode.MaintenanceIn;
        c[1] = (byte)((extended ? 0x20 : 0x00) | ScsiOpcode.ReportTargetPortGroupsServiceAction);
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(6), allocationLength);
        return c;
    }

    public static byte[] SetTargetPortGroups(uint parameterListLength)
    {
        byte[] c = new byte[12];
        c[0] = ScsiOpcode.MaintenanceOut;
        c[1] = ScsiOpcode.SetTargetPortGroupsServiceAction;
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(6), parameterListLength);
        return c;
    }

    public static byte[] SetTargetPortGroupsParameters(params (ushort Group, AsymmetricAccessState State)[] descriptors)
    {
        byte[] p = new byte[4 + (4 * descriptors.Length)];
        for (int i = 0; i < descriptors.Length; i++)
        {
            p[4 + (4 * i)] = (byte)descriptors[i].State;
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4 + (4 * i) + 2), descriptors[i].Group);
        }
        return p;
    }

    /// <summary>The groups of REPORT TARGET PORT GROUPS data: id, state, status, ports.</summary>
    public static List<(ushort Id, AsymmetricAccessState State, byte Status, byte Supported, ushort[] Ports)> ParseGroups(ReadOnlySpan<byte> d, bool extended)
    {
        var groups = new List<(ushort, AsymmetricAccessState, byte, byte, ushort[])>();
        int end = 4 + (int)BinaryPrimitives.ReadUInt32BigEndian(d);
        for (int offset = extended ? 8 : 4; offset < end;)
        {
            int count = d[offset + 7];
            var ports = new ushort[count];
            for (int i = 0; i < count; i++)
            {
                ports[i] = BinaryPrimitives.ReadUInt16BigEndian(d[(offset + 8 + (4 * i) + 2)..]);
            }
            groups.Add((BinaryPrimitives.ReadUInt16BigEndian(d[(offset + 2)..]), (AsymmetricAccessState)(d[offset] & 0x0F), d[offset + 5], d[offset + 1], ports));
            offset += 8 + (4 * count);
        }
        return groups;
    }
}
