using System.Buffers.Binary;
using System.Text;
using NetScsi.Iscsi.Initiator;
using NetScsi.Scsi;
using NetScsi.Scsi.Commands;

namespace NetScsi.Cli.Initiator;

/// <summary>Logical block provisioning as READ CAPACITY(16) and VPD B0h/B2h report it (SBC-4 §5.21, §6.6.4, §6.6.6).</summary>
/// <param name="Thin">LBPME: the unit is thin provisioned.</param>
/// <param name="UnmappedReadsZero">LBPRZ: deallocated blocks read as zeros.</param>
/// <param name="Unmap">LBPU: UNMAP is supported.</param>
/// <param name="WriteSame16Unmap">LBPWS: WRITE SAME(16) with UNMAP is supported.</param>
/// <param name="MaxWriteSameBlocks">MAXIMUM WRITE SAME LENGTH, 0 when not reported.</param>
/// <param name="MaxUnmapBlocks">MAXIMUM UNMAP LBA COUNT, 0 when not reported.</param>
internal sealed record Provisioning(bool Thin, bool UnmappedReadsZero, bool Unmap, bool WriteSame16Unmap, ulong MaxWriteSameBlocks, uint MaxUnmapBlocks);

/// <summary>One target port group of REPORT TARGET PORT GROUPS; <paramref name="ThisPath"/>: the port this session uses is in it.</summary>
internal sealed record TargetPortGroupInfo(ushort Tpg, string State, IReadOnlyList<ushort> Ports, bool ThisPath);

/// <summary>The SCSI questions the CLI asks beyond the session's conveniences; all tolerate targets that do not answer them.</summary>
internal static class ScsiQueries
{
    private const ushort VpdAllocationLength = 512;

    /// <summary>An INQUIRY VPD page, or null when the target rejects it.</summary>
    public static async Task<byte[]?> VpdAsync(IscsiSession session, ulong lun, byte page, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[VpdAllocationLength];
        byte[] cdb = new byte[InquiryCdb.Length];
        InquiryCdb.VitalProductData(page, VpdAllocationLength).WriteTo(cdb);
        for (int attempt = 0; attempt < 3; attempt++)
        {
            ScsiResult result = await session.ExecuteAsync(lun, cdb, buffer, default, cancellationToken).ConfigureAwait(false);
            if (result.IsGood && result.DataInLength >= VpdPage.HeaderLength && buffer[VpdPage.PageCodeOffset] == page)
            {
                return buffer.AsSpan(0, result.DataInLength).ToArray();
            }

            if (result.SenseKey != SenseKey.UnitAttention)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>VPD 80h unit serial number, or null.</summary>
    public static async Task<string?> SerialAsync(IscsiSession session, ulong lun, CancellationToken cancellationToken)
    {
        byte[]? page = await VpdAsync(session, lun, VpdPage.UnitSerialNumber, cancellationToken).ConfigureAwait(false);
        if (page is null)
        {
            return null;
        }

        int length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(page.AsSpan(2)), page.Length - 4);
        return Encoding.ASCII.GetString(page, 4, length).Trim();
    }

    /// <summary>VPD 83h designators as "type:value" strings (NAA/EUI as hex, names as text).</summary>
    public static async Task<IReadOnlyList<string>> DesignatorsAsync(IscsiSession session, ulong lun, CancellationToken cancellationToken)
    {
        byte[]? page = await VpdAsync(session, lun, VpdPage.DeviceIdentification, cancellationToken).ConfigureAwait(false);
        var list = new List<string>();
        if (page is null)
        {
            return list;
        }

        int end = Math.Min(4 + BinaryPrimitives.ReadUInt16BigEndian(page.AsSpan(2)), page.Length);
        for (int offset = 4; offset + 4 <= end;)
        {
            int codeSet = page[offset] & 0x0F;
            int type = page[offset + 1] & 0x0F;
            int length = page[offset + 3];
            if (offset + 4 + length > end)
            {
                break;
            }

            var value = page.AsSpan(offset + 4, length);
            string text = codeSet is 2 or 3 ? Encoding.UTF8.GetString(value).TrimEnd('\0', ' ') : Convert.ToHexStringLower(value);
            string name = type switch
            {
                0 => "vendor",
                1 => "t10",
                2 => "eui64",
                3 => "naa",
                4 => "relative-port",
                5 => "port-group",
                6 => "lu-group",
                7 => "md5",
                8 => "scsi-name",
                _ => "type" + type,
            };
            list.Add($"{name}:{text}");
            offset += 4 + length;
        }

        return list;
    }

    /// <summary>
    /// REPORT TARGET PORT GROUPS (SPC-4 §6.27): every group with its state and ports, and which group this path's port is
    /// in (VPD 83h); null when the unit has no ALUA (or refuses the command).
    /// </summary>
    public static async Task<IReadOnlyList<TargetPortGroupInfo>?> TargetPortGroupsAsync(IscsiSession session, ulong lun, CancellationToken cancellationToken)
    {
        const int allocationLength = 4096;
        byte[] buffer = new byte[allocationLength];
        byte[] cdb = new byte[12];
        cdb[0] = ScsiOpcode.MaintenanceIn;
        cdb[1] = ScsiOpcode.ReportTargetPortGroupsServiceAction;
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(6), allocationLength);
        ScsiResult result = default;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            result = await session.ExecuteAsync(lun, cdb, buffer, default, cancellationToken).ConfigureAwait(false);
            if (result.IsGood || result.SenseKey != SenseKey.UnitAttention)
            {
                break;
            }
        }

        if (!result.IsGood || result.DataInLength < 4)
        {
            return null;
        }

        string? ownGroup = (await DesignatorsAsync(session, lun, cancellationToken).ConfigureAwait(false))
            .FirstOrDefault(d => d.StartsWith("port-group:", StringComparison.Ordinal));
        ushort own = ownGroup is null ? (ushort)0 : Convert.ToUInt16(ownGroup["port-group:".Length..], 16);
        var groups = new List<TargetPortGroupInfo>();
        int end = Math.Min(4 + (int)BinaryPrimitives.ReadUInt32BigEndian(buffer), result.DataInLength);
        for (int offset = 4; offset + 8 <= end;)
        {
            int count = buffer[offset + 7];
            var ports = new List<ushort>();
            for (int i = 0; i < count && offset + 8 + (4 * i) + 4 <= end; i++)
            {
                ports.Add(BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(offset + 8 + (4 * i) + 2)));
            }

            ushort id = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(offset + 2));
            var state = (Scsi.Alua.AsymmetricAccessState)(buffer[offset] & 0x0F);
            groups.Add(new TargetPortGroupInfo(id, Scsi.Alua.AsymmetricAccessStates.Name(state), ports, id == own));
            offset += 8 + (4 * count);
        }

        return groups;
    }

    /// <summary>What the unit says about thin provisioning; all false when it says nothing.</summary>
    public static async Task<Provisioning> ProvisioningAsync(IscsiSession session, ulong lun, CancellationToken cancellationToken)
    {
        bool thin = false, readsZero = false, unmap = false, ws16 = false;
        ulong maxWriteSame = 0;
        uint maxUnmap = 0;
        byte[] buffer = new byte[ServiceActionIn16Cdb.ReadCapacity16DataLength];
        byte[] cdb = new byte[ServiceActionIn16Cdb.Length];
        ServiceActionIn16Cdb.ReadCapacity16().WriteTo(cdb);
        for (int attempt = 0; attempt < 3; attempt++)
        {
            ScsiResult result = await session.ExecuteAsync(lun, cdb, buffer, default, cancellationToken).ConfigureAwait(false);
            if (result.IsGood && result.DataInLength >= ReadCapacity16Data.ProvisioningLength
                && ReadCapacity16Data.TryParse(buffer.AsSpan(0, result.DataInLength), out ReadCapacity16Data capacity))
            {
                thin = capacity.ProvisioningManagement;
                readsZero = capacity.UnmappedReadsZero;
                break;
            }

            if (result.SenseKey != SenseKey.UnitAttention)
            {
                break;
            }
        }

        if (await VpdAsync(session, lun, VpdPage.LogicalBlockProvisioning, cancellationToken).ConfigureAwait(false) is { Length: >= 6 } b2)
        {
            unmap = (b2[5] & 0x80) != 0;
            ws16 = (b2[5] & 0x40) != 0;
        }

        if (await VpdAsync(session, lun, VpdPage.BlockLimits, cancellationToken).ConfigureAwait(false) is { } b0)
        {
            if (b0.Length >= 24)
            {
                maxUnmap = BinaryPrimitives.ReadUInt32BigEndian(b0.AsSpan(20));
            }

            if (b0.Length >= 44)
            {
                maxWriteSame = BinaryPrimitives.ReadUInt64BigEndian(b0.AsSpan(36));
            }
        }

        return new Provisioning(thin, readsZero, unmap, ws16, maxWriteSame, maxUnmap);
    }
}
