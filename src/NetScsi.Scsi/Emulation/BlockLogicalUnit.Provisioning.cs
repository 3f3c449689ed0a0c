using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Storage;

namespace NetScsi.Scsi.Emulation;

public sealed partial class BlockLogicalUnit
{
    private const int UnmapHeaderLength = 8;
    private const int UnmapDescriptorLength = 16;
    private const int LbaStatusHeaderLength = 8;
    private const int LbaStatusDescriptorLength = 16;
    private const int MaxLbaStatusDescriptors = 64;

    /// <summary>SBC-4 §5.20: READ CAPACITY (10).</summary>
    private void ReadCapacity10(ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        // SBC-4 §5.20.1: PMI is obsolete; with PMI = 0 the LOGICAL BLOCK ADDRESS must be zero.
        if ((cdb[8] & 0x01) == 0 && BinaryPrimitives.ReadUInt32BigEndian(cdb[2..]) != 0)
        {
            task.InvalidFieldInCdb(2);
            return;
        }
        Span<byte> d = stackalloc byte[8];
        long last = _device.BlockCount - 1;
        // A capacity beyond 32 bits reports FFFFFFFFh: the initiator must use READ CAPACITY (16).
        BinaryPrimitives.WriteUInt32BigEndian(d, last > uint.MaxValue ? uint.MaxValue : (uint)last);
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], (uint)_blockSize);
        CompleteDataIn(task, d, 8);
    }

    /// <summary>SBC-4 §5.21: READ CAPACITY (16).</summary>
    private void ReadCapacity16(ScsiTask task)
    {
        int allocationLength = (int)Math.Min(CdbDecoder.ReadUInt32(task.Cdb, 10), int.MaxValue);
        Span<byte> d = stackalloc byte[32];
        d.Clear();
        BinaryPrimitives.WriteUInt64BigEndian(d, (ulong)(_device.BlockCount - 1));
        BinaryPrimitives.WriteUInt32BigEndian(d[8..], (uint)_blockSize);
        d[13] = (byte)_physicalBlockExponent; // LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT; LOWEST ALIGNED LBA 0
        if (IsThin)
        {
            d[14] = 0x80; // LBPME
            if (_device.UnmappedReadsZero)
            {
                d[14] |= 0x40; // LBPRZ
            }
        }
        CompleteDataIn(task, d, allocationLength);
    }

    /// <summary>
    /// SBC-4 §5.8: GET LBA STATUS. Reports consecutive extents from the STARTING LOGICAL BLOCK ADDRESS,
    /// as many as the allocation length holds (at least one, at most 64), each mapped (0h) or
    /// deallocated (1h).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask GetLbaStatusAsync(ScsiTask task, CancellationToken cancellationToken)
    {
        ulong start = CdbDecoder.ReadUInt64(task.Cdb, 2);
        int allocationLength = (int)Math.Min(CdbDecoder.ReadUInt32(task.Cdb, 10), int.MaxValue);
        long count = _device.BlockCount;
        if (start >= (ulong)count)
        {
            task.LbaOutOfRange();
            return;
        }
        int maxDescriptors = Math.Clamp((allocationLength - LbaStatusHeaderLength) / LbaStatusDescriptorLength, 1, MaxLbaStatusDescriptors);
        int capacity = LbaStatusHeaderLength + (maxDescriptors * LbaStatusDescriptorLength);
        byte[] data = ArrayPool<byte>.Shared.Rent(capacity);
        try
        {
            int descriptors = 0;
            long lba = (long)start;
            while (descriptors < maxDescriptors && lba < count)
            {
                AllocationExtent extent = await _device.GetAllocationStatusAsync(lba, cancellationToken).ConfigureAwait(false);
                long end = Math.Min(extent.Lba + Math.Max(extent.BlockCount, 1), count);
                long blocks = Math.Min(Math.Max(end - lba, 1), uint.MaxValue);
                Span<byte> desc = data.AsSpan(LbaStatusHeaderLength + (descriptors * LbaStatusDescriptorLength), LbaStatusDescriptorLength);
                desc.Clear();
                BinaryPrimitives.WriteUInt64BigEndian(desc, (ulong)lba);
                BinaryPrimitives.WriteUInt32BigEndian(desc[8..], (uint)blocks);
                desc[12] = extent.Mapped ? (byte)0x00 : (byte)0x01; // PROVISIONING STATUS
                descriptors++;
                lba += blocks;
            }
            int length = LbaStatusHeaderLength + (descriptors * LbaStatusDescriptorLength);
            data.AsSpan(0, LbaStatusHeaderLength).Clear();
            BinaryPrimitives.WriteUInt32BigEndian(data, (uint)(length - 4)); // PARAMETER DATA LENGTH
            CompleteDataIn(task, data.AsSpan(0, length), allocationLength);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(data);
        }
    }

    /// <summary>
    /// SBC-4 §5.45-5.46: WRITE SAME (10/16). With UNMAP = 1 a thin unit deallocates the range whatever the
    /// pattern; otherwise the pattern is written (by the device itself when it is an <see cref="IWriteSameBlockDevice"/>). WSNZ = 0: zero blocks means from the LBA to the end of the
    /// medium (still bounded by MAXIMUM WRITE SAME LENGTH); ANCHOR is not supported. The Data-Out buffer must
    /// be exactly one block (libiscsi's InvalidDataOutSize): more or less is INVALID FIELD IN CDB.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteSameAsync(ScsiTask task, CancellationToken cancellationToken)
    {
        if (!CheckWritable(task))
        {
            return;
        }
        if (!CdbDecoder.TryDecodeBlock(task.Cdb, out BlockCdb cdb))
        {
            task.InvalidFieldInCdb(0);
            return;
        }
        if (cdb.Protect != 0)
        {
            task.InvalidFieldInCdb(1, 7);
            return;
        }
        if (cdb.Anchor)
        {
            task.InvalidFieldInCdb(1, 4);
            return;
        }
        if (cdb.TransferLength == 0)
        {
            ulong capacity = (ulong)_device.BlockCount;
            if (cdb.Lba >= capacity)
            {
                task.LbaOutOfRange();
                return;
            }
            // SBC-4 §5.45.1 with WSNZ = 0: to the end of the medium.
            ulong toEnd = capacity - cdb.Lba;
            if (toEnd > _maxWriteSameBlocks)
            {
                task.InvalidFieldInCdb(TransferLengthOffset(cdb.CdbLength));
                return;
            }
            cdb = cdb with { TransferLength = (uint)toEnd };
        }
        if (!ValidateBlockRange(task, cdb, _maxWriteSameBlocks))
        {
            return;
        }
        bool noDataOut = cdb.NoDataOutBuffer;
        task.CommandTransferLength = noDataOut ? 0 : _blockSize;
        if (!noDataOut && (DataOutLength(task) != _blockSize || task.ExpectedDataTransferLength > _blockSize))
        {
            // One logical block of data, no more and no less: a different Data-Out size contradicts the CDB.
            task.InvalidFieldInCdb(TransferLengthOffset(cdb.CdbLength));
            return;
        }
        bool zeroPattern = noDataOut || !task.Buffer.Span[.._blockSize].ContainsAnyExcept((byte)0);
        long lba = (long)cdb.Lba;
        long blocks = cdb.TransferLength;
        if (cdb.UnmapBit && IsThin)
        {
            // SBC-4 §5.50 table (UNMAP = 1, ANCHOR = 0): a thin unit deallocates the range; the Data-Out
            // block is not written (libiscsi WriteSame10.UnmapUntilEnd reads zeros back after a 0xFF pattern).
            await _device.UnmapAsync(lba, blocks, cancellationToken).ConfigureAwait(false);
            return;
        }

        bool forceUnitAccess = !_writeCacheEnabled;
        if (!noDataOut && _device is IWriteSameBlockDevice native)
        {
            // The device repeats the block itself (one call, no staging).
            await native.WriteSameAsync(lba, blocks, task.Buffer[.._blockSize], forceUnitAccess, cancellationToken).ConfigureAwait(false);
            return;
        }

        int chunkBlocks = (int)Math.Min(blocks, Math.Max(1, StagingBytes / _blockSize));
        byte[] staging = ArrayPool<byte>.Shared.Rent(chunkBlocks * _blockSize);
        try
        {
            if (zeroPattern)
            {
                staging.AsSpan(0, chunkBlocks * _blockSize).Clear();
            }
            else
            {
                ReadOnlySpan<byte> pattern = task.Buffer.Span[.._blockSize];
                for (int i = 0; i < chunkBlocks; i++)
                {
                    pattern.CopyTo(staging.AsSpan(i * _blockSize, _blockSize));
                }
            }
            while (blocks > 0)
            {
                int n = (int)Math.Min(blocks, chunkBlocks);
                await _device.WriteAsync(lba, staging.AsMemory(0, n * _blockSize), forceUnitAccess, cancellationToken).ConfigureAwait(false);
                lba += n;
                blocks -= n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(staging);
        }
    }

    /// <summary>
    /// SBC-4 §5.30: UNMAP. Every descriptor is validated before any block is deallocated, so a bad list
    /// changes nothing.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask UnmapAsync(ScsiTask task, CancellationToken cancellationToken)
    {
        if (!CheckWritable(task))
        {
            return;
        }
        int descriptorCount = ValidateUnmapParameters(task);
        if (descriptorCount <= 0)
        {
            return;
        }
        for (int i = 0; i < descriptorCount; i++)
        {
            int offset = UnmapHeaderLength + (i * UnmapDescriptorLength);
            ReadOnlySpan<byte> descriptor = task.Buffer.Span.Slice(offset, UnmapDescriptorLength);
            long lba = (long)BinaryPrimitives.ReadUInt64BigEndian(descriptor);
            uint blocks = BinaryPrimitives.ReadUInt32BigEndian(descriptor[8..]);
            if (blocks != 0)
            {
                await _device.UnmapAsync(lba, blocks, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Checks the UNMAP CDB and parameter list; returns the descriptor count, or 0 when done (GOOD or CHECK CONDITION set).</summary>
    private int ValidateUnmapParameters(ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        if ((cdb[1] & 0x01) != 0)
        {
            // ANCHOR: ANC_SUP = 0.
            task.InvalidFieldInCdb(1, 0);
            return 0;
        }
        int parameterListLength = CdbDecoder.ReadUInt16(cdb, 7);
        task.CommandTransferLength = parameterListLength;
        if (parameterListLength == 0)
        {
            // SBC-4 §5.30.1: zero length is not an error; nothing is unmapped.
            return 0;
        }
        ReadOnlySpan<byte> data = task.Buffer.Span[..Math.Min(parameterListLength, DataOutLength(task))];
        if (parameterListLength < UnmapHeaderLength || data.Length < UnmapHeaderLength)
        {
            // SBC-4 §5.30.1: a list shorter than its 8-byte header.
            task.CheckCondition(SenseKey.IllegalRequest, Asc.ParameterListLengthError);
            return 0;
        }
        int unmapDataLength = BinaryPrimitives.ReadUInt16BigEndian(data);
        int descriptorDataLength = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        if (unmapDataLength != 0 && unmapDataLength + 2 < UnmapHeaderLength + descriptorDataLength)
        {
            // UNMAP DATA LENGTH (n - 1) must cover the descriptors it announces.
            task.InvalidFieldInParameterList(0);
            return 0;
        }
        // SBC-4 §5.30.2: a trailing partial descriptor is ignored; only what arrived can be used.
        int descriptorBytes = Math.Min(descriptorDataLength, data.Length - UnmapHeaderLength);
        int count = descriptorBytes / UnmapDescriptorLength;
        if ((uint)count > _options.MaxUnmapBlockDescriptorCount)
        {
            task.InvalidFieldInParameterList(2);
            return 0;
        }
        ulong capacity = (ulong)_device.BlockCount;
        for (int i = 0; i < count; i++)
        {
            int offset = UnmapHeaderLength + (i * UnmapDescriptorLength);
            ulong lba = BinaryPrimitives.ReadUInt64BigEndian(data[offset..]);
            uint blocks = BinaryPrimitives.ReadUInt32BigEndian(data[(offset + 8)..]);
            if (lba > capacity || blocks > capacity - lba)
            {
                task.LbaOutOfRange();
                return 0;
            }
            if (blocks > _options.MaxUnmapLbaCount)
            {
                task.InvalidFieldInParameterList(offset + 8);
                return 0;
            }
        }
        return count;
    }
}
