using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using NetScsi.Scsi.Commands;

namespace NetScsi.Scsi.Emulation;

public sealed partial class BlockLogicalUnit
{
    /// <summary>
    /// SBC-4 §5.10: ORWRITE (16), change-in-place semantics with ORPROTECT = 0: the Data-Out blocks are ORed
    /// into the medium. The read, the OR and the write happen while the command runs exclusively (admitted
    /// like an ORDERED task, as COMPARE AND WRITE), so no other command interleaves. As with WRITE, only the
    /// whole blocks that arrived are changed.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask OrWriteAsync(ScsiTask task, CancellationToken cancellationToken)
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
        if (!ValidateBlockRange(task, cdb, _maxTransferBlocks))
        {
            return;
        }
        long bytes = (long)cdb.TransferLength * _blockSize;
        task.CommandTransferLength = bytes;
        int available = (int)Math.Min(bytes, DataOutLength(task)) / _blockSize * _blockSize;
        if (available == 0)
        {
            return;
        }
        bool forceUnitAccess = cdb.Fua || !_writeCacheEnabled;
        int chunk = Math.Min(available, StagingBytes);
        byte[] staging = ArrayPool<byte>.Shared.Rent(chunk);
        try
        {
            long lba = (long)cdb.Lba;
            for (int offset = 0; offset < available; offset += chunk)
            {
                int n = Math.Min(chunk, available - offset);
                Memory<byte> medium = staging.AsMemory(0, n);
                await _device.ReadAsync(lba + (offset / _blockSize), medium, cancellationToken).ConfigureAwait(false);
                OrInto(medium.Span, task.Buffer.Span.Slice(offset, n));
                await _device.WriteAsync(lba + (offset / _blockSize), medium, forceUnitAccess, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(staging);
        }
    }

    private static void OrInto(Span<byte> destination, ReadOnlySpan<byte> source)
    {
        int i = 0;
        for (; i + 8 <= destination.Length; i += 8)
        {
            ulong value = BinaryPrimitives.ReadUInt64LittleEndian(destination[i..]) | BinaryPrimitives.ReadUInt64LittleEndian(source[i..]);
            BinaryPrimitives.WriteUInt64LittleEndian(destination[i..], value);
        }
        for (; i < destination.Length; i++)
        {
            destination[i] |= source[i];
        }
    }

    /// <summary>
    /// SBC-4 §5.48: WRITE ATOMIC (16). The unit runs it exclusively (no other command of any nexus
    /// interleaves with it), and writes it with one device write, so the blocks change all together with
    /// respect to every other command. Limits (VPD B0h): MAXIMUM ATOMIC TRANSFER LENGTH is the maximum
    /// transfer length (at most 65535), ATOMIC ALIGNMENT and ATOMIC TRANSFER LENGTH GRANULARITY are 1. Unlike
    /// WRITE, data-out that does not cover the whole range is refused rather than written in part.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteAtomicAsync(ScsiTask task, CancellationToken cancellationToken)
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
        if (CdbDecoder.ReadUInt16(task.Cdb, 10) != 0)
        {
            // ATOMIC BOUNDARY: MAXIMUM ATOMIC BOUNDARY SIZE is 0, so boundaries are not supported.
            task.InvalidFieldInCdb(10);
            return;
        }
        if (!ValidateBlockRange(task, cdb, MaxAtomicTransferLengthBlocks))
        {
            return;
        }
        long bytes = (long)cdb.TransferLength * _blockSize;
        task.CommandTransferLength = bytes;
        if (bytes == 0)
        {
            return;
        }
        if (DataOutLength(task) < bytes)
        {
            // All or nothing: a partial Data-Out cannot be written atomically.
            task.InvalidFieldInCdb(12);
            return;
        }
        bool forceUnitAccess = cdb.Fua || !_writeCacheEnabled;
        await _device.WriteAsync((long)cdb.Lba, task.Buffer[..(int)bytes], forceUnitAccess, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>MAXIMUM ATOMIC TRANSFER LENGTH (VPD B0h): the transfer limit, within the 16-bit TRANSFER LENGTH field.</summary>
    private uint MaxAtomicTransferLengthBlocks => Math.Min(_maxTransferBlocks, ushort.MaxValue);

    /// <summary>
    /// SBC-4 §5.18-5.19: READ DEFECT DATA (10/12). A virtual medium has no defects: the header reports the
    /// lists asked for (PLISTV/GLISTV) as present and empty, in the requested format when it is one SBC-4
    /// defines (short block, extended bytes from index, extended physical sector, long block, bytes from
    /// index, physical sector, vendor specific); a reserved format is INVALID FIELD IN CDB.
    /// </summary>
    private void ReadDefectData(ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        bool twelve = cdb[0] == ScsiOpcode.ReadDefectData12;
        byte flags = twelve ? cdb[1] : cdb[2];
        int format = flags & 0x07;
        if (format == 0x07)
        {
            task.InvalidFieldInCdb(twelve ? 1 : 2, 2);
            return;
        }
        int allocationLength = twelve ? (int)Math.Min(CdbDecoder.ReadUInt32(cdb, 6), int.MaxValue) : CdbDecoder.ReadUInt16(cdb, 7);
        Span<byte> d = stackalloc byte[8];
        d.Clear();
        // PLISTV (bit 4) and GLISTV (bit 3) echo REQ_PLIST / REQ_GLIST: those lists exist and are empty.
        d[1] = (byte)(flags & 0x1F);
        // DEFECT LIST LENGTH (10: bytes 2-3; 12: bytes 4-7, with GENERATION CODE 0 in bytes 2-3) is zero.
        CompleteDataIn(task, d[..(twelve ? 8 : 4)], allocationLength);
    }
}
