using System.Buffers;
using System.Threading.Channels;
using NetScsi.Iscsi.Pdus;
using NetScsi.Transport;

namespace NetScsi.Iscsi.Initiator;

/// <summary>
/// Request/response PDU exchange over a connection's data mover before (or instead of) the session's full feature
/// phase: login, and the Text/Logout exchanges of a discovery session. The mover's receive side hands each PDU over
/// (copied) and waits until the exchange has dealt with it, so settings the exchange changes on the mover
/// (Enable_Datamover: digests, segment lengths) apply from the next PDU on.
/// </summary>
internal sealed class LoginChannel
{
    private readonly IDataMoverConnection _mover;
    private readonly Channel<ReceivedPdu> _received = Channel.CreateBounded<ReceivedPdu>(1);
    private TaskCompletionSource<bool>? _handling;

    public LoginChannel(IDataMoverConnection mover)
    {
        _mover = mover;
    }

    public async ValueTask SendAsync(byte[] header, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        _mover.SendControl(header, data.Span);
        if (!await _mover.FlushAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new IscsiConnectionException("The target closed the connection.");
        }
    }

    /// <summary>The next PDU; the one before it counts as handled.</summary>
    public async ValueTask<(byte[] Header, byte[] Data)> ReceiveAsync(CancellationToken cancellationToken)
    {
        Handled(continueReceiving: true);
        ReceivedPdu pdu;
        try
        {
            pdu = await _received.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException e)
        {
            if (e.InnerException is IscsiConnectionException or IscsiProtocolException)
            {
                throw e.InnerException;
            }
            throw new IscsiConnectionException("The target closed the connection.", e.InnerException);
        }
        _handling = pdu.Handled;
        return (pdu.Header, pdu.Data);
    }

    /// <summary>The last PDU received is handled: the mover may frame the next one (or, false, stop).</summary>
    public void Handled(bool continueReceiving) => Interlocked.Exchange(ref _handling, null)?.TrySetResult(continueReceiving);

    /// <summary>From the mover's receive side: hands a PDU over and waits until it is handled.</summary>
    public async ValueTask<bool> DeliverAsync(PduFrame frame)
    {
        var pdu = new ReceivedPdu(((ReadOnlySpan<byte>)frame.Header).ToArray(), BuffersExtensions.ToArray(frame.Data), new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        await _received.Writer.WriteAsync(pdu).ConfigureAwait(false);
        return await pdu.Handled.Task.ConfigureAwait(false);
    }

    /// <summary>The receive side ended: a waiting or later <see cref="ReceiveAsync"/> fails with <paramref name="error"/>.</summary>
    public void Close(Exception error)
    {
        _received.Writer.TryComplete(error);
        Handled(continueReceiving: false);
    }

    private sealed record ReceivedPdu(byte[] Header, byte[] Data, TaskCompletionSource<bool> Handled);
}
