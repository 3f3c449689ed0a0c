using System.Buffers.Binary;
using NetScsi.Scsi.Commands;

namespace NetScsi.Scsi;

/// <summary>
/// A SCSI target device (SAM-5 §4.5): logical units by LUN, plus what belongs to the device rather than
/// a unit: decoding the LUN field, REPORT LUNS, and the answers for a LUN that does not exist. A
/// per-initiator view (LUN masking) is another instance over a subset of the same units.
/// </summary>
public sealed class ScsiTargetDevice : ILogicalUnitResolver
{
    /// <summary>Highest LUN addressable with single-level flat space addressing (SAM-5 §4.7.7).</summary>
    public const int MaxLun = 16383;

    private const int ReportLunsHeaderLength = 8;

    // SPC-4 §6.6.2: the standard INQUIRY data of an absent LUN: PERIPHERAL QUALIFIER 011b (not capable of supporting a
    // device at this LUN), type 1Fh, SPC-4, HISUP, RESPONSE DATA FORMAT 2, the 36 mandatory bytes.
    private const int AbsentLunInquiryLength = 36;
    private const byte NotCapablePeripheralQualifier = 0x60;
    private const byte Spc4Version = 0x06;
    private const byte HierarchicalSupportAndResponseDataFormat2 = 0x12;

    // Direct index for the usual small LUN numbers; sparse high numbers fall back to binary search so a
    // per-initiator view stays cheap to build whatever LUN numbers it holds.
    private const int MaxDirectIndex = 1024;

    private readonly ILogicalUnit?[] _units;
    private readonly int[] _numbers;
    private readonly KeyValuePair<int, ILogicalUnit>[] _sorted;
    private readonly IReadOnlyList<KeyValuePair<int, ILogicalUnit>> _readOnlyView;

    public ScsiTargetDevice(IEnumerable<KeyValuePair<int, ILogicalUnit>> lunsByNumber)
    {
        ArgumentNullException.ThrowIfNull(lunsByNumber);
        var list = new List<KeyValuePair<int, ILogicalUnit>>();
        int highest = -1;
        foreach (KeyValuePair<int, ILogicalUnit> entry in lunsByNumber)
        {
            if ((uint)entry.Key > MaxLun)
            {
                throw new ArgumentOutOfRangeException(nameof(lunsByNumber), entry.Key, "LUN numbers are 0..16383.");
            }
            ArgumentNullException.ThrowIfNull(entry.Value, nameof(lunsByNumber));
            list.Add(entry);
            highest = Math.Max(highest, entry.Key);
        }
        list.Sort(static (a, b) => a.Key.CompareTo(b.Key));
        for (int i = 1; i < list.Count; i++)
        {
            if (list[i].Key == list[i - 1].Key)
            {
                throw new ArgumentException($"LUN {list[i].Key} appears twice.", nameof(lunsByNumber));
            }
        }
        _units = new ILogicalUnit?[Math.Min(highest + 1, MaxDirectIndex)];
        _numbers = new int[list.Count];
        for (int i = 0; i < list.Count; i++)
        {
            _numbers[i] = list[i].Key;
            if (list[i].Key < _units.Length)
            {
                _units[list[i].Key] = list[i].Value;
            }
        }
        _sorted = list.ToArray();
        _readOnlyView = Array.AsReadOnly(_sorted);
    }

    /// <summary>The units by LUN number, ascending.</summary>
    public IEnumerable<KeyValuePair<int, ILogicalUnit>> LogicalUnits => _readOnlyView;

    /// <summary>Finds the unit a LUN field addresses.</summary>
    public bool TryGetLogicalUnit(ulong lunField, out ILogicalUnit unit)
    {
        if (TryDecodeLun(lunField, out int number))
        {
            if ((uint)number < (uint)_units.Length)
            {
                if (_units[number] is ILogicalUnit found)
                {
                    unit = found;
                    return true;
                }
            }
            else
            {
                int index = Array.BinarySearch(_numbers, number);
                if (index >= 0)
                {
                    unit = _sorted[index].Value;
                    return true;
                }
            }
        }
        // Callers only read the unit when this returns true.
        unit = null!;
        return false;
    }

    /// <summary>
    /// SAM-5 §4.7: the 8-byte LUN field for a LUN number: peripheral device addressing (§4.7.6) below 256,
    /// flat space addressing (§4.7.7) above.
    /// </summary>
    public static ulong EncodeLun(int number)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(number);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(number, MaxLun);
        ulong firstLevel = number < 256 ? (ulong)number : 0x4000UL | (ulong)number;
        return firstLevel << 48;
    }

    /// <summary>
    /// Decodes a single-level LUN: peripheral device addressing with BUS IDENTIFIER 0, or flat space
    /// addressing; the second to fourth levels must be zero.
    /// </summary>
    public static bool TryDecodeLun(ulong field, out int number)
    {
        number = 0;
        if ((field & 0x0000_FFFF_FFFF_FFFFUL) != 0)
        {
            return false;
        }
        int firstLevel = (int)(field >> 48);
        switch (firstLevel >> 14)
        {
            case 0b00:
                // Peripheral device addressing: BUS IDENTIFIER (bits 13-8) must be 0 for this device.
                if ((firstLevel & 0x3F00) != 0)
                {
                    return false;
                }
                number = firstLevel & 0xFF;
                return true;
            case 0b01:
                number = firstLevel & 0x3FFF;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Executes a command addressed to this device.</summary>
    public ValueTask ExecuteAsync(ScsiTask task, CancellationToken cancellationToken)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        byte opcode = cdb.IsEmpty ? (byte)0xFF : cdb[0];
        // SPC-4 §6.33: REPORT LUNS is answered through any LUN, including an absent LUN 0.
        if (opcode == ScsiOpcode.ReportLuns)
        {
            ReportLuns(task);
            return default;
        }
        if (TryGetLogicalUnit(task.Lun, out ILogicalUnit unit))
        {
            task.LogicalUnits = this;
            return unit.ExecuteAsync(task, cancellationToken);
        }
        AnswerForAbsentLun(task, opcode);
        return default;
    }

    /// <inheritdoc/>
    public bool TryFindByDesignator(int codeSet, int designatorType, ReadOnlySpan<byte> designator, out ILogicalUnit unit)
    {
        foreach (KeyValuePair<int, ILogicalUnit> entry in _sorted)
        {
            if (entry.Value is IDesignatedLogicalUnit designated && designated.HasDesignator(codeSet, designatorType, designator))
            {
                unit = entry.Value;
                return true;
            }
        }
        unit = null!;
        return false;
    }

    /// <summary>Forwards a reset or nexus event to every unit.</summary>
    public void OnEvent(LogicalUnitEvent evt, ItNexus? origin)
    {
        foreach (KeyValuePair<int, ILogicalUnit> entry in _sorted)
        {
            entry.Value.OnEvent(evt, origin);
        }
    }

    /// <summary>
    /// SPC-4 §4.5.4 (incorrect logical unit selection): INQUIRY returns PERIPHERAL QUALIFIER 011b / device
    /// type 1Fh; REQUEST SENSE returns GOOD with sense data LOGICAL UNIT NOT SUPPORTED; anything else is
    /// CHECK CONDITION, ILLEGAL REQUEST, LOGICAL UNIT NOT SUPPORTED.
    /// </summary>
    private static void AnswerForAbsentLun(ScsiTask task, byte opcode)
    {
        task.Status = ScsiStatus.Good;
        task.DataInLength = 0;
        task.CommandTransferLength = -1;
        task.SetSenseLength(0);
        ReadOnlySpan<byte> cdb = task.Cdb;
        if (opcode == ScsiOpcode.Inquiry && cdb.Length >= 6 && (cdb[1] & 0x03) == 0 && cdb[2] == 0)
        {
            Span<byte> d = stackalloc byte[AbsentLunInquiryLength];
            d.Clear();
            d[0] = NotCapablePeripheralQualifier | PeripheralDeviceType.UnknownOrNone;
            d[2] = Spc4Version;
            d[3] = HierarchicalSupportAndResponseDataFormat2;
            d[4] = AbsentLunInquiryLength - 5; // ADDITIONAL LENGTH
            ScsiTaskData.CompleteDataIn(task, d, BinaryPrimitives.ReadUInt16BigEndian(cdb[3..]));
            return;
        }
        if (opcode == ScsiOpcode.RequestSense && cdb.Length >= 6)
        {
            Span<byte> sense = stackalloc byte[SenseData.MaxDescriptorLength];
            int n = SenseData.Write(sense, (cdb[1] & 0x01) != 0, SenseKey.IllegalRequest,
                Asc.Code(Asc.LogicalUnitNotSupported), Asc.Qualifier(Asc.LogicalUnitNotSupported));
            ScsiTaskData.CompleteDataIn(task, sense[..n], cdb[4]);
            return;
        }
        task.CheckCondition(SenseKey.IllegalRequest, Asc.LogicalUnitNotSupported);
    }

    /// <summary>SPC-4 §6.33: REPORT LUNS.</summary>
    private void ReportLuns(ScsiTask task)
    {
        task.Status = ScsiStatus.Good;
        task.DataInLength = 0;
        task.CommandTransferLength = -1;
        task.SetSenseLength(0);
        ReadOnlySpan<byte> cdb = task.Cdb;
        if (cdb.Length < 12)
        {
            task.InvalidFieldInCdb(0);
            return;
        }
        byte selectReport = cdb[2];
        uint allocationLength = BinaryPrimitives.ReadUInt32BigEndian(cdb[6..]);
        // SELECT REPORT 00h: all LUNs but well-known ones; 01h: well-known only (none here); 02h: all.
        if (selectReport > 0x02)
        {
            task.InvalidFieldInCdb(2);
            return;
        }
        if (allocationLength < 16)
        {
            task.InvalidFieldInCdb(6);
            return;
        }
        int count = selectReport == 0x01 ? 0 : _sorted.Length;
        int total = ReportLunsHeaderLength + (count * 8);
        int limit = (int)Math.Min(allocationLength, (uint)total);
        task.CommandTransferLength = limit;
        Span<byte> buffer = task.Buffer.Span;
        int n = Math.Min(limit, ScsiTaskData.DataInCapacity(task));
        // Written straight into the task buffer, clipped to what fits: the list can be 128 KiB.
        Span<byte> header = stackalloc byte[ReportLunsHeaderLength];
        header.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)(count * 8)); // LUN LIST LENGTH
        header[..Math.Min(n, ReportLunsHeaderLength)].CopyTo(buffer);
        Span<byte> entry = stackalloc byte[8];
        for (int i = 0; i < count; i++)
        {
            int offset = ReportLunsHeaderLength + (i * 8);
            if (offset >= n)
            {
                break;
            }
            BinaryPrimitives.WriteUInt64BigEndian(entry, EncodeLun(_sorted[i].Key));
            entry[..Math.Min(8, n - offset)].CopyTo(buffer[offset..]);
        }
        task.DataInLength = n;
    }

}
