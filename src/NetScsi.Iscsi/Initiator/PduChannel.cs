using System.Buffers;
using System.IO.Pipelines;
using NetScsi.Iscsi.Pdus;

namespace NetScsi.Iscsi.Initiator;

/// <summary>
/// Request/response PDU exchange on a connection before (or instead of) the session's receive loop:
/// login, and the Text/Logout exchanges of a discovery session. Copies each PDU out of the pipe.
/// </summary>
internal sealed class PduChannel
{
    private readonly PipeReader _input;
    private readonly PipeWriter _output;

    public PduChannel(IDuplexPipe pipe)
    {
        _input = pipe.Input;
        _output = pipe.Output;
    }

    public bool HeaderDigest { get; set; }

    public bool DataDigest { get; set; }

    /// <summary>RFC 7143 §13.12: 8192 until the login negotiated ours.</summary>
    public int MaxRecvDataSegmentLength { get; set; } = 8192;

    public async ValueTask SendAsync(byte[] header, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        PduWriter.Write(_output, header, data.Span, HeaderDigest, DataDigest);
        FlushResult result = await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (result.IsCompleted)
        {
            throw new IscsiConnectionException("The target closed the connection.");
        }
    }

    public async ValueTask<(byte[] Header, byte[] Data)> ReceiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            PduReadResult status = PduReader.TryRead(buffer, MaxRecvDataSegmentLength, HeaderDigest, DataDigest, out PduFrame frame);
            switch (status)
            {
                case PduReadResult.Complete:
                    byte[] header = ((ReadOnlySpan<byte>)frame.Header).ToArray();
                    byte[] data = frame.Data.ToArray();
                    _input.AdvanceTo(buffer.GetPosition(frame.WireLength));
                    return (header, data);
                case PduReadResult.Incomplete:
                    _input.AdvanceTo(buffer.Start, buffer.End);
                    if (result.IsCompleted || result.IsCanceled)
                    {
                        throw new IscsiConnectionException("The target closed the connection.");
                    }

                    break;
                default:
                    _input.AdvanceTo(buffer.Start, buffer.End);
                    // Garbage where a login answer belongs (a peer that is no iSCSI target, or a broken one):
                    // a protocol violation, not a connection failure.
                    throw new IscsiProtocolException(status switch
                    {
                        PduReadResult.HeaderDigestError => "the target's PDU failed its header digest",
                        PduReadResult.DataDigestError => "the target's PDU failed its data digest",
                        _ => "the peer's answer is not an iSCSI PDU (its data segment length exceeds MaxRecvDataSegmentLength)",
                    });
            }
        }
    }
}
