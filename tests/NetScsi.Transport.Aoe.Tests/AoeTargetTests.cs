using System.Buffers.Binary;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;
using NetScsi.Transport.Aoe.Ata;
using NetScsi.Transport.Ethernet;

namespace NetScsi.Transport.Aoe.Tests;

/// <summary>
/// The target's frame handling end to end, in the process: an <see cref="AoeTarget"/> on a simulated Ethernet segment,
/// initiators as other ports sending hand-made frames. No sockets, no VM.
/// </summary>
public sealed class AoeTargetTests : IAsyncLifetime
{
    private const int Mtu = 9000;
    private const ushort Shelf = 7;
    private const byte SlotA = 3;
    private const byte SlotB = 4;
    private const long Sectors = 8192;

    private readonly SimulatedSegment _segment = new(Mtu);
    private readonly IFrameLink _host;
    private readonly IFrameLink _stranger;
    private readonly IFrameLink _targetLink;
    private readonly MemoryBlockDevice _deviceA = new(Sectors * 512, 512, identity: "mem:aoe-a");
    private readonly MemoryBlockDevice _deviceB = new(Sectors * 512, 512, readOnly: true, identity: "mem:aoe-b");
    private readonly FrameBatch _batch = new(64, Mtu + EthernetHeader.Length);
    private AoeTarget _target = null!;
    private uint _tag = 0x100;

    public AoeTargetTests()
    {
        _targetLink = _segment.CreatePort("target");
        _host = _segment.CreatePort("host");
        _stranger = _segment.CreatePort("stranger");
    }

    public async Task InitializeAsync()
    {
        var unitA = new BlockLogicalUnit(_deviceA, new LogicalUnitOptions());
        var unitB = new BlockLogicalUnit(_deviceB, new LogicalUnitOptions());
        _target = await AoeTarget.StartAsync(_targetLink, Shelf,
            [new AoeSlotDefinition(SlotA, unitA, MacMask: [_host.Address]), new AoeSlotDefinition(SlotB, unitB)], new AoeTargetOptions());
    }

    public async Task DisposeAsync()
    {
        await _target.DisposeAsync();
        Assert.Null(_target.Failure);
        _host.Dispose();
        _stranger.Dispose();
    }

    [Fact]
    public void BroadcastQueryConfig_IsAnsweredByEverySlotWithTheSectorsTheMtuCarries()
    {
        uint tag = Send(_host, ConfigQuery(AoeHeader.BroadcastMajor, AoeHeader.BroadcastMinor), truncateTo: 32);

        List<byte[]> replies = Replies(_host, tag, expected: 2);

        Assert.Equal([SlotA, SlotB], replies.Select(r => r[18]).Order());
        foreach (byte[] reply in replies)
        {
            Assert.True(reply.Length >= 60, "padded to the Ethernet minimum");
            Assert.Equal(AoeReadStatus.Ok, AoeHeader.TryRead(reply, out AoeHeader header));
            Assert.True(header.IsResponse);
            Assert.Equal(Shelf, header.Major);
            Assert.Equal(_host.Address, header.Destination);
            Assert.Equal(_targetLink.Address, header.Source);
            Assert.Equal(AoeReadStatus.Ok, AoeConfigHeader.TryRead(reply.AsSpan(AoeHeader.Length), out AoeConfigHeader config, out _));
            Assert.Equal((Mtu - 36) / 512, config.SectorCount);
            Assert.Equal(64, config.BufferCount);
        }
    }

    [Fact]
    public void AMacOutsideTheMaskList_SeesNothingOfThatSlot_WhileTheListedMacIsAnswered()
    {
        uint broadcast = Send(_stranger, ConfigQuery(AoeHeader.BroadcastMajor, AoeHeader.BroadcastMinor));
        uint direct = Send(_stranger, ConfigQuery(Shelf, SlotA));
        uint identify = Send(_stranger, Ata(Shelf, SlotA, AtaOpcode.IdentifyDevice, 0, 1));
        List<byte[]> seen = Replies(_stranger, broadcast, expected: 1, settleMs: 300);
        seen.AddRange(Replies(_stranger, direct, expected: 0, settleMs: 100));
        seen.AddRange(Replies(_stranger, identify, expected: 0, settleMs: 100));

        Assert.Single(seen);                 // slot B (no mask) answered the broadcast; slot A said nothing at all
        Assert.Equal(SlotB, seen[0][18]);

        uint allowed = Send(_host, Ata(Shelf, SlotA, AtaOpcode.IdentifyDevice, 0, 1));
        byte[] reply = Assert.Single(Replies(_host, allowed, expected: 1));
        Assert.Equal((byte)AtaStatus.DeviceReady, reply[27]);
        Assert.Equal(AoeAtaHeader.DataOffset + 512, reply.Length);
    }

    [Fact]
    public async Task WriteThenRead_ThroughFrames_ReachesTheLogicalUnitAndComesBack()
    {
        byte[] data = new byte[17 * 512];
        new Random(5).NextBytes(data);
        byte[] write = Ata(Shelf, SlotA, AtaOpcode.WriteSectorsExt, 100, 17, AtaFlags.Extended | AtaFlags.Write, data);

        byte[] written = Assert.Single(Replies(_host, Send(_host, write), expected: 1));
        byte[] read = Assert.Single(Replies(_host, Send(_host, Ata(Shelf, SlotA, AtaOpcode.ReadSectorsExt, 100, 17, AtaFlags.Extended)), expected: 1));

        Assert.Equal((byte)AtaStatus.DeviceReady, written[27]);
        Assert.Equal(60, written.Length);
        Assert.Equal((byte)AtaStatus.DeviceReady, read[27]);
        Assert.Equal(data, read[AoeAtaHeader.DataOffset..]);
        byte[] stored = new byte[data.Length];
        await _deviceA.ReadAsync(100, stored);
        Assert.Equal(data, stored);
    }

    [Fact]
    public void ManyRequestsInFlight_AreAllAnswered()
    {
        var tags = new HashSet<uint>();
        for (int i = 0; i < 48; i++)
        {
            tags.Add(Send(_host, Ata(Shelf, SlotA, AtaOpcode.ReadSectorsExt, (ulong)(i * 17), 17, AtaFlags.Extended)));
        }

        var answered = new HashSet<uint>();
        long deadline = Environment.TickCount64 + 5000;
        while (answered.Count < tags.Count && Environment.TickCount64 < deadline)
        {
            foreach (byte[] frame in ReceiveSome(_host, 50))
            {
                uint tag = BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(20));
                if (tags.Contains(tag) && frame[27] == (byte)AtaStatus.DeviceReady && frame.Length == AoeAtaHeader.DataOffset + (17 * 512))
                {
                    answered.Add(tag);
                }
            }
        }

        Assert.Equal(tags.Count, answered.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ManyReadsInFlight_EachAnswerCarriesItsOwnSectors_WhetherTheUnitAnswersAtOnceOrLater(bool delayed)
    {
        // Responses are sent from the buffers their requests came in: none may be reused (or overwritten by another
        // read) before its frame has left, whether the unit completes on the poller (memory) or on a timer thread.
        const ushort shelf = 9;
        var memory = new MemoryBlockDevice(Sectors * 512, 512, identity: "mem:aoe-c");
        byte[] pattern = new byte[Sectors * 512];
        for (int sector = 0; sector < Sectors; sector++)
        {
            BinaryPrimitives.WriteInt32BigEndian(pattern.AsSpan(sector * 512), sector);
        }

        await memory.WriteAsync(0, pattern, forceUnitAccess: false);
        IBlockDevice device = delayed ? new DelayBlockDevice(memory, readDelay: TimeSpan.FromMilliseconds(2)) : memory;
        await using AoeTarget target = await AoeTarget.StartAsync(_segment.CreatePort("second target"), shelf,
            [new AoeSlotDefinition(0, new BlockLogicalUnit(device, new LogicalUnitOptions()))], new AoeTargetOptions());
        var expected = new Dictionary<uint, int>();
        for (int round = 0; round < 4; round++)
        {
            for (int i = 0; i < 48; i++)
            {
                int first = ((round * 48) + i) * 17;
                expected.Add(Send(_host, Ata(shelf, 0, AtaOpcode.ReadSectorsExt, (ulong)first, 17, AtaFlags.Extended)), first);
            }
        }

        var answered = new Dictionary<uint, bool>();
        long deadline = Environment.TickCount64 + 10_000;
        while (answered.Count + Volatile.Read(ref target.BufferOverruns) < expected.Count && Environment.TickCount64 < deadline)
        {
            foreach (byte[] frame in ReceiveSome(_host, 50))
            {
                uint tag = BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(20));
                if (expected.TryGetValue(tag, out int first) && frame.Length == AoeAtaHeader.DataOffset + (17 * 512))
                {
                    answered[tag] = Enumerable.Range(0, 17).All(k =>
                        BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(AoeAtaHeader.DataOffset + (k * 512))) == first + k);
                }
            }
        }

        Assert.Equal(expected.Count, answered.Count + target.BufferOverruns);
        Assert.True(answered.Count >= 64, $"{answered.Count} answered");
        Assert.All(answered, pair => Assert.True(pair.Value, $"tag {pair.Key:x}: sectors of another read"));
        Assert.Null(target.Failure);
    }

    [Fact]
    public void WriteToAReadOnlyLun_IsAbortedByTheScsiLayer()
    {
        byte[] reply = Assert.Single(Replies(_host, Send(_host, Ata(Shelf, SlotB, AtaOpcode.WriteSectorsExt, 0, 1, AtaFlags.Extended | AtaFlags.Write, new byte[512])), expected: 1));

        Assert.Equal((byte)(AtaStatus.DeviceReady | AtaStatus.Error), reply[27]);
        Assert.Equal((byte)AtaError.Abort, reply[25]);
    }

    [Theory]
    [InlineData("lba beyond the end")]
    [InlineData("absurd sector count")]
    [InlineData("count 0 (65536 sectors)")]
    [InlineData("write without its data")]
    [InlineData("wrong version")]
    [InlineData("unknown command")]
    [InlineData("truncated ATA argument")]
    [InlineData("config string beyond the frame")]
    [InlineData("unknown ATA opcode")]
    public void HostileFrames_AreAnsweredWithTheRightErrorOrDropped_AndTheTargetKeepsServing(string kind)
    {
        byte[] frame = kind switch
        {
            "lba beyond the end" => Ata(Shelf, SlotB, AtaOpcode.ReadSectorsExt, Sectors, 1, AtaFlags.Extended),
            "absurd sector count" => Ata(Shelf, SlotB, AtaOpcode.ReadSectorsExt, 0, 200, AtaFlags.Extended),
            "count 0 (65536 sectors)" => Ata(Shelf, SlotB, AtaOpcode.ReadSectorsExt, 0, 0, AtaFlags.Extended),
            "write without its data" => Ata(Shelf, SlotA, AtaOpcode.WriteSectorsExt, 0, 8, AtaFlags.Extended | AtaFlags.Write, new byte[512]),
            "wrong version" => WithByte(ConfigQuery(Shelf, SlotB), 14, 0x20),
            "unknown command" => WithByte(ConfigQuery(Shelf, SlotB), 19, 0x7F),
            "truncated ATA argument" => Ata(Shelf, SlotB, AtaOpcode.ReadSectorsExt, 0, 1)[..30],
            "config string beyond the frame" => WithByte(ConfigQuery(Shelf, SlotB), 31, 200),
            _ => Ata(Shelf, SlotB, 0xC8, 0, 1),
        };
        (AoeError aoe, byte status, byte error) expected = kind switch
        {
            "lba beyond the end" => (AoeError.None, (byte)(AtaStatus.DeviceReady | AtaStatus.Error), (byte)AtaError.IdNotFound),
            "absurd sector count" or "count 0 (65536 sectors)" or "write without its data" or "truncated ATA argument" or "config string beyond the frame" => (AoeError.BadArgument, 0, 0),
            "wrong version" => (AoeError.UnsupportedVersion, 0, 0),
            "unknown command" => (AoeError.UnrecognizedCommand, 0, 0),
            _ => (AoeError.None, (byte)(AtaStatus.DeviceReady | AtaStatus.Error), (byte)AtaError.Abort),
        };

        uint tag = Send(_host, frame);
        byte[] reply = Assert.Single(Replies(_host, tag, expected: 1));

        Assert.True(reply.Length >= 60);
        if (expected.aoe != AoeError.None)
        {
            Assert.Equal(0x1C, reply[14]);                      // version 1, R and E
            Assert.Equal((byte)expected.aoe, reply[15]);
        }
        else
        {
            Assert.Equal(0x18, reply[14]);
            Assert.Equal(expected.status, reply[27]);
            Assert.Equal(expected.error, reply[25]);
            Assert.Equal(60, reply.Length);                      // no data with an error
        }

        Assert.Single(Replies(_host, Send(_host, ConfigQuery(Shelf, SlotB)), expected: 1));
    }

    [Fact]
    public void FramesThatMustBeDropped_GetNoAnswer_AndTheTargetKeepsServing()
    {
        byte[] response = WithByte(ConfigQuery(Shelf, SlotB), 14, 0x18);  // R set: a response, not for us
        byte[] tooShort = ConfigQuery(Shelf, SlotB)[..20];
        byte[] ataBroadcast = Ata(AoeHeader.BroadcastMajor, AoeHeader.BroadcastMinor, AtaOpcode.ReadSectorsExt, 0, 1, AtaFlags.Extended);
        byte[] otherShelf = ConfigQuery(8, SlotB);
        var tags = new List<uint> { Send(_host, response), Send(_host, ataBroadcast), Send(_host, otherShelf) };
        SendRaw(_host, tooShort);

        foreach (uint tag in tags)
        {
            Assert.Empty(Replies(_host, tag, expected: 0, settleMs: 150));
        }

        Assert.Single(Replies(_host, Send(_host, ConfigQuery(Shelf, SlotB)), expected: 1));
    }

    [Fact]
    public void ReserveList_KeepsOtherMacsFromAta_AndFromSettingIt()
    {
        byte[] reserve = Header(Shelf, SlotB, AoeCommand.ReserveRelease, 2 + 6);
        reserve[24] = (byte)AoeReserveCommand.Set;
        reserve[25] = 1;
        _host.Address.WriteTo(reserve.AsSpan(26));

        byte[] set = Assert.Single(Replies(_host, Send(_host, reserve), expected: 1));
        byte[] refused = Assert.Single(Replies(_stranger, Send(_stranger, Ata(Shelf, SlotB, AtaOpcode.ReadSectorsExt, 0, 1, AtaFlags.Extended)), expected: 1));
        byte[] stolen = Assert.Single(Replies(_stranger, Send(_stranger, reserve), expected: 1));
        byte[] allowed = Assert.Single(Replies(_host, Send(_host, Ata(Shelf, SlotB, AtaOpcode.ReadSectorsExt, 0, 1, AtaFlags.Extended)), expected: 1));

        Assert.Equal(0x18, set[14]);
        Assert.Equal(1, set[25]);
        Assert.Equal(_host.Address, MacAddress.Read(set.AsSpan(26)));
        Assert.Equal((byte)AoeError.TargetReserved, refused[15]);
        Assert.Equal(0x1C, refused[14]);
        Assert.Equal((byte)AoeError.TargetReserved, stolen[15]);
        Assert.Equal((byte)AtaStatus.DeviceReady, allowed[27]);
    }

    [Fact]
    public void MacMaskEdit_AddsAnInitiator_WhoThenSeesTheSlot()
    {
        byte[] edit = Header(Shelf, SlotA, AoeCommand.MacMaskList, 4 + 8);
        edit[25] = (byte)AoeMaskCommand.Edit;
        edit[27] = 1;
        edit[29] = (byte)AoeMaskDirective.Add;
        _stranger.Address.WriteTo(edit.AsSpan(30));

        byte[] reply = Assert.Single(Replies(_host, Send(_host, edit), expected: 1));
        byte[] seen = Assert.Single(Replies(_stranger, Send(_stranger, ConfigQuery(Shelf, SlotA)), expected: 1));

        Assert.Equal(0, reply[26]);           // MError none
        Assert.Equal(2, reply[27]);           // the list: host and stranger
        Assert.Equal(SlotA, seen[18]);
        Assert.Equal(2, _target.MacMask(SlotA).Count);
    }

    // ---- frames ----

    private byte[] Header(ushort major, byte minor, AoeCommand command, int argumentLength)
    {
        byte[] frame = new byte[AoeHeader.Length + argumentLength];
        new AoeHeader { Destination = MacAddress.Broadcast, Source = default, Major = major, Minor = minor, Command = command, Tag = 0 }.WriteTo(frame);
        return frame;
    }

    private byte[] ConfigQuery(ushort major, byte minor) => Header(major, minor, AoeCommand.QueryConfig, AoeConfigHeader.Length + 28);

    private byte[] Ata(ushort major, byte minor, byte opcode, ulong lba, byte count, AtaFlags flags = AtaFlags.None, byte[]? data = null)
    {
        byte[] frame = Header(major, minor, AoeCommand.Ata, AoeAtaHeader.Length + (data?.Length ?? 0));
        new AoeAtaHeader { Flags = flags, CommandStatus = opcode, Lba = lba, SectorCount = count }.WriteTo(frame.AsSpan(AoeHeader.Length));
        data?.CopyTo(frame.AsSpan(AoeAtaHeader.DataOffset));
        return frame;
    }

    private static byte[] WithByte(byte[] frame, int offset, byte value)
    {
        frame[offset] = value;
        return frame;
    }

    /// <summary>Sends the frame from <paramref name="from"/> with a fresh tag (returned) and its source address.</summary>
    private uint Send(IFrameLink from, byte[] frame, int truncateTo = 0)
    {
        uint tag = ++_tag;
        if (frame.Length >= 24)
        {
            from.Address.WriteTo(frame.AsSpan(6));
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(20), tag);
        }

        SendRaw(from, truncateTo > 0 ? frame[..truncateTo] : frame);
        return tag;
    }

    private void SendRaw(IFrameLink from, byte[] frame)
    {
        if (frame.Length >= 12)
        {
            from.Address.WriteTo(frame.AsSpan(6));
        }

        frame.CopyTo(_batch.Slot(0));
        _batch.SetLength(0, frame.Length);
        _batch.Count = 1;
        from.Send(_batch);
    }

    /// <summary>Replies with <paramref name="tag"/>: waits for <paramref name="expected"/> of them, then <paramref name="settleMs"/> more for extras.</summary>
    private List<byte[]> Replies(IFrameLink at, uint tag, int expected, int settleMs = 100)
    {
        var replies = new List<byte[]>();
        long deadline = Environment.TickCount64 + 5000;
        while (replies.Count < expected && Environment.TickCount64 < deadline)
        {
            replies.AddRange(ReceiveSome(at, 50).Where(f => f.Length >= 24 && BinaryPrimitives.ReadUInt32BigEndian(f.AsSpan(20)) == tag));
        }

        long settle = Environment.TickCount64 + settleMs;
        while (Environment.TickCount64 < settle)
        {
            replies.AddRange(ReceiveSome(at, 20).Where(f => f.Length >= 24 && BinaryPrimitives.ReadUInt32BigEndian(f.AsSpan(20)) == tag));
        }

        return replies;
    }

    private List<byte[]> ReceiveSome(IFrameLink at, int waitMs)
    {
        var frames = new List<byte[]>();
        at.Wait(waitMs);
        at.Receive(_batch);
        for (int i = 0; i < _batch.Count; i++)
        {
            frames.Add(_batch.Frame(i).ToArray());
        }

        return frames;
    }
}
