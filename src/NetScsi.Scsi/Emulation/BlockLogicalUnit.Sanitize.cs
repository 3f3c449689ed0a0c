using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using NetScsi.Scsi.Commands;

namespace NetScsi.Scsi.Emulation;

/// <summary>
/// SBC-4 §4.11 and §5.30: SANITIZE. OVERWRITE writes the initialization pattern over every block
/// (OVERWRITE COUNT passes, INVERT between passes), throttled to <see cref="LogicalUnitOptions.SanitizeBytesPerSecond"/>;
/// BLOCK ERASE deallocates every block of a thin unit whose unmapped blocks read as zeros (WABEREQ 01b);
/// CRYPTO ERASE is not supported; EXIT FAILURE MODE leaves the failure mode a failed sanitize enters.
/// The operation runs in the background, independent of the command that started it: aborts, resets and
/// nexus loss do not stop it. Until it ends every command but INQUIRY, REPORT LUNS and REQUEST SENSE gets
/// NOT READY, SANITIZE IN PROGRESS with a progress indication.
/// </summary>
public sealed partial class BlockLogicalUnit
{
    private const int SanitizeOverwriteHeaderLength = 4;

    private volatile SanitizeOperation? _sanitize;
    private volatile bool _sanitizeFailed;

    /// <summary>True while a SANITIZE operation runs.</summary>
    public bool IsSanitizing => _sanitize is { IsCompleted: false };

    /// <summary>True after a SANITIZE failed, until a SANITIZE succeeds or EXIT FAILURE MODE.</summary>
    public bool InSanitizeFailureMode => _sanitizeFailed;

    private bool SupportsBlockErase => IsThin && _device.UnmappedReadsZero;

    private sealed class SanitizeOperation(long totalBytes)
    {
        private long _doneBytes;

        public TaskCompletionSource<bool> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsCompleted => Completion.Task.IsCompleted;

        public void Advance(long bytes) => Interlocked.Add(ref _doneBytes, bytes);

        /// <summary>PROGRESS INDICATION: the fraction done, in 65536ths.</summary>
        public ushort Progress
        {
            get
            {
                long done = Interlocked.Read(ref _doneBytes);
                return totalBytes <= 0 ? (ushort)0 : (ushort)Math.Min(65535, done * 65536 / totalBytes);
            }
        }
    }

    /// <summary>Commands a sanitize in progress lets through (SBC-4 §4.11.2).</summary>
    private bool RefusedWhileSanitizing(ScsiTask task, byte opcode)
    {
        SanitizeOperation? operation = _sanitize;
        if (operation is null || operation.IsCompleted || opcode is ScsiOpcode.Inquiry or ScsiOpcode.ReportLuns or ScsiOpcode.RequestSense)
        {
            return false;
        }
        task.CheckCondition(SenseKey.NotReady, Asc.LogicalUnitNotReadySanitizeInProgress, null, SenseKeySpecific.Progress(operation.Progress));
        return true;
    }

    /// <summary>
    /// SANITIZE: validates, then starts the operation once every older command has completed (admitted like
    /// an ORDERED task). With IMMED the command completes as soon as the operation starts.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SanitizeAsync(ScsiTask task, CancellationToken cancellationToken)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        bool immediate = (cdb[1] & 0x80) != 0;
        int serviceAction = cdb[1] & 0x1F;
        int parameterListLength = CdbDecoder.ReadUInt16(cdb, 7);
        task.CommandTransferLength = parameterListLength;
        if ((cdb[1] & 0x40) != 0)
        {
            task.InvalidFieldInCdb(1, 6);
            return;
        }
        for (int i = 2; i <= 6; i++)
        {
            if (cdb[i] != 0)
            {
                task.InvalidFieldInCdb(i);
                return;
            }
        }
        byte[]? pattern = null;
        int passes = 0;
        bool invert = false;
        switch (serviceAction)
        {
            case ScsiOpcode.SanitizeOverwrite:
                if (!TryParseOverwriteParameters(task, parameterListLength, out pattern, out passes, out invert))
                {
                    return;
                }
                break;
            case ScsiOpcode.SanitizeBlockErase when SupportsBlockErase:
            case ScsiOpcode.SanitizeExitFailureMode:
                if (parameterListLength != 0)
                {
                    task.InvalidFieldInCdb(7);
                    return;
                }
                break;
            default:
                // CRYPTO ERASE (no encryption here), BLOCK ERASE on a fully provisioned unit, reserved actions.
                task.InvalidFieldInCdb(1, 4);
                return;
        }
        if (!MediumPresentForSanitize(task) || !CheckWritable(task))
        {
            return;
        }
        if (serviceAction == ScsiOpcode.SanitizeExitFailureMode)
        {
            _sanitizeFailed = false;
            return;
        }

        SanitizeOperation operation;
        await _gate.EnterAsync(TaskAttribute.Ordered, cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsSanitizing)
            {
                task.CheckCondition(SenseKey.NotReady, Asc.LogicalUnitNotReadySanitizeInProgress, null, SenseKeySpecific.Progress(_sanitize?.Progress ?? 0));
                return;
            }
            long total = serviceAction == ScsiOpcode.SanitizeOverwrite ? _device.BlockCount * _blockSize * passes : 1;
            operation = new SanitizeOperation(total);
            _sanitize = operation;
            _ = Task.Run(() => RunSanitizeAsync(operation, pattern, passes, invert), CancellationToken.None);
        }
        finally
        {
            _gate.Exit(TaskAttribute.Ordered);
        }
        if (immediate)
        {
            return;
        }
        // The operation goes on even if this wait is cancelled (ABORT TASK, resets, nexus loss).
        bool succeeded = await operation.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!succeeded)
        {
            task.CheckCondition(SenseKey.MediumError, Asc.SanitizeCommandFailed);
        }
    }

    private bool MediumPresentForSanitize(ScsiTask task)
    {
        if (_mediumPresent)
        {
            return true;
        }
        task.CheckCondition(SenseKey.NotReady, Asc.MediumNotPresent);
        return false;
    }

    /// <summary>SBC-4 §5.30.2: the OVERWRITE parameter list.</summary>
    private bool TryParseOverwriteParameters(ScsiTask task, int parameterListLength, out byte[]? pattern, out int passes, out bool invert)
    {
        pattern = null;
        passes = 0;
        invert = false;
        if (parameterListLength <= SanitizeOverwriteHeaderLength || parameterListLength > _blockSize + SanitizeOverwriteHeaderLength)
        {
            task.InvalidFieldInCdb(7);
            return false;
        }
        ReadOnlySpan<byte> data = task.Buffer.Span[..Math.Min(parameterListLength, DataOutLength(task))];
        if (data.Length < parameterListLength)
        {
            task.CheckCondition(SenseKey.IllegalRequest, Asc.ParameterListLengthError);
            return false;
        }
        invert = (data[0] & 0x80) != 0;
        if ((data[0] & 0x60) != 0)
        {
            task.InvalidFieldInParameterList(0, 6); // TEST: only 00b
            return false;
        }
        passes = data[0] & 0x1F;
        if (passes == 0)
        {
            task.InvalidFieldInParameterList(0, 4);
            return false;
        }
        int patternLength = (data[2] << 8) | data[3];
        if (patternLength == 0 || patternLength > _blockSize || patternLength > parameterListLength - SanitizeOverwriteHeaderLength)
        {
            task.InvalidFieldInParameterList(2);
            return false;
        }
        pattern = data.Slice(SanitizeOverwriteHeaderLength, patternLength).ToArray();
        return true;
    }

    private async Task RunSanitizeAsync(SanitizeOperation operation, byte[]? pattern, int passes, bool invert)
    {
        bool ok = false;
        try
        {
            if (pattern is null)
            {
                await _device.UnmapAsync(0, _device.BlockCount, CancellationToken.None).ConfigureAwait(false);
                operation.Advance(1);
            }
            else
            {
                await OverwriteAsync(operation, pattern, passes, invert).ConfigureAwait(false);
            }
            await _device.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            ok = true;
        }
        catch (Exception)
        {
            // SBC-4 §4.11.4: a failed sanitize leaves the unit in the sanitize failure mode.
            ok = false;
        }
        _sanitizeFailed = !ok;
        operation.Completion.TrySetResult(ok);
    }

    private async Task OverwriteAsync(SanitizeOperation operation, byte[] pattern, int passes, bool invert)
    {
        long blockCount = _device.BlockCount;
        int chunkBlocks = (int)Math.Min(blockCount, Math.Max(1, StagingBytes / _blockSize));
        int chunkBytes = chunkBlocks * _blockSize;
        long rate = _options.SanitizeBytesPerSecond;
        long written = 0;
        var clock = Stopwatch.StartNew();
        byte[] staging = ArrayPool<byte>.Shared.Rent(chunkBytes);
        try
        {
            for (int pass = 0; pass < passes; pass++)
            {
                // The pattern repeats within each block (SBC-4 §5.30.2.2); INVERT complements it on every other pass.
                bool inverted = invert && (pass & 1) == 1;
                for (int i = 0; i < chunkBytes; i++)
                {
                    byte b = pattern[i % _blockSize % pattern.Length];
                    staging[i] = inverted ? (byte)~b : b;
                }
                for (long lba = 0; lba < blockCount; lba += chunkBlocks)
                {
                    int n = (int)Math.Min(chunkBlocks, blockCount - lba);
                    await _device.WriteAsync(lba, staging.AsMemory(0, n * _blockSize), false, CancellationToken.None).ConfigureAwait(false);
                    written += (long)n * _blockSize;
                    operation.Advance((long)n * _blockSize);
                    if (rate > 0)
                    {
                        TimeSpan due = TimeSpan.FromSeconds((double)written / rate);
                        TimeSpan ahead = due - clock.Elapsed;
                        if (ahead > TimeSpan.FromMilliseconds(1))
                        {
                            await Task.Delay(ahead).ConfigureAwait(false);
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(staging);
        }
    }
}
