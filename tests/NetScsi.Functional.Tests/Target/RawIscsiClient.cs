using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using NetScsi.Iscsi.Pdus;

namespace NetScsi.Functional.Tests.Target;

/// <summary>
/// A deliberately low-level iSCSI client for tests: it sends PDUs exactly as built (including
/// malformed ones) and reads whatever the target answers. No recovery, no hidden behaviour.
/// </summary>
internal sealed class RawIscsiClient : IAsyncDisposable
{
    private static readonly TimeSpan s_defaultTimeout = TimeSpan.FromSeconds(10);
    private readonly IDuplexPipe _pipe;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;

    public RawIscsiClient(IDuplexPipe pipe)
    {
        _pipe = pipe;
        _input = pipe.Input;
        _output = pipe.Output;
    }

    public uint CmdSN { get; set; } = 1;

    public uint ExpStatSN { get; set; }

    public uint NextItt { get; set; } = 0x1000;

    public bool HeaderDigest { get; set; }

    public bool DataDigest { get; set; }

    public int MaxRecvDataSegmentLength { get; set; } = 8192;

    /// <summary>The CID of this connection's Login Requests (MC/S: each connection of a session has its own).</summary>
    public ushort Cid { get; set; }

    /// <summary>
    /// The TSIH <see cref="LoginAsync"/> sends: 0 opens a session, a session's TSIH adds this connection to it
    /// (RFC 7143 §6.3.1). Set to the target's answer when the login completes.
    /// </summary>
    public ushort Tsih { get; set; }

    /// <summary>The ISID <see cref="LoginAsync"/> sends.</summary>
    public ulong Isid { get; set; } = 0x00023d000001;

    public static string Keys(params string[] pairs)
    {
        var sb = new StringBuilder();
        foreach (var pair in pairs)
        {
            sb.Append(pair).Append('\0');
        }
        return sb.ToString();
    }

    public static Dictionary<string, string> ParseKeys(byte[] data)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in Encoding.UTF8.GetString(data).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            result[pair[..eq]] = pair[(eq + 1)..];
        }
        return result;
    }

    public async Task SendAsync(byte[] header, ReadOnlyMemory<byte> data = default)
    {
        PduWriter.Write(_output, header, data.Span, HeaderDigest, DataDigest);
        await _output.FlushAsync();
    }

    /// <summary>The bytes <see cref="SendAsync"/> would put on the wire (with the negotiated digests), for mutation.</summary>
    public byte[] Frame(byte[] header, ReadOnlySpan<byte> data)
    {
        var wire = new ArrayBufferWriter<byte>(header.Length + data.Length + 12);
        PduWriter.Write(wire, header, data, HeaderDigest, DataDigest);
        return wire.WrittenSpan.ToArray();
    }

    /// <summary>Writes raw bytes, bypassing framing (for truncated or corrupt PDUs).</summary>
    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        await _output.WriteAsync(bytes);
    }

    public async Task<(byte[] Header, byte[] Data)> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? s_defaultTimeout);
        while (true)
        {
            var result = await _input.ReadAsync(cts.Token);
            var buffer = result.Buffer;
            var status = PduReader.TryRead(buffer, 16 * 1024 * 1024, HeaderDigest, DataDigest, out var frame);
            if (status == PduReadResult.Complete)
            {
                var header = ((ReadOnlySpan<byte>)frame.Header).ToArray();
                var data = frame.Data.ToArray();
                _input.AdvanceTo(buffer.GetPosition(frame.WireLength));
                return (header, data);
            }
            if (status != PduReadResult.Incomplete)
            {
                throw new InvalidDataException("Bad PDU from target: " + status);
            }
            if (result.IsCompleted)
            {
                throw new EndOfStreamException("Target closed the connection.");
            }
            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// True if the target has sent bytes this client has not read yet. Looks without consuming; call it
    /// only while no receive is pending.
    /// </summary>
    public bool HasUnreadData()
    {
        if (!_input.TryRead(out var result))
        {
            return false;
        }
        bool unread = !result.Buffer.IsEmpty;
        _input.AdvanceTo(result.Buffer.Start, result.Buffer.Start);
        return unread;
    }

    /// <summary>True if the target closes the connection (end of stream) within the timeout, skipping PDUs.</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan timeout)
    {
        try
        {
            while (true)
            {
                await ReceiveAsync(timeout);
            }
        }
        catch (EndOfStreamException)
        {
            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Sends one Login Request and returns the response.</summary>
    public async Task<LoginResponsePdu> LoginStepAsync(byte csg, byte nsg, bool transit, string keys, ulong isid = 0x00023d000001, ushort tsih = 0, Action<Dictionary<string, string>>? onKeys = null)
    {
        var header = new byte[Bhs.Length];
        var data = Encoding.UTF8.GetBytes(keys);
        new LoginRequestPdu
        {
            Transit = transit,
            CurrentStage = csg,
            NextStage = nsg,
            Isid = isid,
            Tsih = tsih,
            Cid = Cid,
            InitiatorTaskTag = NextItt,
            CmdSN = CmdSN,
            ExpStatSN = ExpStatSN,
            DataSegmentLength = data.Length,
        }.WriteTo(header);
        await SendAsync(header, data);
        var (responseHeader, responseData) = await ReceiveAsync();
        var response = LoginResponsePdu.Parse(responseHeader);
        ExpStatSN = response.StatSN + 1;
        onKeys?.Invoke(ParseKeys(responseData));
        return response;
    }

    /// <summary>A complete login with AuthMethod=None straight through operational negotiation.</summary>
    public async Task<Dictionary<string, string>> LoginAsync(string targetName, string initiatorName = "iqn.2026-11.org.netscsi:test-initiator", params string[] extraKeys)
    {
        // Digests apply only from full feature phase on (RFC 7143 §13.1).
        bool digestsWanted = HeaderDigest || DataDigest;
        bool headerWanted = HeaderDigest;
        bool dataWanted = DataDigest;
        HeaderDigest = DataDigest = false;
        var keys = new List<string>
        {
            "InitiatorName=" + initiatorName,
            "TargetName=" + targetName,
            "SessionType=Normal",
            "AuthMethod=None",
        };
        var first = await LoginStepAsync(0, 1, true, Keys(keys.ToArray()), Isid, Tsih);
        if (first.StatusClass != 0)
        {
            throw new InvalidOperationException($"Login failed: {first.StatusClass:x2}{first.StatusDetail:x2}");
        }
        var ops = new List<string>
        {
            "HeaderDigest=" + (headerWanted ? "CRC32C" : "None"),
            "DataDigest=" + (dataWanted ? "CRC32C" : "None"),
            "MaxRecvDataSegmentLength=" + MaxRecvDataSegmentLength,
            "ErrorRecoveryLevel=0",
        };
        ops.AddRange(extraKeys);
        Dictionary<string, string> negotiated = new();
        var second = await LoginStepAsync(1, 3, true, Keys(ops.ToArray()), Isid, Tsih, onKeys: k => negotiated = k);
        if (second.StatusClass != 0 || !second.Transit)
        {
            throw new IscsiLoginStatusException((ushort)((second.StatusClass << 8) | second.StatusDetail));
        }
        Tsih = second.Tsih;
        if (digestsWanted)
        {
            HeaderDigest = negotiated.GetValueOrDefault("HeaderDigest") == "CRC32C";
            DataDigest = negotiated.GetValueOrDefault("DataDigest") == "CRC32C";
        }
        return negotiated;
    }

    public byte[] BuildScsiCommand(ReadOnlySpan<byte> cdb, uint edtl, bool read, bool write, int immediateLength, ulong lun = 0, bool final = true, uint? itt = null, uint? cmdSN = null)
    {
        var header = new byte[Bhs.Length];
        var pdu = new ScsiCommandPdu
        {
            Final = final,
            Read = read,
            Write = write,
            Attributes = 1,
            Lun = lun,
            InitiatorTaskTag = itt ?? NextItt++,
            ExpectedDataTransferLength = edtl,
            CmdSN = cmdSN ?? CmdSN++,
            ExpStatSN = ExpStatSN,
            DataSegmentLength = immediateLength,
        };
        cdb.CopyTo(pdu.Cdb);
        pdu.WriteTo(header);
        return header;
    }

    public async ValueTask DisposeAsync()
    {
        await _pipe.Input.CompleteAsync();
        await _pipe.Output.CompleteAsync();
    }
}

/// <summary>A login the target refused, with its status class and detail (RFC 7143 §11.13.5).</summary>
internal sealed class IscsiLoginStatusException(ushort status) : InvalidOperationException($"Operational login failed: {status:x4}")
{
    public ushort Status { get; } = status;
}
