using NetScsi.Cli.Initiator;
using NetScsi.Iscsi.Initiator;
using NetScsi.Scsi;
using NetScsi.Scsi.Commands;

namespace NetScsi.Cli.Copy;

/// <summary>
/// A LUN over its own session. All-zero ranges become WRITE SAME(16) with UNMAP (one zero block of
/// data-out), or UNMAP when WRITE SAME is refused and deallocated blocks read as zeros, or plain
/// zero writes when neither is possible; a refusal is remembered for the rest of the copy.
/// </summary>
internal sealed class LunEndpoint : ICopyEndpoint
{
    private const int MaxZeroCommandBytes = 64 * 1024 * 1024;

    private readonly IscsiSession _session;
    private readonly ulong _lun;
    private readonly Provisioning _provisioning;
    private readonly byte[] _zeroBlock;
    private int _mode;

    private LunEndpoint(string name, IscsiSession session, ulong lun, ReadCapacityResult capacity, Provisioning provisioning)
    {
        Name = name;
        _session = session;
        _lun = lun;
        BlockSize = capacity.BlockSize;
        Length = checked((long)capacity.BlockCount * capacity.BlockSize);
        _provisioning = provisioning;
        _zeroBlock = new byte[capacity.BlockSize];
        _mode = (int)ZeroMethod.WriteSameUnmap;
    }

    public string Name { get; }

    public long Length { get; }

    public int BlockSize { get; }

    public static async Task<LunEndpoint> OpenAsync(ResolvedTarget target, CancellationToken cancellationToken, TextWriter? report = null)
    {
        var session = await Connections.ConnectAsync(target, cancellationToken, report).ConfigureAwait(false);
        try
        {
            var capacity = await session.ReadCapacityAsync(target.Lun, cancellationToken).ConfigureAwait(false);
            var provisioning = await ScsiQueries.ProvisioningAsync(session, target.Lun, cancellationToken).ConfigureAwait(false);
            return new LunEndpoint(target.Url(), session, target.Lun, capacity, provisioning) { Report = report };
        }
        catch
        {
            await Connections.CloseAsync(session).ConfigureAwait(false);
            throw;
        }
    }

    public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken) =>
        _session.ReadAsync(_lun, (ulong)(offset / BlockSize), (uint)(buffer.Length / BlockSize), buffer, cancellationToken);

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        _session.WriteAsync(_lun, (ulong)(offset / BlockSize), data, fua: false, cancellationToken);

    public async ValueTask<ZeroMethod> WriteZerosAsync(long offset, long length, CancellationToken cancellationToken)
    {
        while (true)
        {
            var mode = (ZeroMethod)Volatile.Read(ref _mode);
            bool done = mode switch
            {
                ZeroMethod.WriteSameUnmap => await WriteSameAsync(offset, length, cancellationToken).ConfigureAwait(false),
                ZeroMethod.Unmap => await UnmapAsync(offset, length, cancellationToken).ConfigureAwait(false),
                _ => await WriteZeroDataAsync(offset, length, cancellationToken).ConfigureAwait(false),
            };
            if (done)
            {
                return mode;
            }

            // Refused: fall back one step (UNMAP only where deallocated blocks are known to read as zeros).
            var next = mode == ZeroMethod.WriteSameUnmap && _provisioning.Unmap && _provisioning.UnmappedReadsZero
                ? ZeroMethod.Unmap
                : ZeroMethod.Data;
            Interlocked.CompareExchange(ref _mode, (int)next, (int)mode);
        }
    }

    public ValueTask PrepareDestinationAsync(long length, CancellationToken cancellationToken)
    {
        CopyEndpoints.EnsureFits(length, Length, Name);
        return ValueTask.CompletedTask;
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        // SYNCHRONIZE CACHE(10) over the whole unit; a unit without a cache may refuse it, which is fine.
        byte[] cdb = new byte[BlockCdb.MaxLength];
        int cdbLength = BlockCdb.Create(ScsiOpcode.SynchronizeCache10, 0, 0).WriteTo(cdb);
        for (int attempt = 0; attempt < 3; attempt++)
        {
            var result = await _session.ExecuteAsync(_lun, cdb.AsMemory(0, cdbLength), default, default, cancellationToken).ConfigureAwait(false);
            if (result.IsGood || result.SenseKey != SenseKey.UnitAttention)
            {
                if (!result.IsGood && result.SenseKey != SenseKey.IllegalRequest)
                {
                    throw new ScsiCommandException(result);
                }

                return;
            }
        }
    }

    public async ValueTask DisposeAsync() => await Connections.CloseAsync(_session, Report).ConfigureAwait(false);

    /// <summary>Where closing lists the commands per connection (a session of several).</summary>
    private TextWriter? Report { get; init; }

    /// <returns>False when the unit refuses WRITE SAME(16) with UNMAP (ILLEGAL REQUEST).</returns>
    private async ValueTask<bool> WriteSameAsync(long offset, long length, CancellationToken cancellationToken)
    {
        long maxBlocks = _provisioning.MaxWriteSameBlocks is > 0 and < int.MaxValue ? (long)_provisioning.MaxWriteSameBlocks : MaxZeroCommandBytes / BlockSize;
        long lba = offset / BlockSize;
        long blocks = length / BlockSize;
        byte[] cdb = new byte[BlockCdb.MaxLength];
        while (blocks > 0)
        {
            long n = Math.Min(blocks, maxBlocks);
            // SBC-4 §5.50: WRITE SAME(16) with UNMAP: deallocate where the unit can, zeros otherwise.
            BlockCdb.Create(ScsiOpcode.WriteSame16, (ulong)lba, (uint)n, BlockCdb.UnmapFlag).WriteTo(cdb);
            var result = await ExecuteRetryingAsync(cdb, _zeroBlock, cancellationToken).ConfigureAwait(false);
            if (!result.IsGood)
            {
                if (result.SenseKey == SenseKey.IllegalRequest)
                {
                    return false;
                }

                throw new ScsiCommandException(result);
            }

            lba += n;
            blocks -= n;
        }

        return true;
    }

    private async ValueTask<bool> UnmapAsync(long offset, long length, CancellationToken cancellationToken)
    {
        long maxBlocks = _provisioning.MaxUnmapBlocks is > 0 and < uint.MaxValue ? _provisioning.MaxUnmapBlocks : MaxZeroCommandBytes / BlockSize;
        long lba = offset / BlockSize;
        long blocks = length / BlockSize;
        byte[] parameters = new byte[UnmapParameterList.LengthFor(1)];
        byte[] cdb = new byte[UnmapCdb.Length];
        while (blocks > 0)
        {
            long n = Math.Min(blocks, maxBlocks);
            UnmapParameterList.Write(parameters, [new UnmapBlockDescriptor((ulong)lba, (uint)n)]);
            new UnmapCdb((ushort)parameters.Length).WriteTo(cdb);
            var result = await ExecuteRetryingAsync(cdb, parameters, cancellationToken).ConfigureAwait(false);
            if (!result.IsGood)
            {
                if (result.SenseKey == SenseKey.IllegalRequest)
                {
                    return false;
                }

                throw new ScsiCommandException(result);
            }

            lba += n;
            blocks -= n;
        }

        return true;
    }

    private async ValueTask<bool> WriteZeroDataAsync(long offset, long length, CancellationToken cancellationToken)
    {
        await CopyEndpoints.WriteZeroDataAsync(this, offset, length, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async ValueTask<ScsiResult> ExecuteRetryingAsync(byte[] cdb, byte[] dataOut, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            var result = await _session.ExecuteAsync(_lun, cdb, default, dataOut, cancellationToken).ConfigureAwait(false);
            if (result.IsGood || attempt >= 3 || result.SenseKey != SenseKey.UnitAttention)
            {
                return result;
            }
        }
    }
}
