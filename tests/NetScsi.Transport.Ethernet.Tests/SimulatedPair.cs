namespace NetScsi.Transport.Ethernet.Tests;

/// <summary>
/// Two <see cref="ReliableConnection"/>s joined by a simulated link with seeded impairments (drop, duplication,
/// delay jitter that reorders, an outage), on a manual clock: a deterministic harness for the state machine.
/// </summary>
internal sealed class SimulatedPair : IDisposable
{
    private readonly Random _random;
    private readonly List<(long At, bool ToAcceptor, byte[] Frame)> _inFlight = [];
    private readonly byte[] _frame;

    public SimulatedPair(ReliableConnectionOptions? options = null, int seed = 1, uint initiatorSequence = 1000, uint acceptorSequence = 5000)
    {
        Options = options ?? new ReliableConnectionOptions { MaxPayload = 1000, SendBufferSize = 64 * 1024, ReceiveBufferSize = 64 * 1024 };
        _random = new Random(seed);
        _frame = new byte[FrameHeader.Length + Options.MaxPayload];
        AcceptorSequence = acceptorSequence;
        Initiator = ReliableConnection.CreateInitiator(17, initiatorSequence, Options, Time);
    }

    public ManualTimeProvider Time { get; } = new();

    public ReliableConnectionOptions Options { get; }

    public uint AcceptorSequence { get; }

    public ReliableConnection Initiator { get; }

    public ReliableConnection? Acceptor { get; private set; }

    public double DropRate { get; set; }

    public double DuplicateRate { get; set; }

    /// <summary>One-way delay, before jitter.</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromMicroseconds(50);

    /// <summary>Up to this much extra delay per frame, drawn uniformly: frames overtake one another.</summary>
    public TimeSpan Jitter { get; set; }

    /// <summary>While true, every frame sent is lost.</summary>
    public bool Outage { get; set; }

    /// <summary>While false, the acceptor sends nothing (a peer gone silent).</summary>
    public bool AcceptorAlive { get; set; } = true;

    public long FramesSent { get; private set; }

    /// <summary>Frames handed to a connection, as they travel (for tests that tamper with them).</summary>
    public Func<bool, byte[], byte[]?>? Tamper { get; set; }

    /// <summary>
    /// Runs the link until <paramref name="done"/> holds or <paramref name="limit"/> of simulated time passes; in each
    /// round the application step runs first (write and read at both ends).
    /// </summary>
    public bool RunUntil(Func<bool> done, TimeSpan limit, Action? application = null)
    {
        long end = Time.GetTimestamp() + (long)(limit.TotalSeconds * Time.TimestampFrequency);
        while (Time.GetTimestamp() < end)
        {
            application?.Invoke();
            if (done())
            {
                return true;
            }

            bool sent = Drain(Initiator, toAcceptor: true);
            if (Acceptor is not null && AcceptorAlive)
            {
                sent |= Drain(Acceptor, toAcceptor: false);
            }

            bool delivered = DeliverDue();
            if (!sent && !delivered)
            {
                long next = Initiator.NextDeadline;
                if (Acceptor is not null)
                {
                    next = Math.Min(next, Acceptor.NextDeadline);
                }

                foreach (var (at, _, _) in _inFlight)
                {
                    next = Math.Min(next, at);
                }

                if (next == long.MaxValue)
                {
                    application?.Invoke();
                    return done();
                }

                Time.AdvanceTo(Math.Min(next, end));
                Initiator.OnTimer();
                Acceptor?.OnTimer();
            }
        }

        return done();
    }

    private bool Drain(ReliableConnection connection, bool toAcceptor)
    {
        bool any = false;
        while (connection.TryWriteFrame(_frame, out int length))
        {
            any = true;
            FramesSent++;
            if (Outage || _random.NextDouble() < DropRate)
            {
                continue;
            }

            int copies = _random.NextDouble() < DuplicateRate ? 2 : 1;
            for (int i = 0; i < copies; i++)
            {
                long at = Time.GetTimestamp() + (long)((Delay + (Jitter * _random.NextDouble())).TotalSeconds * Time.TimestampFrequency);
                _inFlight.Add((at, toAcceptor, _frame.AsSpan(0, length).ToArray()));
            }
        }

        return any;
    }

    private bool DeliverDue()
    {
        long now = Time.GetTimestamp();
        _inFlight.Sort((x, y) => x.At.CompareTo(y.At));
        int due = 0;
        while (due < _inFlight.Count && _inFlight[due].At <= now)
        {
            due++;
        }

        if (due == 0)
        {
            return false;
        }

        var batch = _inFlight.GetRange(0, due);
        _inFlight.RemoveRange(0, due);
        foreach (var (_, toAcceptor, original) in batch)
        {
            byte[]? frame = Tamper is null ? original : Tamper(toAcceptor, original);
            if (frame is null || FrameHeader.TryRead(frame, out FrameHeader header) != FrameReadStatus.Ok)
            {
                continue;
            }

            ReadOnlySpan<byte> payload = frame.AsSpan(FrameHeader.Length, header.PayloadLength);
            if (toAcceptor)
            {
                if (Acceptor is null && header.Has(FrameFlags.Syn) && !header.Has(FrameFlags.Ack))
                {
                    Acceptor = ReliableConnection.CreateAcceptor(99, AcceptorSequence, header, payload, Options, Time);
                    continue;
                }

                if (AcceptorAlive && header.DestinationConnectionId == Acceptor?.LocalId)
                {
                    Acceptor.OnFrame(header, payload);
                }
                else if (AcceptorAlive && header.Has(FrameFlags.Syn))
                {
                    Acceptor?.OnFrame(header, payload);
                }
            }
            else if (header.DestinationConnectionId == Initiator.LocalId)
            {
                Initiator.OnFrame(header, payload);
            }
        }

        return true;
    }

    public void Dispose()
    {
        Initiator.Dispose();
        Acceptor?.Dispose();
    }
}
