namespace NetScsi.Transport.Ethernet.Tests;

public sealed class ReliableConnectionTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Streams <paramref name="toAcceptor"/> one way and <paramref name="toInitiator"/> the other, reading as it goes.</summary>
    private static (byte[] AtAcceptor, byte[] AtInitiator, bool Finished) Exchange(SimulatedPair pair, byte[] toAcceptor, byte[] toInitiator, TimeSpan? limit = null)
    {
        var atAcceptor = new MemoryStream();
        var atInitiator = new MemoryStream();
        int sentA = 0;
        int sentB = 0;
        var buffer = new byte[7919];
        bool finished = pair.RunUntil(
            () => atAcceptor.Length == toAcceptor.Length && atInitiator.Length == toInitiator.Length,
            limit ?? Limit,
            () =>
            {
                sentA += pair.Initiator.Write(toAcceptor.AsSpan(sentA));
                int n;
                while ((n = pair.Initiator.Read(buffer)) > 0)
                {
                    atInitiator.Write(buffer, 0, n);
                }

                if (pair.Acceptor is { } acceptor)
                {
                    sentB += acceptor.Write(toInitiator.AsSpan(sentB));
                    while ((n = acceptor.Read(buffer)) > 0)
                    {
                        atAcceptor.Write(buffer, 0, n);
                    }
                }
            });
        return (atAcceptor.ToArray(), atInitiator.ToArray(), finished);
    }

    [Fact]
    public void Handshake_ExchangesConnectionIds_AndEstablishesBothEnds()
    {
        using var pair = new SimulatedPair();
        Assert.True(pair.RunUntil(() => pair.Acceptor?.State == ReliableConnectionState.Established && pair.Initiator.State == ReliableConnectionState.Established, Limit));
        Assert.Equal(99u, pair.Initiator.PeerId);
        Assert.Equal(17u, pair.Acceptor!.PeerId);
    }

    [Fact]
    public void Acceptor_RentsItsRings_OnlyWhenTheHandshakeCompletes()
    {
        using var pair = new SimulatedPair();
        Assert.True(pair.Initiator.HoldsBuffers);
        Assert.True(pair.RunUntil(() => pair.Acceptor is not null, Limit));
        Assert.Equal(ReliableConnectionState.SynReceived, pair.Acceptor!.State);
        Assert.False(pair.Acceptor.HoldsBuffers);
        Assert.True(pair.RunUntil(() => pair.Acceptor.State == ReliableConnectionState.Established, Limit));
        Assert.True(pair.Acceptor.HoldsBuffers);
    }

    [Fact]
    public void Handshake_SurvivesLostSynAndSynAck_ByRetransmission()
    {
        using var pair = new SimulatedPair();
        int dropped = 0;
        pair.Tamper = (_, frame) => FrameHeader.TryRead(frame, out var h) == FrameReadStatus.Ok && h.Has(FrameFlags.Syn) && dropped++ < 3 ? null : frame;
        Assert.True(pair.RunUntil(() => pair.Acceptor?.State == ReliableConnectionState.Established, Limit));
        Assert.True(pair.Initiator.Counters.Timeouts + pair.Acceptor!.Counters.Timeouts >= 1);
    }

    [Fact]
    public void Connect_ToNobody_ResetsAfterTheConnectTimeout()
    {
        using var pair = new SimulatedPair();
        pair.Outage = true;
        Assert.True(pair.RunUntil(() => pair.Initiator.State == ReliableConnectionState.Reset, TimeSpan.FromSeconds(30)));
        Assert.Contains("handshake", pair.Initiator.ResetReason);
    }

    [Fact]
    public void CleanLink_DeliversManyBuffersOfBytesBothWays_InOrder_WithoutRetransmission()
    {
        using var pair = new SimulatedPair();
        byte[] up = Pattern(1_000_003, 1);
        byte[] down = Pattern(777_777, 2);
        var (atAcceptor, atInitiator, finished) = Exchange(pair, up, down);
        Assert.True(finished);
        Assert.Equal(up, atAcceptor);
        Assert.Equal(down, atInitiator);
        Assert.Equal(0, pair.Initiator.Counters.Retransmissions);
        Assert.Equal(0, pair.Acceptor!.Counters.Retransmissions);
    }

    [Theory]
    [InlineData(0.01, 0.0, 0, 11)]
    [InlineData(0.05, 0.0, 0, 12)]
    [InlineData(0.0, 0.05, 0, 13)]
    [InlineData(0.0, 0.0, 2000, 14)]
    [InlineData(0.05, 0.05, 2000, 15)]
    public void ImpairedLink_DeliversEveryByteOnceInOrder(double drop, double duplicate, int jitterMicroseconds, int seed)
    {
        using var pair = new SimulatedPair(seed: seed)
        {
            DropRate = drop,
            DuplicateRate = duplicate,
            Jitter = TimeSpan.FromMicroseconds(jitterMicroseconds),
        };
        byte[] up = Pattern(400_000, seed);
        byte[] down = Pattern(300_000, seed + 100);
        var (atAcceptor, atInitiator, finished) = Exchange(pair, up, down);
        Assert.True(finished);
        Assert.Equal(up, atAcceptor);
        Assert.Equal(down, atInitiator);
        if (drop > 0)
        {
            Assert.True(pair.Initiator.Counters.Retransmissions > 0);
        }

        if (duplicate > 0)
        {
            Assert.True(pair.Acceptor!.Counters.DuplicateFrames > 0);
        }

        if (jitterMicroseconds > 0)
        {
            Assert.True(pair.Acceptor!.Counters.OutOfOrderFrames > 0);
        }
    }

    [Fact]
    public void TwoSecondOutage_MidTransfer_IsRiddenOut()
    {
        using var pair = new SimulatedPair();
        byte[] up = Pattern(600_000, 3);
        var atAcceptor = new MemoryStream();
        int sent = 0;
        var buffer = new byte[4096];
        long outageStart = 0;
        bool finished = pair.RunUntil(
            () => atAcceptor.Length == up.Length,
            Limit,
            () =>
            {
                sent += pair.Initiator.Write(up.AsSpan(sent));
                int n;
                while (pair.Acceptor is { } a && (n = a.Read(buffer)) > 0)
                {
                    atAcceptor.Write(buffer, 0, n);
                }

                if (outageStart == 0 && atAcceptor.Length > 100_000)
                {
                    pair.Outage = true;
                    outageStart = pair.Time.GetTimestamp();
                }
                else if (pair.Outage && pair.Time.GetElapsedTime(outageStart) >= TimeSpan.FromSeconds(2))
                {
                    pair.Outage = false;
                }
            });
        Assert.True(finished);
        Assert.Equal(up, atAcceptor.ToArray());
        Assert.Equal(ReliableConnectionState.Established, pair.Initiator.State);
        Assert.True(pair.Initiator.Counters.Timeouts >= 2);
    }

    [Fact]
    public void SequenceNumbers_WrapPast2To32_WithoutLosingBytes()
    {
        using var pair = new SimulatedPair(initiatorSequence: 0xFFFF_0000, acceptorSequence: 0xFFFF_FF00) { DropRate = 0.02, Jitter = TimeSpan.FromMicroseconds(500) };
        byte[] up = Pattern(300_000, 4);
        byte[] down = Pattern(200_000, 5);
        var (atAcceptor, atInitiator, finished) = Exchange(pair, up, down);
        Assert.True(finished);
        Assert.Equal(up, atAcceptor);
        Assert.Equal(down, atInitiator);
    }

    [Fact]
    public void ReceiverThatDoesNotRead_StopsTheSenderAtItsWindow_AndReadingResumesTheFlow()
    {
        using var pair = new SimulatedPair();
        byte[] up = Pattern(300_000, 6);
        int sent = 0;
        pair.RunUntil(() => false, TimeSpan.FromSeconds(2), () => sent += pair.Initiator.Write(up.AsSpan(sent)));
        ReliableConnection acceptor = pair.Acceptor!;
        Assert.Equal(pair.Options.ReceiveBufferSize, acceptor.ReadableBytes);
        Assert.Equal(pair.Options.ReceiveBufferSize + pair.Options.SendBufferSize, sent);
        Assert.Equal(0, acceptor.Counters.OutOfWindowFrames);

        var atAcceptor = new MemoryStream();
        var buffer = new byte[5000];
        Assert.True(pair.RunUntil(
            () => atAcceptor.Length == up.Length,
            Limit,
            () =>
            {
                sent += pair.Initiator.Write(up.AsSpan(sent));
                int n;
                while ((n = acceptor.Read(buffer)) > 0)
                {
                    atAcceptor.Write(buffer, 0, n);
                }
            }));
        Assert.Equal(up, atAcceptor.ToArray());
    }

    [Fact]
    public void RetransmitTimeout_AdaptsToTheMeasuredRoundTrip()
    {
        using var pair = new SimulatedPair { Delay = TimeSpan.FromMilliseconds(15) };
        var (_, _, finished) = Exchange(pair, Pattern(200_000, 7), []);
        Assert.True(finished);
        TimeSpan srtt = pair.Initiator.SmoothedRoundTrip;
        Assert.InRange(srtt.TotalMilliseconds, 25, 60);
        Assert.InRange(pair.Initiator.RetransmitTimeout.TotalMilliseconds, srtt.TotalMilliseconds, 1000);
        Assert.NotEqual(pair.Options.InitialRetransmitTimeout, pair.Initiator.RetransmitTimeout);
    }

    [Fact]
    public void SilentPeer_IsProbed_ThenDeclaredDead()
    {
        using var pair = new SimulatedPair();
        Assert.True(pair.RunUntil(() => pair.Acceptor?.State == ReliableConnectionState.Established, Limit));
        pair.AcceptorAlive = false;
        long before = pair.FramesSent;
        Assert.True(pair.RunUntil(() => pair.Initiator.State == ReliableConnectionState.Reset, TimeSpan.FromSeconds(60)));
        Assert.Contains("stopped answering", pair.Initiator.ResetReason);
        Assert.True(pair.FramesSent - before >= 3, "keepalive probes were sent");
    }

    [Fact]
    public void IdlePeerThatAnswers_StaysConnected()
    {
        using var pair = new SimulatedPair();
        Assert.True(pair.RunUntil(() => pair.Acceptor?.State == ReliableConnectionState.Established, Limit));
        Assert.False(pair.RunUntil(() => pair.Initiator.State != ReliableConnectionState.Established, TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public void Close_AtBothEnds_DeliversEverything_ThenEndOfStream_ThenClosed()
    {
        using var pair = new SimulatedPair { DropRate = 0.05, Jitter = TimeSpan.FromMicroseconds(300) };
        byte[] up = Pattern(50_000, 8);
        var (atAcceptor, _, _) = Exchange(pair, up, []);
        Assert.Equal(up, atAcceptor);
        pair.Initiator.Close();
        Assert.True(pair.RunUntil(() => pair.Acceptor!.IsEndOfStream, Limit));
        Assert.Equal(0, pair.Initiator.WritableBytes);
        pair.Acceptor!.Close();
        Assert.True(pair.RunUntil(() => pair.Initiator.State == ReliableConnectionState.Closed && pair.Acceptor.State == ReliableConnectionState.Closed, Limit));
        Assert.True(pair.Initiator.IsEndOfStream);
    }

    [Fact]
    public void Abort_ResetsThePeer()
    {
        using var pair = new SimulatedPair();
        Assert.True(pair.RunUntil(() => pair.Acceptor?.State == ReliableConnectionState.Established, Limit));
        pair.Initiator.Abort();
        Assert.True(pair.RunUntil(() => pair.Acceptor!.State == ReliableConnectionState.Reset, Limit));
        Assert.Equal("reset by the peer", pair.Acceptor!.ResetReason);
    }

    [Fact]
    public void FramesFarOutsideTheWindow_AreCountedAndNeverDelivered()
    {
        using var pair = new SimulatedPair();
        Assert.True(pair.RunUntil(() => pair.Acceptor?.State == ReliableConnectionState.Established, Limit));
        ReliableConnection acceptor = pair.Acceptor!;
        var header = new FrameHeader { Flags = FrameFlags.Ack, PayloadLength = 4, DestinationConnectionId = 99, SourceConnectionId = 17, Sequence = 1000 + 0x4000_0000, Acknowledgement = pair.AcceptorSequence };
        acceptor.OnFrame(header, [1, 2, 3, 4]);
        acceptor.OnFrame(header with { Sequence = 1000, Acknowledgement = pair.AcceptorSequence + 0x1000_0000, PayloadLength = 4 }, [1, 2, 3, 4]);
        acceptor.OnFrame(header with { Flags = FrameFlags.Rst, PayloadLength = 0, Sequence = 0x7000_0000 }, []);
        Assert.Equal(0, acceptor.ReadableBytes);
        Assert.Equal(3, acceptor.Counters.OutOfWindowFrames);
        Assert.Equal(ReliableConnectionState.Established, acceptor.State);
    }

    [Fact]
    public void WriteAndRead_AllocateNothing_OnceRunning()
    {
        using var pair = new SimulatedPair();
        Assert.True(pair.RunUntil(() => pair.Acceptor?.State == ReliableConnectionState.Established, Limit));
        ReliableConnection initiator = pair.Initiator;
        ReliableConnection acceptor = pair.Acceptor!;
        var data = new byte[3000];
        var frame = new byte[FrameHeader.Length + pair.Options.MaxPayload];
        var buffer = new byte[4096];
        void RoundTrip()
        {
            initiator.Write(data);
            while (initiator.TryWriteFrame(frame, out int length))
            {
                FrameHeader.TryRead(frame.AsSpan(0, length), out FrameHeader header);
                acceptor.OnFrame(header, frame.AsSpan(FrameHeader.Length, header.PayloadLength));
            }

            while (acceptor.Read(buffer) > 0)
            {
            }

            while (acceptor.TryWriteFrame(frame, out int length))
            {
                FrameHeader.TryRead(frame.AsSpan(0, length), out FrameHeader header);
                initiator.OnFrame(header, frame.AsSpan(FrameHeader.Length, header.PayloadLength));
            }
        }

        RoundTrip();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            RoundTrip();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0, initiator.UnacknowledgedBytes);
    }
}
