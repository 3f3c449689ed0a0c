using System.Net;
using System.Text;
using NetScsi.Iscsi.Pdus;
using NetScsi.Transport.Rdma.Iser;
using NetScsi.Transport.Rdma.Memory;
using NetScsi.Transport.Rdma.Verbs;

// Usage: GuestProbe IP PORT EXPECTED-IQN. Exit 0 when the discovery login succeeds over RDMA and SendTargets lists
// the expected target; the output shows each step.
if (args.Length != 3 || !IPAddress.TryParse(args[0], out IPAddress? address) || !int.TryParse(args[1], out int port))
{
    Console.Error.WriteLine("usage: GuestProbe IP PORT EXPECTED-IQN");
    return 2;
}

const int BufferLength = 8192 + IserHeader.Length + Bhs.Length;
const int Receives = 4;
RegisteredBufferPool? pool = null;
var receiveBuffers = new RegisteredBuffer[Receives];
using VerbsQueuePair qp = VerbsQueuePair.Connect(new IPEndPoint(address, port), sendDepth: 8, receiveDepth: Receives, q =>
{
    pool = new RegisteredBufferPool(q.Registrar, BufferLength, Receives + 2);
    for (int i = 0; i < Receives; i++)
    {
        pool.TryRent(out receiveBuffers[i]);
        q.PostReceive((ulong)i, receiveBuffers[i].Address, receiveBuffers[i].Length, receiveBuffers[i].LocalKey);
    }
});
Console.WriteLine($"probe: connected over RDMA CM to {address}:{port}; target CM flags 0x{qp.PeerPrivateData.Flags:X2}");
pool!.TryRent(out RegisteredBuffer send);
int exit = 1;
try
{
    string login = $"InitiatorName=iqn.2026-12.test.netscsi:probe\0SessionType=Discovery\0HeaderDigest=None\0DataDigest=None\0MaxRecvDataSegmentLength=8192\0";
    var loginPdu = new LoginRequestPdu
    {
        Transit = true,
        CurrentStage = 1,
        NextStage = 3,
        Isid = 0x400000000001,
        InitiatorTaskTag = 1,
        CmdSN = 0,
        DataSegmentLength = Encoding.UTF8.GetByteCount(login),
    };
    (ReadOnlyMemory<byte> bhs, string keys) = await Exchange(qp, send, loginPdu.WriteTo, login, receiveBuffers);
    LoginResponsePdu response = LoginResponsePdu.Parse(bhs.Span);
    Console.WriteLine($"probe: login response status {response.StatusClass}/{response.StatusDetail} T={response.Transit} NSG={response.NextStage} keys: {keys.Replace('\0', ' ')}");
    if (response.StatusClass == 0 && response.Transit && response.NextStage == 3)
    {
        const string sendTargets = "SendTargets=All\0";
        var text = new TextRequestPdu
        {
            Final = true,
            InitiatorTaskTag = 2,
            TargetTransferTag = 0xFFFFFFFF,
            CmdSN = response.ExpCmdSN,
            ExpStatSN = response.StatSN + 1,
            DataSegmentLength = sendTargets.Length,
        };
        (_, string targets) = await Exchange(qp, send, text.WriteTo, sendTargets, receiveBuffers);
        Console.WriteLine($"probe: SendTargets: {targets.Replace('\0', ' ')}");
        exit = targets.Contains("TargetName=" + args[2], StringComparison.Ordinal) ? 0 : 1;
    }
}
finally
{
    qp.Disconnect();
    pool.Dispose();
}

Console.WriteLine(exit == 0 ? "probe: PASS" : "probe: FAIL");
return exit;

// One SEND (iSER header + BHS + text) and the SEND that answers it.
static async Task<(ReadOnlyMemory<byte> Bhs, string Keys)> Exchange(
    VerbsQueuePair qp, RegisteredBuffer send, SpanAction writeBhs, string data, RegisteredBuffer[] receives)
{
    Span<byte> message = send.Span;
    message[..(IserHeader.Length + Bhs.Length)].Clear();
    IserHeader.Control.WriteTo(message);
    writeBhs(message.Slice(IserHeader.Length, Bhs.Length));
    int length = IserHeader.Length + Bhs.Length + Encoding.UTF8.GetBytes(data, message[(IserHeader.Length + Bhs.Length)..]);
    qp.PostSend(100, send.Address, Bhs.PaddedLength(length), send.LocalKey);

    var completions = new RdmaCompletion[8];
    while (true)
    {
        await qp.WaitForCompletionAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        int n = qp.PollCompletions(completions);
        for (int i = 0; i < n; i++)
        {
            RdmaCompletion c = completions[i];
            Console.WriteLine($"probe:   completion {c.Opcode} wr={c.WorkRequestId} status={c.Status} bytes={c.ByteLength}");
            if (c.Status != RdmaCompletionStatus.Success)
            {
                throw new IOException($"work request {c.WorkRequestId} failed: {c.Status}");
            }

            if (c.Opcode == RdmaCompletionOpcode.Receive)
            {
                RegisteredBuffer buffer = receives[(int)c.WorkRequestId];
                byte[] received = buffer.Span[..c.ByteLength].ToArray();
                qp.PostReceive(c.WorkRequestId, buffer.Address, buffer.Length, buffer.LocalKey);
                if (IserHeader.TryRead(received, out _) != IserReadStatus.Ok)
                {
                    throw new IOException($"received SEND without an iSER control header (first byte 0x{received[0]:X2})");
                }

                byte[] bhs = received[IserHeader.Length..(IserHeader.Length + Bhs.Length)];
                int dataLength = Bhs.GetDataSegmentLength(bhs);
                string keys = Encoding.UTF8.GetString(received, IserHeader.Length + Bhs.Length, dataLength);
                return (bhs, keys);
            }
        }
    }
}

internal delegate void SpanAction(Span<byte> bhs);
