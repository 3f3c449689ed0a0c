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

    private const int ReportLunsHeaderLength = ReportLunsData.HeaderLength;

    // SAM-5 §4.7: the first level of a LUN field is its top 16 bits: ADDRESS METHOD (bits 15-14), then the address.
    private const int FirstLevelShift = 48;
    private const ulong LowerLevelsMask = 0x0000_FFFF_FFFF_FFFFUL;
    private const int AddressMethodShift = 14;
    private const int PeripheralDeviceAddressing = 0b00;
    private const int FlatSpaceAddressing = 0b01;
    private const ulong FlatSpaceAddressMethod = (ulong)FlatSpaceAddressing << AddressMethodShift;
    private const int PeripheralAddressingLimit = 256;
    private const int BusIdentifierMask = 0x3F00;
    private const int PeripheralLunMask = 0xFF;
    private const int FlatSpaceLunMask = 0x3FFF;

    // No CDB at all: no operation code matches.
    private const byte NoOpcode = 0xFF;

    // SPC-4 §6.6.2: the standard INQUIRY data of an absent LUN: PERIPHERAL QUALIFIER 011b (not capable of supporting a
    // device at this LUN), type 1Fh, SPC-4, HISUP, RESPONSE DATA FORMAT 2, the 36 mandatory bytes.
    private const int AbsentLunInquiryLength = StandardInquiryData.MinimumLength;
    private const byte NotCapablePeripheralQualifier = 0x60;

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
        ulong firstLevel = number < PeripheralAddressingLimit ? (ulong)number : FlatSpaceAddressMethod | (ulong)number;
        return firstLevel << FirstLevelShift;
    }

    /// <summary>
    /// Decodes a single-level LUN: peripheral device addressing with BUS IDENTIFIER 0, or flat space
    /// addressing; the second to fourth levels must be zero.
    /// </summary>
    public static bool TryDecodeLun(ulong field, out int number)
    {
        number = 0;
        if ((field & LowerLevelsMask) != 0)
        {
            return false;
        }
        int firstLevel = (int)(field >> FirstLevelShift);
        switch (firstLevel >> AddressMethodShift)
        {
            case PeripheralDeviceAddressing:
                // Peripheral device addressing: BUS IDENTIFIER (bits 13-8) must be 0 for this device.
                if ((firstLevel & BusIdentifierMask) != 0)
                {
                    return false;
                }
                number = firstLevel & PeripheralLunMask;
                return true;
            case FlatSpaceAddressing:
                number = firstLevel & FlatSpaceLunMask;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Executes a command addressed to this device.</summary>
    public ValueTask ExecuteAsync(ScsiTask task, CancellationToken cancellationToken)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        byte opcode = cdb.IsEmpty ? NoOpcode : cdb[0];
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
        if (opcode == ScsiOpcode.Inquiry && InquiryCdb.TryParse(cdb, out InquiryCdb inquiry) && !inquiry.Evpd && (cdb[1] & InquiryCdb.CmdDtBit) == 0 && inquiry.PageCode == 0)
        {
            Span<byte> d = stackalloc byte[AbsentLunInquiryLength];
            d.Clear();
            d[0] = NotCapablePeripheralQualifier | PeripheralDeviceType.UnknownOrNone;
            d[2] = StandardInquiryData.Spc4Version;
            d[3] = StandardInquiryData.HierarchicalSupportAndResponseDataFormat2;
            d[4] = AbsentLunInquiryLength - StandardInquiryData.AdditionalLengthBase;
            ScsiTaskData.CompleteDataIn(task, d, inquiry.AllocationLength);
            return;
        }
        if (RequestSenseCdb.TryParse(cdb, out RequestSenseCdb requestSense))
        {
            Span<byte> sense = stackalloc byte[SenseData.MaxDescriptorLength];
            int n = SenseData.Write(sense, requestSense.DescriptorFormat, SenseKey.IllegalRequest,
                Asc.Code(Asc.LogicalUnitNotSupported), Asc.Qualifier(Asc.LogicalUnitNotSupported));
            ScsiTaskData.CompleteDataIn(task, sense[..n], requestSense.AllocationLength);
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
        if (!ReportLunsCdb.TryParse(task.Cdb, out ReportLunsCdb cdb))
        {
            task.InvalidFieldInCdb(0);
            return;
        }
        uint allocationLength = cdb.AllocationLength;
        // SELECT REPORT 00h: all LUNs but well-known ones; 01h: well-known only (none here); 02h: all.
        if (cdb.SelectReport > ReportLunsCdb.All)
        {
            task.InvalidFieldInCdb(ReportLunsCdb.SelectReportOffset);
            return;
        }
        if (allocationLength < ReportLunsCdb.MinimumAllocationLength)
        {
            task.InvalidFieldInCdb(ReportLunsCdb.AllocationLengthOffset);
            return;
        }
        int count = cdb.SelectReport == ReportLunsCdb.WellKnownOnly ? 0 : _sorted.Length;
        int total = ReportLunsHeaderLength + (count * ReportLunsData.LunLength);
        int limit = (int)Math.Min(allocationLength, (uint)total);
        task.CommandTransferLength = limit;
        Span<byte> buffer = task.Buffer.Span;
        int n = Math.Min(limit, ScsiTaskData.DataInCapacity(task));
        // Written straight into the task buffer, clipped to what fits: the list can be 128 KiB.
        Span<byte> header = stackalloc byte[ReportLunsHeaderLength];
        header.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)(count * ReportLunsData.LunLength)); // LUN LIST LENGTH
        header[..Math.Min(n, ReportLunsHeaderLength)].CopyTo(buffer);
        Span<byte> entry = stackalloc byte[ReportLunsData.LunLength];
        for (int i = 0; i < count; i++)
        {
            int offset = ReportLunsHeaderLength + (i * ReportLunsData.LunLength);
            if (offset >= n)
            {
                break;
            }
            BinaryPrimitives.WriteUInt64BigEndian(entry, EncodeLun(_sorted[i].Key));
            entry[..Math.Min(ReportLunsData.LunLength, n - offset)].CopyTo(buffer[offset..]);
        }
        task.DataInLength = n;
    }
}
