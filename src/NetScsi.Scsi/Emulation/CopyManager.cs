using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using NetScsi.Scsi.Commands;

namespace NetScsi.Scsi.Emulation;

/// <summary>
/// The copy manager of a block logical unit (SPC-4 §5.16, third-party copy, LID1 flavour): EXTENDED COPY (83h/00h)
/// with identification descriptor target descriptors (E4h) and block→block segment descriptors (02h), RECEIVE COPY
/// RESULTS COPY STATUS (84h/00h) and OPERATING PARAMETERS (84h/03h), VPD page 8Fh. Copy targets are its unit and the
/// other units of the target device the command came through (<see cref="ScsiTask.LogicalUnits"/>), named by their
/// VPD 0x83 designators. Everything is validated before the first block moves. Held copy results belong to the
/// I_T nexus that sent the EXTENDED COPY and go with it.
/// </summary>
internal sealed class CopyManager(BlockLogicalUnit unit)
{
    internal const int XcopyHeaderLength = 16;
    internal const int TargetDescriptorLength = 32;
    internal const int BlockToBlockSegmentLength = 28;
    internal const int MaxCopyTargetDescriptors = 4;
    internal const int MaxCopySegmentDescriptors = 16;
    internal const int MaxCopyDescriptorListLength = 1024;
    private const int MaxHeldCopyResults = 32;

    private const int StagingBytes = 1024 * 1024;

    private const byte IdentificationTargetDescriptor = 0xE4;
    private const byte BlockToBlockSegmentDescriptor = 0x02;

    // SPC-4 §6.4.3: LIST ID USAGE (byte 1 bits 4-3): 00b hold results, 01b reserved, 10b hold until read, 11b no list ID.
    private const int ListIdUsageShift = 3;
    private const int ListIdUsageMask = 0x03;
    private const int ListIdUsageHold = 0b00;
    private const int ListIdUsageReserved = 0b01;
    private const int ListIdUsageHoldUntilRead = 0b10;
    private const int ListIdUsageNone = 0b11;

    // SPC-4 §6.4.5.4: identification descriptor target descriptor fields.
    private const byte NullTargetBit = 0x20;
    private const int DesignatorFieldMask = 0x0F;
    private const int AssociationShift = 4;
    private const int AssociationMask = 0x03;
    private const int DiskBlockLengthOffset = 29;

    // SPC-4 §6.4.6.5: block→block segment descriptor DC bit.
    private const byte DestinationCountBit = 0x02;

    // SPC-4 §6.18.4 (OPERATING PARAMETERS) SNLID; §7.8.17.3 Supported Commands descriptor type.
    private const byte SupportsNoListIdentifier = 0x01;
    private const ushort SupportedCommandsDescriptorType = 0x0001;

    // SPC-4 §6.18.3 (COPY STATUS): COPY MANAGER STATUS.
    private const byte CopyCompletedWithoutError = 0x01;
    private const byte CopyCompletedWithError = 0x02;

    // Results of EXTENDED COPY commands held for RECEIVE COPY RESULTS, per nexus, by LIST IDENTIFIER (lock the dictionary).
    private readonly ConcurrentDictionary<ItNexus, Dictionary<byte, CopyResult>> _held = new();

    /// <summary>SPC-4 §6.18: held EXTENDED COPY results belong to the nexus; it is gone.</summary>
    public void OnNexusLoss(ItNexus nexus) => _held.TryRemove(nexus, out _);

    /// <summary>SPC-4 §6.4: EXTENDED COPY (LID1).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ExtendedCopyAsync(ScsiTask task, CancellationToken cancellationToken)
    {
        uint parameterListLength = CdbDecoder.ReadUInt32(task.Cdb, 10);
        task.CommandTransferLength = parameterListLength;
        if (parameterListLength == 0)
        {
            // SPC-4 §6.4.1: zero length is not an error; nothing is copied.
            return;
        }
        if (!TryParseCopyList(task, (int)Math.Min(parameterListLength, int.MaxValue), out CopyPlan plan))
        {
            if (plan.Hold && task.Nexus is not null)
            {
                // The list was refused after its LIST IDENTIFIER was read: COPY STATUS reports the failure.
                HoldCopyResult(task.Nexus, plan.ListId, new CopyResult(false, 0, 0));
            }
            return;
        }

        int segmentsDone = 0;
        long bytesDone = 0;
        bool ok = false;
        try
        {
            foreach (CopySegment segment in plan.Segments)
            {
                bytesDone += await CopySegmentAsync(segment, cancellationToken).ConfigureAwait(false);
                segmentsDone++;
            }
            ok = true;
        }
        finally
        {
            if (plan.Hold && task.Nexus is not null)
            {
                HoldCopyResult(task.Nexus, plan.ListId, new CopyResult(ok, segmentsDone, bytesDone));
            }
        }
    }

    private void HoldCopyResult(ItNexus nexus, byte listId, CopyResult result)
    {
        Dictionary<byte, CopyResult> held = _held.GetOrAdd(nexus, static _ => []);
        lock (held)
        {
            if (held.Count >= MaxHeldCopyResults && !held.ContainsKey(listId))
            {
                byte first = 0;
                foreach (byte key in held.Keys)
                {
                    first = key;
                    break;
                }
                held.Remove(first);
            }
            held[listId] = result;
        }
    }

    private sealed record CopyTarget(BlockLogicalUnit? Unit, bool Null);

    private readonly record struct CopySegment(BlockLogicalUnit Source, long SourceLba, BlockLogicalUnit Destination, long DestinationLba, long Bytes);

    private sealed class CopyPlan
    {
        public byte ListId;
        public bool Hold;
        public List<CopySegment> Segments = [];
    }

    /// <summary>
    /// Checks the parameter list (SPC-4 §6.4.3) and resolves every descriptor. False when the task already
    /// holds the CHECK CONDITION.
    /// </summary>
    private bool TryParseCopyList(ScsiTask task, int parameterListLength, out CopyPlan plan)
    {
        plan = new CopyPlan();
        ReadOnlySpan<byte> data = task.Buffer.Span[..Math.Min(parameterListLength, ScsiTaskData.DataOutLength(task))];
        if (parameterListLength < XcopyHeaderLength || data.Length < XcopyHeaderLength)
        {
            task.CheckCondition(SenseKey.IllegalRequest, Asc.ParameterListLengthError);
            return false;
        }
        plan.ListId = data[0];
        int listIdUsage = (data[1] >> ListIdUsageShift) & ListIdUsageMask;
        if (listIdUsage == ListIdUsageReserved || (listIdUsage == ListIdUsageNone && plan.ListId != 0))
        {
            task.InvalidFieldInParameterList(1, 4);
            return false;
        }
        plan.Hold = listIdUsage is ListIdUsageHold or ListIdUsageHoldUntilRead;
        int targetListLength = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        uint segmentListLength = BinaryPrimitives.ReadUInt32BigEndian(data[8..]);
        uint inlineLength = BinaryPrimitives.ReadUInt32BigEndian(data[12..]);
        long described = (long)targetListLength + segmentListLength + inlineLength;
        if (described > MaxCopyDescriptorListLength || XcopyHeaderLength + described > data.Length)
        {
            // Longer than MAXIMUM DESCRIPTOR LIST LENGTH, or than the data sent.
            task.CheckCondition(SenseKey.IllegalRequest, Asc.ParameterListLengthError);
            return false;
        }
        if (inlineLength != 0)
        {
            task.InvalidFieldInParameterList(12); // MAXIMUM INLINE DATA LENGTH is 0
            return false;
        }
        if (targetListLength % TargetDescriptorLength != 0)
        {
            task.InvalidFieldInParameterList(2);
            return false;
        }
        int targetCount = targetListLength / TargetDescriptorLength;
        if (targetCount > MaxCopyTargetDescriptors)
        {
            task.CheckCondition(SenseKey.IllegalRequest, Asc.TooManyTargetDescriptors);
            return false;
        }
        ReadOnlySpan<byte> segments = data.Slice(XcopyHeaderLength + targetListLength, (int)segmentListLength);
        int segmentCount = 0;
        for (int offset = 0; offset < segments.Length;)
        {
            if (segments.Length - offset < 4)
            {
                task.CheckCondition(SenseKey.IllegalRequest, Asc.ParameterListLengthError);
                return false;
            }
            offset += 4 + BinaryPrimitives.ReadUInt16BigEndian(segments[(offset + 2)..]);
            segmentCount++;
        }
        if (segmentCount > MaxCopySegmentDescriptors)
        {
            task.CheckCondition(SenseKey.IllegalRequest, Asc.TooManySegmentDescriptors);
            return false;
        }

        var targets = new CopyTarget[targetCount];
        for (int i = 0; i < targetCount; i++)
        {
            int at = XcopyHeaderLength + (i * TargetDescriptorLength);
            if (!TryParseTargetDescriptor(task, data.Slice(at, TargetDescriptorLength), at, out targets[i]))
            {
                return false;
            }
        }
        int segmentBase = XcopyHeaderLength + targetListLength;
        for (int offset = 0; offset < segments.Length;)
        {
            ReadOnlySpan<byte> descriptor = segments[offset..];
            int length = 4 + BinaryPrimitives.ReadUInt16BigEndian(descriptor[2..]);
            if (descriptor[0] != BlockToBlockSegmentDescriptor)
            {
                task.CheckCondition(SenseKey.IllegalRequest, Asc.UnsupportedSegmentDescriptorTypeCode);
                return false;
            }
            if (length != BlockToBlockSegmentLength || descriptor.Length < BlockToBlockSegmentLength)
            {
                task.InvalidFieldInParameterList(segmentBase + offset + 2);
                return false;
            }
            if (!TryPlanSegment(task, descriptor[..BlockToBlockSegmentLength], targets, out CopySegment segment))
            {
                return false;
            }
            if (segment.Bytes > 0)
            {
                plan.Segments.Add(segment);
            }
            offset += length;
        }
        return true;
    }

    private bool TryParseTargetDescriptor(ScsiTask task, ReadOnlySpan<byte> d, int at, out CopyTarget target)
    {
        target = new CopyTarget(null, false);
        if (d[0] != IdentificationTargetDescriptor)
        {
            task.CheckCondition(SenseKey.IllegalRequest, Asc.UnsupportedTargetDescriptorTypeCode);
            return false;
        }
        // LU ID TYPE (byte 1 bits 7-6) is ignored: SPC-4 made it reserved for LID1 identification descriptors
        // (libiscsi ExtendedCopy.ValidTgtDescr expects GOOD from an SPC-4 unit).
        if ((d[1] & PeripheralDeviceType.Mask) != PeripheralDeviceType.DirectAccessBlock)
        {
            // PERIPHERAL DEVICE TYPE: only direct-access block devices.
            task.InvalidFieldInParameterList(at + 1, 4);
            return false;
        }
        if ((d[1] & NullTargetBit) != 0)
        {
            // NUL: a null target; any segment that uses it fails with COPY ABORTED.
            target = new CopyTarget(null, true);
            return true;
        }
        int codeSet = d[4] & DesignatorFieldMask;
        int association = (d[5] >> AssociationShift) & AssociationMask;
        int designatorType = d[5] & DesignatorFieldMask;
        int designatorLength = d[7];
        if (association != 0 || designatorLength > 20)
        {
            task.InvalidFieldInParameterList(at + 5);
            return false;
        }
        ReadOnlySpan<byte> designator = d.Slice(8, designatorLength);
        BlockLogicalUnit? resolved = null;
        if (unit.HasDesignator(codeSet, designatorType, designator))
        {
            resolved = unit;
        }
        else if (task.LogicalUnits is ILogicalUnitResolver resolver
            && resolver.TryFindByDesignator(codeSet, designatorType, designator, out ILogicalUnit found))
        {
            resolved = found as BlockLogicalUnit;
        }
        if (resolved is not null)
        {
            int diskBlockLength = (d[DiskBlockLengthOffset] << 16) | (d[DiskBlockLengthOffset + 1] << 8) | d[DiskBlockLengthOffset + 2];
            if (diskBlockLength != resolved.BlockSize)
            {
                task.InvalidFieldInParameterList(at + 29);
                return false;
            }
        }
        // An unknown designator stays unresolved: a segment that uses it is COPY ABORTED (not reachable).
        target = new CopyTarget(resolved, false);
        return true;
    }

    private bool TryPlanSegment(ScsiTask task, ReadOnlySpan<byte> d, CopyTarget[] targets, out CopySegment segment)
    {
        segment = default;
        int sourceIndex = BinaryPrimitives.ReadUInt16BigEndian(d[4..]);
        int destinationIndex = BinaryPrimitives.ReadUInt16BigEndian(d[6..]);
        if (sourceIndex >= targets.Length || destinationIndex >= targets.Length
            || targets[sourceIndex].Unit is not BlockLogicalUnit source
            || targets[destinationIndex].Unit is not BlockLogicalUnit destination)
        {
            // SPC-4 §6.4.6: a descriptor index that names no usable copy target.
            task.CheckCondition(SenseKey.CopyAborted, Asc.CopyTargetDeviceNotReachable);
            return false;
        }
        bool destinationCount = (d[1] & DestinationCountBit) != 0; // DC: NUMBER OF BLOCKS counts destination blocks
        int blocks = BinaryPrimitives.ReadUInt16BigEndian(d[10..]);
        ulong sourceLba = BinaryPrimitives.ReadUInt64BigEndian(d[12..]);
        ulong destinationLba = BinaryPrimitives.ReadUInt64BigEndian(d[20..]);
        long bytes = (long)blocks * (destinationCount ? destination.BlockSize : source.BlockSize);
        if (bytes % source.BlockSize != 0 || bytes % destination.BlockSize != 0
            || !CopyRangeValid(source, sourceLba, bytes) || !CopyRangeValid(destination, destinationLba, bytes)
            || !source.IsMediumPresent || !destination.IsMediumPresent || source.IsSanitizing || destination.IsSanitizing)
        {
            // Outside a copy target's medium, or the target cannot be accessed: the copy aborts.
            task.CheckCondition(SenseKey.CopyAborted, Asc.NoAdditionalSenseInformation);
            return false;
        }
        if (bytes > 0 && destination.IsWriteProtected)
        {
            task.CheckCondition(SenseKey.DataProtect, Asc.WriteProtected);
            return false;
        }
        segment = new CopySegment(source, (long)sourceLba, destination, (long)destinationLba, bytes);
        return true;
    }

    private static bool CopyRangeValid(BlockLogicalUnit target, ulong lba, long bytes)
    {
        ulong capacity = (ulong)target.Device.BlockCount;
        ulong blocks = (ulong)(bytes / target.BlockSize);
        return lba <= capacity && blocks <= capacity - lba;
    }

    /// <summary>Copies one segment through a staging buffer; overlapping ranges on one device copy back to front.</summary>
    private static async ValueTask<long> CopySegmentAsync(CopySegment segment, CancellationToken cancellationToken)
    {
        BlockLogicalUnit source = segment.Source;
        BlockLogicalUnit destination = segment.Destination;
        long sourceStart = segment.SourceLba * source.BlockSize;
        long destinationStart = segment.DestinationLba * destination.BlockSize;
        bool backwards = ReferenceEquals(source.Device, destination.Device)
            && destinationStart > sourceStart && destinationStart < sourceStart + segment.Bytes;
        int granule = Math.Max(source.BlockSize, destination.BlockSize);
        int chunk = (int)Math.Min(segment.Bytes, Math.Max(granule, StagingBytes / granule * granule));
        bool forceUnitAccess = !destination.WriteCacheEnabled;
        byte[] staging = ArrayPool<byte>.Shared.Rent(chunk);
        try
        {
            long remaining = segment.Bytes;
            while (remaining > 0)
            {
                int n = (int)Math.Min(chunk, remaining);
                long offset = backwards ? remaining - n : segment.Bytes - remaining;
                Memory<byte> buffer = staging.AsMemory(0, n);
                await source.Device.ReadAsync((sourceStart + offset) / source.BlockSize, buffer, cancellationToken).ConfigureAwait(false);
                await destination.Device.WriteAsync((destinationStart + offset) / destination.BlockSize, buffer, forceUnitAccess, cancellationToken).ConfigureAwait(false);
                remaining -= n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(staging);
        }
        return segment.Bytes;
    }

    /// <summary>SPC-4 §6.18: RECEIVE COPY RESULTS (COPY STATUS, OPERATING PARAMETERS).</summary>
    public void ReceiveCopyResults(ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        int allocationLength = (int)Math.Min(CdbDecoder.ReadUInt32(cdb, 10), int.MaxValue);
        switch (cdb[1] & CdbFields.ServiceActionMask)
        {
            case ScsiOpcode.CopyStatusServiceAction:
            {
                byte listId = cdb[2];
                CopyResult result;
                bool found = false;
                if (task.Nexus is not null && _held.TryGetValue(task.Nexus, out Dictionary<byte, CopyResult>? held))
                {
                    lock (held)
                    {
                        found = held.TryGetValue(listId, out result);
                    }
                }
                else
                {
                    result = default;
                }
                if (!found)
                {
                    // No EXTENDED COPY with that LIST IDENTIFIER is known to this nexus.
                    task.InvalidFieldInCdb(2);
                    return;
                }
                Span<byte> d = stackalloc byte[12];
                d.Clear();
                BinaryPrimitives.WriteUInt32BigEndian(d, 8); // AVAILABLE DATA
                d[4] = result.Succeeded ? CopyCompletedWithoutError : CopyCompletedWithError; // HDD 0, COPY MANAGER STATUS
                BinaryPrimitives.WriteUInt16BigEndian(d[5..], (ushort)Math.Min(result.SegmentsProcessed, ushort.MaxValue));
                // TRANSFER COUNT UNITS: bytes (00h), or kibibytes (01h) / mebibytes (02h) for large counts.
                long count = result.BytesTransferred;
                byte units = 0;
                while (count > uint.MaxValue && units < 6)
                {
                    count >>= 10;
                    units++;
                }
                d[7] = units;
                BinaryPrimitives.WriteUInt32BigEndian(d[8..], (uint)count);
                ScsiTaskData.CompleteDataIn(task, d, allocationLength);
                return;
            }
            case ScsiOpcode.OperatingParametersServiceAction:
            {
                Span<byte> d = stackalloc byte[48];
                d.Clear();
                ReadOnlySpan<byte> implemented = [BlockToBlockSegmentDescriptor, IdentificationTargetDescriptor];
                BinaryPrimitives.WriteUInt32BigEndian(d, (uint)(44 + implemented.Length - 4)); // AVAILABLE DATA
                d[4] = SupportsNoListIdentifier; // SNLID: LIST IDENTIFIER usage 11b (no list identifier) is supported
                BinaryPrimitives.WriteUInt16BigEndian(d[8..], MaxCopyTargetDescriptors);
                BinaryPrimitives.WriteUInt16BigEndian(d[10..], MaxCopySegmentDescriptors);
                BinaryPrimitives.WriteUInt32BigEndian(d[12..], MaxCopyDescriptorListLength);
                BinaryPrimitives.WriteUInt32BigEndian(d[16..], (uint)Math.Min((long)ushort.MaxValue * unit.BlockSize, uint.MaxValue)); // MAXIMUM SEGMENT LENGTH
                // MAXIMUM INLINE DATA LENGTH, HELD DATA LIMIT, MAXIMUM STREAM DEVICE TRANSFER SIZE: 0.
                BinaryPrimitives.WriteUInt16BigEndian(d[34..], 1); // TOTAL CONCURRENT COPIES
                d[36] = 1; // MAXIMUM CONCURRENT COPIES
                d[37] = (byte)System.Numerics.BitOperations.Log2((uint)unit.BlockSize); // DATA SEGMENT GRANULARITY (log2)
                d[43] = (byte)implemented.Length; // IMPLEMENTED DESCRIPTOR LIST LENGTH
                implemented.CopyTo(d[44..]);
                ScsiTaskData.CompleteDataIn(task, d[..(44 + implemented.Length)], allocationLength);
                return;
            }
            default:
                task.InvalidFieldInCdb(1, 4);
                return;
        }
    }

    /// <summary>SPC-4 §7.8.17: Third-party Copy VPD page, with the Supported Commands descriptor.</summary>
    public static int WriteThirdPartyCopyVpd(Span<byte> d)
    {
        d[1] = VpdPage.ThirdPartyCopy;
        // Supported Commands third-party copy descriptor (type 0001h): EXTENDED COPY (LID1) and RECEIVE COPY
        // RESULTS (COPY STATUS, OPERATING PARAMETERS); the descriptor is padded to a multiple of 4 bytes.
        ReadOnlySpan<byte> commands =
        [
            ScsiOpcode.ExtendedCopy, 1, ScsiOpcode.ExtendedCopyLid1ServiceAction,
            ScsiOpcode.ReceiveCopyResults, 2, ScsiOpcode.CopyStatusServiceAction, ScsiOpcode.OperatingParametersServiceAction,
        ];
        int descriptor = 4;
        int body = 1 + commands.Length;
        int padded = (4 + body + 3) & ~3;
        BinaryPrimitives.WriteUInt16BigEndian(d[descriptor..], SupportedCommandsDescriptorType);
        BinaryPrimitives.WriteUInt16BigEndian(d[(descriptor + 2)..], (ushort)(padded - 4));
        d[descriptor + 4] = (byte)commands.Length; // COMMANDS SUPPORTED LIST LENGTH
        commands.CopyTo(d[(descriptor + 5)..]);
        int length = descriptor + padded;
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)(length - 4));
        return length;
    }
}
