using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using NetScsi.Iscsi.Pdus;
using NetScsi.Iscsi.Target;
using NetScsi.Scsi.Commands;

namespace NetScsi.Benchmarks;

/// <summary>
/// A minimal initiator for benchmarks. Login allocates freely; the command path does not: command
/// headers are pre-encoded and only ITT, CmdSN and ExpStatSN are patched, responses are located with
/// <see cref="PduReader"/> in the pipe's buffer and consumed in place, and the async loop uses a pooled
/// state machine. Anything but GOOD status throws, so a benchmark never measures an error path.
/// </summary>
internal sealed class BenchInitiator : IAsyncDisposable
{
    public const int BlockSize = 512;
    public const int IoBytes = 4096;

    /// <summary>ITTs cycle through this many values: a tag comes back long after its command finished.</summary>
    private const int TagCount = 64;
    private const uint FirstTag = 0x100;
    private const int MaxRecvDataSegmentLength = 262144;

    private readonly IDuplexPipe _pipe;
    private readonly IAsyncDisposable? _owner;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly byte[] _readCommand = new byte[Bhs.Length];
    private readonly byte[] _writeCommand = new byte[Bhs.Length];
    private readonly byte[] _testUnitReady = new byte[Bhs.Length];
    private readonly byte[] _writeData;
    private readonly ManualResetEventSlim _done = new(false);
    private readonly Action _signal;
    private uint _cmdSN;
    private uint _expStatSN;
    private uint _nextTag;
    private byte _lastStatus;

    /// <param name="pipe">The byte stream to the target.</param>
    /// <param name="owner">What closes the stream (a socket), or null when completing the pipe does.</param>
    public BenchInitiator(IDuplexPipe pipe, IAsyncDisposable? owner, long lba, int ioBytes = IoBytes)
    {
        _writeData = new byte[ioBytes];
        _pipe = pipe;
        _owner = owner;
        _input = pipe.Input;
        _output = pipe.Output;
        _signal = _done.Set;
        new Random(7).NextBytes(_writeData);

        Span<byte> cdb = stackalloc byte[BlockCdb.MaxLength];
        uint blocks = (uint)(ioBytes / BlockSize);
        int length = BlockCdb.Create(ScsiOpcode.Read10, (ulong)lba, blocks).WriteTo(cdb);
        EncodeCommand(_readCommand, cdb[..length], read: true, write: false, (uint)ioBytes, immediate: 0);
        length = BlockCdb.Create(ScsiOpcode.Write10, (ulong)lba, blocks).WriteTo(cdb);
        EncodeCommand(_writeCommand, cdb[..length], read: false, write: true, (uint)ioBytes, immediate: ioBytes);
        length = new TestUnitReadyCdb().WriteTo(cdb);
        EncodeCommand(_testUnitReady, cdb[..length], read: false, write: false, 0, immediate: 0);
    }

    public enum Operation
    {
        Read,
        Write,
        TestUnitReady,
    }

    private static void EncodeCommand(byte[] header, ReadOnlySpan<byte> cdb, bool read, bool write, uint edtl, int immediate)
    {
        var pdu = new ScsiCommandPdu
        {
            Final = true,
            Read = read,
            Write = write,
            Attributes = 1, // SIMPLE
            ExpectedDataTransferLength = edtl,
            DataSegmentLength = immediate,
        };
        cdb.CopyTo(pdu.Cdb);
        pdu.WriteTo(header);
    }

    /// <summary>Normal-session login, AuthMethod=None, with the operational keys the benchmarks use.</summary>
    public async Task LoginAsync(string targetName, string initiatorName)
    {
        const ulong isid = 0x80_0000_00_0001; // random-format ISID
        var first = await LoginStepAsync(isid, 0, 1, Keys(
            "InitiatorName=" + initiatorName,
            "TargetName=" + targetName,
            "SessionType=Normal",
            "AuthMethod=None"));
        if (first.StatusClass != 0)
        {
            throw new InvalidOperationException($"Login (security) failed: {first.StatusClass:x2}{first.StatusDetail:x2}");
        }
        var second = await LoginStepAsync(isid, 1, 3, Keys(
            "HeaderDigest=None",
            "DataDigest=None",
            "ErrorRecoveryLevel=0",
            "ImmediateData=Yes",
            "InitialR2T=No",
            "MaxRecvDataSegmentLength=" + MaxRecvDataSegmentLength,
            "FirstBurstLength=65536",
            "MaxBurstLength=262144"));
        if (second.StatusClass != 0 || !second.Transit || second.NextStage != 3)
        {
            throw new InvalidOperationException($"Login (operational) failed: {second.StatusClass:x2}{second.StatusDetail:x2}");
        }
        _cmdSN = second.ExpCmdSN;
    }

    private static byte[] Keys(params string[] pairs)
    {
        var sb = new StringBuilder();
        foreach (var pair in pairs)
        {
            sb.Append(pair).Append('\0');
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private async Task<LoginResponsePdu> LoginStepAsync(ulong isid, byte csg, byte nsg, byte[] keys)
    {
        var header = new byte[Bhs.Length];
        new LoginRequestPdu
        {
            Transit = true,
            CurrentStage = csg,
            NextStage = nsg,
            Isid = isid,
            InitiatorTaskTag = 1,
            CmdSN = 1,
            ExpStatSN = _expStatSN,
            DataSegmentLength = keys.Length,
        }.WriteTo(header);
        PduWriter.Write(_output, header, keys, false, false);
        await _output.FlushAsync();
        while (true)
        {
            var result = await _input.ReadAsync();
            var buffer = result.Buffer;
            var status = PduReader.TryRead(buffer, MaxRecvDataSegmentLength, false, false, out var frame);
            if (status == PduReadResult.Complete)
            {
                var response = LoginResponsePdu.Parse(frame.Header);
                _input.AdvanceTo(buffer.GetPosition(frame.WireLength));
                _expStatSN = response.StatSN + 1;
                return response;
            }
            if (status != PduReadResult.Incomplete || result.IsCompleted)
            {
                throw new InvalidOperationException("Login: bad response or connection closed (" + status + ").");
            }
            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>TEST UNIT READY until GOOD: takes the power-on unit attention out of the way.</summary>
    public void ClearUnitAttention()
    {
        for (int i = 0; i < 4; i++)
        {
            Wait(RunAsync(Operation.TestUnitReady, 1, 1, requireGood: false));
            if (_lastStatus == 0)
            {
                return;
            }
        }
        throw new InvalidOperationException("TEST UNIT READY never returned GOOD.");
    }

    /// <summary>Runs <paramref name="count"/> commands, <paramref name="depth"/> in flight at a time, and blocks until done.</summary>
    public void Run(Operation operation, int count, int depth) => Wait(RunAsync(operation, count, depth, requireGood: true));

    /// <summary>Blocks on a (pooled) ValueTask without allocating: a cached callback sets a reusable event.</summary>
    private void Wait(ValueTask pending)
    {
        if (!pending.IsCompleted)
        {
            _done.Reset();
            pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_signal);
            _done.Wait();
        }
        pending.GetAwaiter().GetResult();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask RunAsync(Operation operation, int count, int depth, bool requireGood)
    {
        int done = 0;
        while (done < count)
        {
            int batch = Math.Min(depth, count - done);
            for (int i = 0; i < batch; i++)
            {
                WriteCommand(operation);
            }
            await _output.FlushAsync().ConfigureAwait(false);
            int completed = 0;
            while (completed < batch)
            {
                var result = await _input.ReadAsync().ConfigureAwait(false);
                completed += ConsumeResponses(result, requireGood, out bool pingPending);
                if (pingPending)
                {
                    await _output.FlushAsync().ConfigureAwait(false);
                }
            }
            done += batch;
        }
    }

    private void WriteCommand(Operation operation)
    {
        byte[] template = operation switch
        {
            Operation.Read => _readCommand,
            Operation.Write => _writeCommand,
            _ => _testUnitReady,
        };
        Span<byte> header = stackalloc byte[Bhs.Length];
        template.CopyTo(header);
        uint tag = FirstTag + (_nextTag++ % TagCount);
        Bhs.WriteUInt32(header, 16, tag);
        Bhs.WriteUInt32(header, 24, _cmdSN++);
        Bhs.WriteUInt32(header, 28, _expStatSN);
        ReadOnlySpan<byte> data = operation == Operation.Write ? _writeData : default;
        PduWriter.Write(_output, header, data, headerDigest: false, dataDigest: false);
    }

    /// <summary>Consumes every complete PDU in the buffer; returns how many commands completed.</summary>
    private int ConsumeResponses(in ReadResult result, bool requireGood, out bool pingPending)
    {
        var buffer = result.Buffer;
        int completed = 0;
        pingPending = false;
        while (true)
        {
            var status = PduReader.TryRead(buffer, MaxRecvDataSegmentLength, false, false, out var frame);
            if (status == PduReadResult.Incomplete)
            {
                break;
            }
            if (status != PduReadResult.Complete)
            {
                throw new InvalidOperationException("Bad PDU from target: " + status);
            }
            ReadOnlySpan<byte> header = frame.Header;
            switch (Bhs.GetOpcode(header))
            {
                case IscsiOpcode.DataIn:
                    // Status folded into the last Data-In (S bit).
                    if ((header[1] & DataInPdu.StatusBit) != 0)
                    {
                        Complete(header[3], Bhs.ReadUInt32(header, 24), requireGood);
                        completed++;
                    }
                    break;
                case IscsiOpcode.ScsiResponse:
                    if (header[2] != 0)
                    {
                        throw new InvalidOperationException("SCSI Response with iSCSI response code " + header[2]);
                    }
                    Complete(header[3], Bhs.ReadUInt32(header, 24), requireGood);
                    completed++;
                    break;
                case IscsiOpcode.NopIn:
                    // A target ping (TTT != 0xffffffff) is answered, or the target drops us after NopInTimeout.
                    uint ttt = Bhs.ReadUInt32(header, 20);
                    if (ttt != Bhs.ReservedTag)
                    {
                        WritePingReply(ttt);
                        pingPending = true;
                    }
                    break;
                case IscsiOpcode.Reject:
                    throw RejectException(header[2], frame.Data);
                default:
                    throw new InvalidOperationException("Unexpected PDU from target: " + Bhs.GetOpcode(header));
            }
            buffer = buffer.Slice(frame.WireLength);
        }
        _input.AdvanceTo(buffer.Start, buffer.End);
        if (result.IsCompleted && completed == 0)
        {
            throw new InvalidOperationException("Target closed the connection.");
        }
        return completed;
    }

    private InvalidOperationException RejectException(byte reason, in ReadOnlySequence<byte> data)
    {
        var rejected = data.ToArray();
        string what = rejected.Length >= Bhs.Length
            ? $" for {Bhs.GetOpcode(rejected)} ITT 0x{Bhs.GetInitiatorTaskTag(rejected):x} CmdSN {Bhs.ReadUInt32(rejected, 24)}"
            : string.Empty;
        return new InvalidOperationException($"Target sent Reject (reason 0x{reason:x2}){what}; next CmdSN {_cmdSN}.");
    }

    private void WritePingReply(uint targetTransferTag)
    {
        Span<byte> reply = stackalloc byte[Bhs.Length];
        new NopOutPdu
        {
            Immediate = true,
            InitiatorTaskTag = Bhs.ReservedTag,
            TargetTransferTag = targetTransferTag,
            CmdSN = _cmdSN,
            ExpStatSN = _expStatSN,
        }.WriteTo(reply);
        PduWriter.WriteHeader(_output, reply, headerDigest: false);
    }

    private void Complete(byte scsiStatus, uint statSN, bool requireGood)
    {
        _lastStatus = scsiStatus;
        _expStatSN = statSN + 1;
        if (requireGood && scsiStatus != 0)
        {
            throw new InvalidOperationException("SCSI status " + scsiStatus + " (expected GOOD)");
        }
    }

    /// <summary>Benchmark teardown: the initiator's connection first, then the target it talked to.</summary>
    public static async Task DisposeWithTargetAsync(BenchInitiator? client, IscsiTargetServer? server)
    {
        if (client is not null)
        {
            await client.DisposeAsync();
        }
        if (server is not null)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await server.StopAsync(cts.Token);
            await server.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_owner is not null)
        {
            await _owner.DisposeAsync();
        }
        else
        {
            await _pipe.Input.CompleteAsync();
            await _pipe.Output.CompleteAsync();
        }
        _done.Dispose();
    }
}
