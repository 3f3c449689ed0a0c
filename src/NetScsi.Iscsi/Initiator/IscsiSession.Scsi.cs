using NetScsi.Scsi;
using NetScsi.Scsi.Commands;

namespace NetScsi.Iscsi.Initiator;

/// <summary>Standard INQUIRY data (SPC-4 §6.6.2), the fields most callers want.</summary>
/// <param name="PeripheralDeviceType">0 = direct-access block device.</param>
/// <param name="VendorId">T10 vendor identification, trimmed.</param>
/// <param name="ProductId">Product identification, trimmed.</param>
/// <param name="ProductRevision">Product revision level, trimmed.</param>
/// <param name="Raw">The whole response.</param>
public sealed record InquiryData(byte PeripheralDeviceType, string VendorId, string ProductId, string ProductRevision, byte[] Raw);

/// <summary>READ CAPACITY result (SBC-4 §5.15, §5.16).</summary>
/// <param name="BlockCount">Number of logical blocks.</param>
/// <param name="BlockSize">Logical block length in bytes.</param>
public readonly record struct ReadCapacityResult(ulong BlockCount, int BlockSize);

public sealed partial class IscsiSession
{
    /// <summary>How often the conveniences retry a command that got UNIT ATTENTION (reset, nexus loss).</summary>
    private const int UnitAttentionRetries = 5;

    /// <summary>Standard INQUIRY asked with the version descriptors (SPC-4 §6.6.2: 96 bytes).</summary>
    private const ushort InquiryAllocationLength = 96;

    /// <summary>REPORT LUNS asks room for this many LUNs first, and again with what the target says it has.</summary>
    private const int InitialReportLunsEntries = 256;

    private const int MaxReportLunsAllocation = 16 * 1024 * 1024;

    /// <summary>
    /// Reads <paramref name="blocks"/> blocks at <paramref name="lba"/> into <paramref name="buffer"/>
    /// (whose length is blocks × block size) with READ(10), or READ(16) when the LBA or count needs it.
    /// Throws <see cref="ScsiCommandException"/> unless the status is GOOD; UNIT ATTENTION is retried.
    /// </summary>
    /// <param name="lun">Logical unit.</param>
    /// <param name="lba">First block.</param>
    /// <param name="blocks">Number of blocks.</param>
    /// <param name="buffer">Destination.</param>
    /// <param name="cancellationToken">Aborts the command.</param>
    /// <remarks>
    /// No async state machine: the returned <see cref="ValueTask"/> is backed by the pooled command
    /// itself, and UNIT ATTENTION is retried by re-queueing that command, so a read allocates nothing
    /// however many are outstanding.
    /// </remarks>
    public ValueTask ReadAsync(ulong lun, ulong lba, uint blocks, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        try
        {
            Span<byte> cdb = stackalloc byte[BlockCdb.MaxLength];
            int length = BlockCdb.BuildRead(cdb, lba, blocks);
            InitiatorCommand command = SubmitCore(lun, cdb[..length], buffer, default, checkStatus: true, cancellationToken, out short version);
            return new ValueTask(command, version);
        }
        catch (Exception e)
        {
            // As from the async method this used to be: argument and session-state errors surface when awaited.
            return ValueTask.FromException(e);
        }
    }

    /// <summary>
    /// Reads <paramref name="blocks"/> blocks at <paramref name="lba"/> into an array the session rents from
    /// <see cref="System.Buffers.ArrayPool{T}.Shared"/> when the data arrives, as libiscsi hands a task the data it
    /// received. Dispose the result to give the array back. The block size comes from READ CAPACITY (asked once per
    /// LUN). Throws <see cref="ScsiCommandException"/> unless the status is GOOD; UNIT ATTENTION is retried.
    /// </summary>
    /// <param name="lun">Logical unit.</param>
    /// <param name="lba">First block.</param>
    /// <param name="blocks">Number of blocks.</param>
    /// <param name="cancellationToken">Aborts the command.</param>
    /// <remarks>
    /// With many reads outstanding, <see cref="ReadAsync"/> needs a buffer per read, and each read's data lands in
    /// memory untouched since that buffer's last use. Renting on arrival puts it in the array the previous read
    /// just gave back, still in the CPU's cache, which halves the cost of the kernel's copy out of the socket
    /// for 64 KiB reads at queue depth 32. Once the block size is known, allocation-free like <see cref="ReadAsync"/>.
    /// </remarks>
    public ValueTask<PooledReadBuffer> ReadPooledAsync(ulong lun, ulong lba, uint blocks, CancellationToken cancellationToken = default)
    {
        int blockSize;
        bool known;
        lock (_lock)
        {
            known = _blockSizes.TryGetValue(lun, out blockSize);
        }

        if (!known)
        {
            return ReadPooledSlowAsync(lun, lba, blocks, cancellationToken);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<PooledReadBuffer>(cancellationToken);
        }

        return SubmitPooledRead(lun, lba, blocks, blockSize, cancellationToken);
    }

    private async ValueTask<PooledReadBuffer> ReadPooledSlowAsync(ulong lun, ulong lba, uint blocks, CancellationToken cancellationToken)
    {
        int blockSize = (await ReadCapacityAsync(lun, cancellationToken).ConfigureAwait(false)).BlockSize;
        return await SubmitPooledRead(lun, lba, blocks, blockSize, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask<PooledReadBuffer> SubmitPooledRead(ulong lun, ulong lba, uint blocks, int blockSize, CancellationToken cancellationToken)
    {
        try
        {
            long length = (long)blocks * blockSize;
            if (blocks == 0 || length > Array.MaxLength)
            {
                throw new ArgumentOutOfRangeException(nameof(blocks), $"A pooled read is 1 to {Array.MaxLength / blockSize} blocks of {blockSize} bytes.");
            }

            Span<byte> cdb = stackalloc byte[BlockCdb.MaxLength];
            int cdbLength = BlockCdb.BuildRead(cdb, lba, blocks);
            InitiatorCommand command = SubmitCore(lun, cdb[..cdbLength], default, default, checkStatus: true, cancellationToken, out short version, pooledDataInLength: (int)length);
            return new ValueTask<PooledReadBuffer>(command, version);
        }
        catch (Exception e)
        {
            return ValueTask.FromException<PooledReadBuffer>(e);
        }
    }

    /// <summary>
    /// Writes <paramref name="data"/> at <paramref name="lba"/> with WRITE(10) or WRITE(16). The block
    /// size comes from READ CAPACITY (asked once per LUN). FUA forces the data to the medium.
    /// </summary>
    /// <param name="lun">Logical unit.</param>
    /// <param name="lba">First block.</param>
    /// <param name="data">Whole blocks of data.</param>
    /// <param name="fua">Force unit access.</param>
    /// <param name="cancellationToken">Aborts the command.</param>
    /// <remarks>Once the block size is known, allocation-free like <see cref="ReadAsync"/>.</remarks>
    public ValueTask WriteAsync(ulong lun, ulong lba, ReadOnlyMemory<byte> data, bool fua = false, CancellationToken cancellationToken = default)
    {
        int blockSize;
        bool known;
        lock (_lock)
        {
            known = _blockSizes.TryGetValue(lun, out blockSize);
        }

        if (!known)
        {
            return WriteSlowAsync(lun, lba, data, fua, cancellationToken);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        return SubmitWrite(lun, lba, data, fua, blockSize, cancellationToken);
    }

    private async ValueTask WriteSlowAsync(ulong lun, ulong lba, ReadOnlyMemory<byte> data, bool fua, CancellationToken cancellationToken)
    {
        int blockSize = (await ReadCapacityAsync(lun, cancellationToken).ConfigureAwait(false)).BlockSize;
        await SubmitWrite(lun, lba, data, fua, blockSize, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask SubmitWrite(ulong lun, ulong lba, ReadOnlyMemory<byte> data, bool fua, int blockSize, CancellationToken cancellationToken)
    {
        try
        {
            if (blockSize <= 0 || data.Length % blockSize != 0)
            {
                throw new ArgumentException($"The data ({data.Length} bytes) is not a whole number of {blockSize}-byte blocks.", nameof(data));
            }

            uint blocks = (uint)(data.Length / blockSize);
            Span<byte> cdb = stackalloc byte[BlockCdb.MaxLength];
            int length = BlockCdb.BuildWrite(cdb, lba, blocks, fua);
            InitiatorCommand command = SubmitCore(lun, cdb[..length], default, data, checkStatus: true, cancellationToken, out short version);
            return new ValueTask(command, version);
        }
        catch (Exception e)
        {
            return ValueTask.FromException(e);
        }
    }

    private static bool ShouldRetry(in ScsiResult result, int attempt) =>
        attempt < UnitAttentionRetries && result.Response == 0 && result.Status == ScsiStatus.CheckCondition && result.SenseKey == SenseKey.UnitAttention;

    /// <summary>TEST UNIT READY (SPC-4 §6.47); returns the raw result (UNIT ATTENTION is common and informative).</summary>
    /// <param name="lun">Logical unit.</param>
    /// <param name="cancellationToken">Aborts the command.</param>
    public ValueTask<ScsiResult> TestUnitReadyAsync(ulong lun, CancellationToken cancellationToken = default)
    {
        Span<byte> cdb = stackalloc byte[TestUnitReadyCdb.Length];
        new TestUnitReadyCdb().WriteTo(cdb);
        return Submit(lun, cdb, default, default, cancellationToken);
    }

    /// <summary>Standard INQUIRY (SPC-4 §6.6).</summary>
    /// <param name="lun">Logical unit.</param>
    /// <param name="cancellationToken">Aborts the command.</param>
    public async Task<InquiryData> InquiryAsync(ulong lun, CancellationToken cancellationToken = default)
    {
        byte[] buffer = new byte[InquiryAllocationLength];
        byte[] cdb = new byte[InquiryCdb.Length];
        InquiryCdb.Standard(InquiryAllocationLength).WriteTo(cdb);
        ScsiResult result = await RunWithRetryAsync(lun, cdb, buffer, cancellationToken).ConfigureAwait(false);
        byte[] raw = buffer.AsSpan(0, Math.Min(result.DataInLength, buffer.Length)).ToArray();
        return StandardInquiryData.TryParse(raw, out StandardInquiryData data)
            ? new InquiryData(data.PeripheralDeviceType, data.VendorId, data.ProductId, data.ProductRevision, raw)
            : new InquiryData(PeripheralDeviceType.UnknownOrNone, string.Empty, string.Empty, string.Empty, raw);
    }

    /// <summary>READ CAPACITY(16) (SBC-4 §5.16), falling back to READ CAPACITY(10) when the target does not support it.</summary>
    /// <param name="lun">Logical unit.</param>
    /// <param name="cancellationToken">Aborts the command.</param>
    public async Task<ReadCapacityResult> ReadCapacityAsync(ulong lun, CancellationToken cancellationToken = default)
    {
        ReadCapacityResult capacity;
        byte[] buffer16 = new byte[ServiceActionIn16Cdb.ReadCapacity16DataLength];
        byte[] cdb16 = new byte[ServiceActionIn16Cdb.Length];
        ServiceActionIn16Cdb.ReadCapacity16().WriteTo(cdb16);
        ScsiResult result = await RunWithRetryAsync(lun, cdb16, buffer16, cancellationToken, throwOnError: false).ConfigureAwait(false);
        if (result.IsGood && ReadCapacity16Data.TryParse(buffer16.AsSpan(0, result.DataInLength), out ReadCapacity16Data data16))
        {
            capacity = new ReadCapacityResult(data16.BlockCount, (int)data16.BlockLength);
        }
        else if (result.SenseKey == SenseKey.IllegalRequest || result.Status == ScsiStatus.CheckCondition)
        {
            byte[] buffer10 = new byte[ReadCapacity10Data.Length];
            byte[] cdb10 = new byte[ReadCapacity10Cdb.Length];
            new ReadCapacity10Cdb().WriteTo(cdb10);
            await RunWithRetryAsync(lun, cdb10, buffer10, cancellationToken).ConfigureAwait(false);
            ReadCapacity10Data.TryParse(buffer10, out ReadCapacity10Data data10);
            capacity = new ReadCapacityResult(data10.BlockCount, (int)data10.BlockLength);
        }
        else
        {
            throw new ScsiCommandException(result);
        }

        lock (_lock)
        {
            _blockSizes[lun] = capacity.BlockSize;
        }

        return capacity;
    }

    /// <summary>REPORT LUNS (SPC-4 §6.33, SELECT REPORT 0): the LUN numbers the target exposes to us.</summary>
    /// <param name="cancellationToken">Aborts the command.</param>
    public async Task<IReadOnlyList<ulong>> ReportLunsAsync(CancellationToken cancellationToken = default)
    {
        int allocation = ReportLunsData.HeaderLength + (ReportLunsData.LunLength * InitialReportLunsEntries);
        while (true)
        {
            byte[] buffer = new byte[allocation];
            byte[] cdb = new byte[ReportLunsCdb.Length];
            new ReportLunsCdb(ReportLunsCdb.AllButWellKnown, (uint)allocation).WriteTo(cdb);
            ScsiResult result = await RunWithRetryAsync(0, cdb, buffer, cancellationToken).ConfigureAwait(false);
            ReadOnlySpan<byte> data = buffer.AsSpan(0, Math.Min(result.DataInLength, buffer.Length));
            if (data.Length < ReportLunsData.HeaderLength)
            {
                return [];
            }

            long needed = ReportLunsData.HeaderLength + (long)ReportLunsData.ReadListLength(data);
            if (needed > allocation && allocation < MaxReportLunsAllocation)
            {
                allocation = (int)Math.Min(needed, MaxReportLunsAllocation);
                continue;
            }

            var luns = new List<ulong>();
            for (int i = 0; i < ReportLunsData.CountReceived(data); i++)
            {
                if (ScsiTargetDevice.TryDecodeLun(ReportLunsData.ReadLun(data, i), out int number))
                {
                    luns.Add((ulong)number);
                }
            }

            return luns;
        }
    }

    private async Task<ScsiResult> RunWithRetryAsync(ulong lun, byte[] cdb, byte[] buffer, CancellationToken cancellationToken, bool throwOnError = true)
    {
        for (int attempt = 0; ; attempt++)
        {
            ScsiResult result = await ExecuteAsync(lun, cdb, buffer, default, cancellationToken).ConfigureAwait(false);
            if (result.IsGood)
            {
                return result;
            }

            if (!ShouldRetry(result, attempt))
            {
                return throwOnError ? throw new ScsiCommandException(result) : result;
            }
        }
    }
}
