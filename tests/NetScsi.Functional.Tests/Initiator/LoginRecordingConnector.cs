using System.Text;
using NetScsi.Iscsi.Pdus;
using NetScsi.Transport;

namespace NetScsi.Functional.Tests.Initiator;

/// <summary>A connector whose movers note every Login Request the initiator sends (header fields and key text).</summary>
internal sealed class LoginRecordingConnector(IDataMoverConnector inner) : IDataMoverConnector
{
    public sealed record LoginRequest(ulong Isid, ushort Tsih, ushort Cid, uint CmdSN, string Keys);

    private readonly List<LoginRequest> _requests = [];

    public IReadOnlyList<LoginRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public async ValueTask<IInitiatorDataMover> ConnectAsync(Portal portal, CancellationToken cancellationToken = default) =>
        new Recording(await inner.ConnectAsync(portal, cancellationToken).ConfigureAwait(false), this);

    private void Note(ReadOnlySpan<byte> header, ReadOnlySpan<byte> data)
    {
        if (Bhs.GetOpcode(header) != IscsiOpcode.LoginRequest)
        {
            return;
        }

        var pdu = LoginRequestPdu.Parse(header);
        lock (_requests)
        {
            _requests.Add(new LoginRequest(pdu.Isid, pdu.Tsih, pdu.Cid, pdu.CmdSN, Encoding.UTF8.GetString(data).Replace('\0', '\n')));
        }
    }

    private sealed class Recording(IInitiatorDataMover inner, LoginRecordingConnector owner) : IInitiatorDataMover
    {
        public string Kind => inner.Kind;

        public string PeerAddress => inner.PeerAddress;

        public string RemoteName => inner.RemoteName;

        public DataMoverCapabilities Capabilities => inner.Capabilities;

        public DataBufferPool BufferPool => inner.BufferPool;

        public long ReceiveCount => inner.ReceiveCount;

        public long SendCount => inner.SendCount;

        public bool HasSolicitedData => inner.HasSolicitedData;

        public Task<DataMoverReceiveEnd> RunAsync(IInitiatorDataMoverHandler handler, CancellationToken cancellationToken) => inner.RunAsync(handler, cancellationToken);

        public int SendCommand(Span<byte> header, DataTask task, uint expStatSN) => inner.SendCommand(header, task, expStatSN);

        public int SendSolicitedData(uint expStatSN) => inner.SendSolicitedData(expStatSN);

        public void SendControl(ReadOnlySpan<byte> header, ReadOnlySpan<byte> data)
        {
            owner.Note(header, data);
            inner.SendControl(header, data);
        }

        public ValueTask<bool> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public void EnableDatamover(in DataMoverParameters parameters, IReadOnlyList<KeyValuePair<string, string>> negotiated) => inner.EnableDatamover(parameters, negotiated);

        public void Terminate() => inner.Terminate();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
