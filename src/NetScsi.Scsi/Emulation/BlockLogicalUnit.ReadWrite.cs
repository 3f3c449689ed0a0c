using System.Buffers;
using System.Runtime.CompilerServices;
using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Storage;

namespace NetScsi.Scsi.Emulation;

public sealed partial class BlockLogicalUnit
{
    /// <summary>Chunk size for commands that stage data through a pooled buffer (VERIFY, WRITE SAME).</summary>
    private const int StagingBytes = 1024 * 1024;

    /// <summary>
    /// Reads from this size up leave their data in a file-backed device for the transport to send (when it can):
    /// below it, the copy costs less than the extra system call of a separate header send.
    /// </summary>
    private const int StoredDataInMinimum = 16 * 1024;

    /// <summary>SBC-4 §5.14-5.17: READ (6/10/12/16).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReadAsync(ScsiTask task, CancellationToken cancellationToken)
    {
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
        if (bytes == 0)
        {
            return;
        }

        // Move at most what the initiator allocated (its expected data transfer length); the transport
        // reports the rest as residual overflow.
        Memory<byte> buffer = task.Buffer;
        int wanted = (int)Math.Min(bytes, DataInCapacity(task));
        int whole = wanted / _blockSize * _blockSize;
        long lba = (long)cdb.Lba;
        if (whole == wanted && wanted >= StoredDataInMinimum && task.AcceptsStoredDataIn && _device is IStoredDataBlockDevice stored
            && stored.TryGetStoredData(lba, wanted / _blockSize, out StoredData data))
        {
            // Large reads of memory-resident storage are not copied here: the transport sends them from where they are.
            task.SetStoredDataIn(data);
            return;
        }
        if (whole > 0)
        {
            await _device.ReadAsync(lba, buffer[..whole], cancellationToken).ConfigureAwait(false);
        }
        int tail = wanted - whole;
        if (tail > 0)
        {
            byte[] block = ArrayPool<byte>.Shared.Rent(_blockSize);
            try
            {
                await _device.ReadAsync(lba + (whole / _blockSize), block.AsMemory(0, _blockSize), cancellationToken).ConfigureAwait(false);
                block.AsSpan(0, tail).CopyTo(buffer.Span[whole..]);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(block);
            }
        }
        task.DataInLength = wanted;
    }

    /// <summary>
    /// SBC-4 §5.38-5.41: WRITE (6/10/12/16); §5.42-5.44: WRITE AND VERIFY (10/12/16).
    /// Only whole blocks that arrived are written: an initiator that sends less than the CDB asks for
    /// gets GOOD and a residual overflow, and the blocks it did not send keep their data (the behaviour
    /// libiscsi's WRITE residual tests expect).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteAsync(ScsiTask task, CancellationToken cancellationToken)
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
        bool writeAndVerify = cdb.CdbLength != 6 && task.Cdb[0] is ScsiOpcode.WriteAndVerify10 or ScsiOpcode.WriteAndVerify12 or ScsiOpcode.WriteAndVerify16;
        if (writeAndVerify && cdb.ByteCheck > 1)
        {
            // SBC-4 §5.42: BYTCHK 10b/11b are reserved for WRITE AND VERIFY.
            task.InvalidFieldInCdb(1, 2);
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
        // FUA (SBC-4 §5.40) or a disabled write cache (WCE = 0) makes the write durable before GOOD;
        // WRITE AND VERIFY reads back from the medium, so it is written through as well.
        bool forceUnitAccess = cdb.Fua || writeAndVerify || !_writeCacheEnabled;
        await _device.WriteAsync((long)cdb.Lba, task.Buffer[..available], forceUnitAccess, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// SBC-4 §5.31-5.33: VERIFY (10/12/16). BYTCHK 00b: check the range only; 01b: compare the Data-Out
    /// buffer with the medium; 11b: compare one Data-Out block with every block of the range. A mismatch is
    /// MISCOMPARE, MISCOMPARE DURING VERIFY OPERATION with INFORMATION = offset of the first differing byte.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask VerifyAsync(ScsiTask task, CancellationToken cancellationToken)
    {
        if (!CdbDecoder.TryDecodeBlock(task.Cdb, out BlockCdb cdb))
        {
            task.InvalidFieldInCdb(0);
            return;
        }
        int byteCheck = cdb.ByteCheck;
        if (byteCheck == 2)
        {
            task.InvalidFieldInCdb(1, 2);
            return;
        }
        if (!ValidateBlockRange(task, cdb, _maxTransferBlocks))
        {
            return;
        }
        long rangeBytes = (long)cdb.TransferLength * _blockSize;
        if (byteCheck == 0 || rangeBytes == 0)
        {
            task.CommandTransferLength = byteCheck == 0 ? 0 : rangeBytes;
            return;
        }
        task.CommandTransferLength = byteCheck == 1 ? rangeBytes : _blockSize;
        int received = DataOutLength(task) / _blockSize * _blockSize;
        long compareBytes = byteCheck == 1 ? Math.Min(rangeBytes, received) : (received >= _blockSize ? rangeBytes : 0);
        if (compareBytes == 0)
        {
            return;
        }

        int chunk = (int)Math.Min(compareBytes, StagingBytes);
        byte[] staging = ArrayPool<byte>.Shared.Rent(chunk);
        try
        {
            long lba = (long)cdb.Lba;
            long offset = 0;
            while (offset < compareBytes)
            {
                int n = (int)Math.Min(chunk, compareBytes - offset);
                await _device.ReadAsync(lba + (offset / _blockSize), staging.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                long mismatch = FindMismatch(task.Buffer.Span, staging.AsSpan(0, n), offset, byteCheck == 3 ? _blockSize : 0);
                if (mismatch >= 0)
                {
                    task.CheckCondition(SenseKey.Miscompare, Asc.MiscompareDuringVerifyOperation, (ulong)mismatch, default);
                    return;
                }
                offset += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(staging);
        }
    }

    /// <summary>
    /// Compares <paramref name="medium"/> (which starts <paramref name="offset"/> bytes into the range) with
    /// the Data-Out buffer; with <paramref name="patternLength"/> &gt; 0 the Data-Out buffer is one block
    /// repeated. Returns the range offset of the first differing byte, or -1.
    /// </summary>
    private static long FindMismatch(ReadOnlySpan<byte> dataOut, ReadOnlySpan<byte> medium, long offset, int patternLength)
    {
        if (patternLength == 0)
        {
            ReadOnlySpan<byte> expected = dataOut.Slice((int)offset, medium.Length);
            int common = expected.CommonPrefixLength(medium);
            return common == medium.Length ? -1 : offset + common;
        }
        ReadOnlySpan<byte> pattern = dataOut[..patternLength];
        for (int i = 0; i < medium.Length; i += patternLength)
        {
            int common = pattern.CommonPrefixLength(medium.Slice(i, patternLength));
            if (common != patternLength)
            {
                return offset + i + common;
            }
        }
        return -1;
    }

    /// <summary>SBC-4 §5.26-5.27: SYNCHRONIZE CACHE (10/16). NUMBER OF LOGICAL BLOCKS 0 means to the end of the medium.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SynchronizeCacheAsync(ScsiTask task, CancellationToken cancellationToken)
    {
        if (!CdbDecoder.TryDecodeBlock(task.Cdb, out BlockCdb cdb))
        {
            task.InvalidFieldInCdb(0);
            return;
        }
        ulong count = (ulong)_device.BlockCount;
        if (cdb.Lba > count || cdb.TransferLength > count - cdb.Lba)
        {
            task.LbaOutOfRange();
            return;
        }
        task.CommandTransferLength = 0;
        await _device.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>SBC-4 §5.11-5.12: PRE-FETCH (10/16): nothing to stage in memory, so range check and GOOD.</summary>
    private void PreFetch(ScsiTask task)
    {
        if (!CdbDecoder.TryDecodeBlock(task.Cdb, out BlockCdb cdb))
        {
            task.InvalidFieldInCdb(0);
            return;
        }
        ulong count = (ulong)_device.BlockCount;
        if (cdb.Lba > count || cdb.TransferLength > count - cdb.Lba)
        {
            task.LbaOutOfRange();
            return;
        }
        task.CommandTransferLength = 0;
    }

    /// <summary>
    /// SBC-4 §5.3: COMPARE AND WRITE. The Data-Out buffer holds NUMBER OF LOGICAL BLOCKS of verify data,
    /// then as many of write data; the write happens only if the medium equals the verify data, else
    /// MISCOMPARE with INFORMATION = offset of the first differing byte. Done by the device when it is an
    /// <see cref="ICompareAndWriteBlockDevice"/> that can do the range atomically; otherwise read, compared and
    /// written here, run exclusively (see RunsExclusively).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CompareAndWriteAsync(ScsiTask task, CancellationToken cancellationToken)
    {
        if (!CheckWritable(task))
        {
            return;
        }
        ReadOnlySpan<byte> cdb = task.Cdb;
        if ((cdb[1] >> 5) != 0)
        {
            task.InvalidFieldInCdb(1, 7);
            return;
        }
        bool fua = (cdb[1] & 0x08) != 0;
        ulong lba = CdbDecoder.ReadUInt64(cdb, 2);
        int blocks = cdb[13];
        ulong capacity = (ulong)_device.BlockCount;
        if (lba > capacity || (ulong)blocks > capacity - lba)
        {
            task.LbaOutOfRange();
            return;
        }
        if (blocks == 0)
        {
            // SBC-4 §5.3: zero blocks is not an error, nothing is compared or written. Data-Out sent with
            // it contradicts the CDB (libiscsi's 256-block case wraps the 8-bit field to 0) and is refused.
            task.CommandTransferLength = 0;
            if (DataOutLength(task) != 0)
            {
                task.InvalidFieldInCdb(13);
            }
            return;
        }
        if (blocks > _options.MaxCompareAndWriteLengthBlocks)
        {
            task.InvalidFieldInCdb(13);
            return;
        }
        int bytes = blocks * _blockSize;
        task.CommandTransferLength = 2L * bytes;
        if (DataOutLength(task) != 2 * bytes || task.ExpectedDataTransferLength > 2 * bytes)
        {
            // Without both halves the operation cannot be done atomically; more data than the CDB's two
            // halves contradicts it (libiscsi InvalidDataOutSize).
            task.InvalidFieldInCdb(13);
            return;
        }

        bool forceUnitAccess = fua || !_writeCacheEnabled;
        if (NativeCompareAndWrite(cdb) is { } native)
        {
            // The device compares and writes in one atomic operation; the command was admitted as SIMPLE.
            long differs = await native.CompareAndWriteAsync((long)lba, task.Buffer[..bytes], task.Buffer.Slice(bytes, bytes), forceUnitAccess, cancellationToken).ConfigureAwait(false);
            if (differs >= 0)
            {
                task.CheckCondition(SenseKey.Miscompare, Asc.MiscompareDuringVerifyOperation, (ulong)differs, default);
            }
            return;
        }

        byte[] staging = ArrayPool<byte>.Shared.Rent(bytes);
        try
        {
            try
            {
                await _device.ReadAsync((long)lba, staging.AsMemory(0, bytes), cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                task.CheckCondition(SenseKey.MediumError, Asc.UnrecoveredReadError);
                return;
            }
            long mismatch = FindMismatch(task.Buffer.Span, staging.AsSpan(0, bytes), 0, 0);
            if (mismatch >= 0)
            {
                task.CheckCondition(SenseKey.Miscompare, Asc.MiscompareDuringVerifyOperation, (ulong)mismatch, default);
                return;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(staging);
        }
        await _device.WriteAsync((long)lba, task.Buffer.Slice(bytes, bytes), forceUnitAccess, cancellationToken).ConfigureAwait(false);
    }
}
