using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using NetScsi.Iscsi.Pdus;
using NetScsi.Scsi.Commands;

namespace NetScsi.Benchmarks;

/// <summary>
/// A minimal target for initiator benchmarks, on one in-memory connection. Login agrees to whatever the
/// initiator offers (first value of each list; MaxRecvDataSegmentLength 262144) and may allocate. After
/// that nothing is allocated: every complete PDU in the pipe buffer is answered in place from prebuilt
/// headers (only ITT, StatSN, ExpCmdSN and MaxCmdSN are patched): READ(10)/READ(16) with one Data-In
/// carrying the data and folded GOOD status, READ CAPACITY(16) with a 64 MiB / 512-byte answer,
/// anything else (WRITE with immediate data, TEST UNIT READY) with a GOOD SCSI Response, NOP-Out
/// pings with NOP-In, Logout with a Logout Response. Responses of one read batch are flushed together.
/// </summary>
internal sealed class FakeTarget : IAsyncDisposable
{
    public const int BlockSize = 512;
    public const ulong BlockCount = 64UL * 1024 * 1024 / BlockSize;
    private const int MaxRecvDataSegmentLength = 262144;
    private const uint Window = 128;

    private readonly IDuplexPipe _pipe;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly byte[] _dataInHeader = new byte[Bhs.Length];
    private readonly byte[] _responseHeader = new byte[Bhs.Length];
    private readonly byte[] _readData = new byte[MaxRecvDataSegmentLength];
    private readonly byte[] _capacity = new byte[32];
    private uint _statSN = 1;
    private uint _expCmdSN;
    private Task _loop = Task.CompletedTask;

    public FakeTarget(IDuplexPipe pipe)
    {
        _pipe = pipe;
        _input = pipe.Input;
        _output = pipe.Output;
        new Random(11).NextBytes(_readData);
        new DataInPdu { Final = true, HasStatus = true, Status = 0, TargetTransferTag = Bhs.ReservedTag }.WriteTo(_dataInHeader);
        new ScsiResponsePdu { Response = 0, Status = 0 }.WriteTo(_responseHeader);
        BinaryPrimitives.WriteUInt64BigEndian(_capacity, BlockCount - 1);
        BinaryPrimitives.WriteUInt32BigEndian(_capacity.AsSpan(8), BlockSize);
    }

    /// <summary>Commands answered so far.</summary>
    public long Commands { get; private set; }

    public void Start() => _loop = Task.Run(() => RunAsync().AsTask());

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask RunAsync()
    {
        try
        {
            while (true)
            {
                ReadResult result = await _input.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                bool wrote = false;
                while (true)
                {
                    PduReadResult status = PduReader.TryRead(buffer, MaxRecvDataSegmentLength, false, false, out PduFrame frame);
                    if (status == PduReadResult.Incomplete)
                    {
                        break;
                    }

                    if (status != PduReadResult.Complete)
                    {
                        throw new InvalidOperationException("Bad PDU from the initiator: " + status);
                    }

                    wrote |= Handle(ref frame);
                    buffer = buffer.Slice(frame.WireLength);
                }

                _input.AdvanceTo(buffer.Start, buffer.End);
                if (wrote)
                {
                    FlushResult flushed = await _output.FlushAsync().ConfigureAwait(false);
                    if (flushed.IsCompleted)
                    {
                        return;
                    }
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            // The connection went away (benchmark cleanup).
        }
    }

    private bool Handle(ref PduFrame frame)
    {
        ReadOnlySpan<byte> header = frame.Header;
        switch (Bhs.GetOpcode(header))
        {
            case IscsiOpcode.LoginRequest:
                Login(header, frame.Data);
                return true;
            case IscsiOpcode.ScsiCommand:
                Command(header);
                return true;
            case IscsiOpcode.NopOut:
            {
                var nop = NopOutPdu.Parse(header);
                if (nop.InitiatorTaskTag == Bhs.ReservedTag)
                {
                    return false; // answer to a ping of ours: we never ping
                }

                Span<byte> reply = stackalloc byte[Bhs.Length];
                var pdu = new NopInPdu { InitiatorTaskTag = nop.InitiatorTaskTag, TargetTransferTag = Bhs.ReservedTag };
                pdu.SetSequenceNumbers(_statSN++, _expCmdSN, _expCmdSN + Window);
                pdu.WriteTo(reply);
                PduWriter.WriteHeader(_output, reply, headerDigest: false);
                return true;
            }

            case IscsiOpcode.LogoutRequest:
            {
                Span<byte> reply = stackalloc byte[Bhs.Length];
                var pdu = new LogoutResponsePdu { Response = LogoutResponse.ClosedSuccessfully, InitiatorTaskTag = Bhs.GetInitiatorTaskTag(header) };
                pdu.SetSequenceNumbers(_statSN++, _expCmdSN, _expCmdSN + Window);
                pdu.WriteTo(reply);
                PduWriter.WriteHeader(_output, reply, headerDigest: false);
                return true;
            }

            default:
                throw new InvalidOperationException("Unexpected PDU from the initiator: " + Bhs.GetOpcode(header));
        }
    }

    private void Command(ReadOnlySpan<byte> header)
    {
        // Non-immediate commands take the next CmdSN (the initiator keeps them in order).
        bool immediate = (header[0] & Bhs.ImmediateBit) != 0;
        uint cmdSN = Bhs.ReadUInt32(header, 24);
        if (!immediate && cmdSN == _expCmdSN)
        {
            _expCmdSN++;
        }

        uint itt = Bhs.GetInitiatorTaskTag(header);
        uint expected = Bhs.ReadUInt32(header, 20);
        byte opcode = header[32];
        Commands++;
        if (opcode is ScsiOpcode.Read10 or ScsiOpcode.Read16 or ScsiOpcode.ServiceActionIn16)
        {
            // READ(10), READ(16), READ CAPACITY(16): one Data-In with the data and folded status.
            ReadOnlySpan<byte> data = opcode == ScsiOpcode.ServiceActionIn16 ? _capacity : _readData;
            int length = (int)Math.Min(expected, (uint)data.Length);
            Span<byte> reply = stackalloc byte[Bhs.Length];
            _dataInHeader.CopyTo(reply);
            Bhs.WriteUInt32(reply, 16, itt);
            Bhs.WriteUInt32(reply, 24, _statSN++);
            Bhs.WriteUInt32(reply, 28, _expCmdSN);
            Bhs.WriteUInt32(reply, 32, _expCmdSN + Window);
            reply[5] = (byte)(length >> 16);
            reply[6] = (byte)(length >> 8);
            reply[7] = (byte)length;
            PduWriter.Write(_output, reply, data[..length], headerDigest: false, dataDigest: false);
        }
        else
        {
            Span<byte> reply = stackalloc byte[Bhs.Length];
            _responseHeader.CopyTo(reply);
            Bhs.WriteUInt32(reply, 16, itt);
            Bhs.WriteUInt32(reply, 24, _statSN++);
            Bhs.WriteUInt32(reply, 28, _expCmdSN);
            Bhs.WriteUInt32(reply, 32, _expCmdSN + Window);
            PduWriter.WriteHeader(_output, reply, headerDigest: false);
        }
    }

    /// <summary>Agrees with every offer (first value of a list), declares 262144 as our MaxRecvDataSegmentLength.</summary>
    private void Login(ReadOnlySpan<byte> header, in ReadOnlySequence<byte> data)
    {
        var request = LoginRequestPdu.Parse(header);
        var answer = new StringBuilder();
        foreach (string pair in Encoding.UTF8.GetString(data.ToArray()).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            string key = pair[..eq];
            string value = pair[(eq + 1)..];
            if (key is "InitiatorName" or "InitiatorAlias" or "TargetName" or "SessionType" or "MaxRecvDataSegmentLength")
            {
                continue;
            }

            answer.Append(key).Append('=').Append(value.Split(',')[0]).Append('\0');
        }

        if (request.CurrentStage == 0)
        {
            answer.Append("TargetPortalGroupTag=1\0");
        }
        else
        {
            answer.Append("MaxRecvDataSegmentLength=").Append(MaxRecvDataSegmentLength).Append('\0');
        }

        _expCmdSN = request.CmdSN;
        byte[] keys = Encoding.UTF8.GetBytes(answer.ToString());
        Span<byte> reply = stackalloc byte[Bhs.Length];
        new LoginResponsePdu
        {
            Transit = request.Transit,
            CurrentStage = request.CurrentStage,
            NextStage = request.Transit ? request.NextStage : (byte)0,
            DataSegmentLength = keys.Length,
            Isid = request.Isid,
            Tsih = 1,
            InitiatorTaskTag = request.InitiatorTaskTag,
            StatSN = _statSN++,
            ExpCmdSN = _expCmdSN,
            MaxCmdSN = _expCmdSN + Window,
        }.WriteTo(reply);
        PduWriter.Write(_output, reply, keys, headerDigest: false, dataDigest: false);
    }

    public async ValueTask DisposeAsync()
    {
        _input.CancelPendingRead();
        await _loop.ConfigureAwait(false);
        await _input.CompleteAsync().ConfigureAwait(false);
        await _output.CompleteAsync().ConfigureAwait(false);
    }
}
