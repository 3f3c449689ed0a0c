namespace NetScsi.Transport.Tcp;

/// <summary>
/// An initiator's data mover on a TCP connection: the stream mover, with the rest of a large Data-In received
/// straight from the socket into the command's buffer, and polls (with back-off) where an answer is due within
/// microseconds (<see cref="TcpTransportOptions.ReceivePollTime"/>).
/// </summary>
internal sealed class TcpInitiatorDataMover : StreamInitiatorDataMover
{
    private readonly TcpStream _stream;
    private readonly TimeSpan _pollTime;

    /// <summary>Whether to poll for the answer to a lone command before waiting for it.</summary>
    private PollBackoff _loneAnswerPoll;

    /// <summary>Whether to poll for the rest of a large Data-In whose start has arrived before waiting for it.</summary>
    private PollBackoff _dataInPoll;

    public TcpInitiatorDataMover(TcpStream stream, TcpTransportOptions options)
        : base(stream.Pipe, TcpTransport.TransportName, stream.PeerAddress, stream.RemoteName)
    {
        _stream = stream;
        _pollTime = options.ReceivePollTime;
    }

    protected override bool CanReceiveDirect => true;

    protected override bool BeforeWait(bool loneAnswer) => PollsBeforeWait(loneAnswer);

    protected override void OnPollResult(bool found) => NotePoll(found);

    /// <summary>Whether the wait about to start polls first (and, if so, tells the socket reader to).</summary>
    internal bool PollsBeforeWait(bool loneAnswer)
    {
        if (!loneAnswer || _pollTime <= TimeSpan.Zero || !_loneAnswerPoll.ShouldPoll())
        {
            return false;
        }
        _stream.PollNextRead(_pollTime);
        return true;
    }

    /// <summary>What a lone-answer poll came to: its back-off follows.</summary>
    internal void NotePoll(bool found) => _loneAnswerPoll.Note(found);

    protected override ValueTask<int> ReceiveDirectAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        // The rest of a PDU whose start has come is on its way: a target that sends header and data in separate
        // writes (tgt) leaves a gap of microseconds, shorter than a sleep and a wake-up.
        bool polling = _pollTime > TimeSpan.Zero && _dataInPoll.ShouldPoll();
        if (polling)
        {
            _stream.PollNextDirectReceive(_pollTime);
        }
        ValueTask<int> receive = _stream.ReceiveDirectAsync(buffer, cancellationToken);
        if (polling)
        {
            _dataInPoll.Note(found: receive.IsCompleted);
        }
        return receive;
    }

    /// <summary>Reads only the next PDU's header into the pipe: if it is another large Data-In, its data can come directly too.</summary>
    protected override void OnDirectReceiveCompleted(int nextHeaderLength) => _stream.LimitNextPipeRead(nextHeaderLength);

    protected override void AbortStream() => _stream.Abort();

    protected override ValueTask CloseStreamAsync() => _stream.DisposeAsync();
}
