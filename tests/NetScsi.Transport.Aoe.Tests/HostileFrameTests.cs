using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using NetScsi.Scsi.Storage;
using NetScsi.Transport.Aoe.Ata;
using NetScsi.Transport.Ethernet;

namespace NetScsi.Transport.Aoe.Tests;

/// <summary>
/// Property tests over random and mutated frames: the readers return a status and never throw, and a frame that reads
/// as an ATA request is carried out against a real device and answered in one frame no larger than the MTU allows.
/// Seeded; 3,000 cases per property.
/// </summary>
public sealed class HostileFrameTests
{
    private const int Mtu = 9000;
    private const int Cases = 3_000;
    private const ulong FuzzSeed = 0xA0E22;

    private static readonly MacAddress s_ours = new(0x0200_5E10_0001);

    private static Config Configuration() => Config.QuickThrowOnFailure
        .WithMaxTest(Cases)
        .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(FuzzSeed), FSharpOption<int>.None)));

    /// <summary>Frames that are mostly well-formed AoE ATA requests with random registers, lengths and opcodes.</summary>
    private static Gen<byte[]> AtaFrames() =>
        from length in Gen.Frequency((1, Gen.Choose(0, 40)), (3, Gen.Choose(36, 36 + (18 * 512))), (1, Gen.Choose(0, Mtu + 14)))
        from seed in Gen.Choose(int.MinValue, int.MaxValue)
        from opcode in Gen.Frequency(
            (6, Gen.Elements(AtaOpcode.ReadSectors, AtaOpcode.ReadSectorsExt, AtaOpcode.WriteSectors, AtaOpcode.WriteSectorsExt,
                AtaOpcode.IdentifyDevice, AtaOpcode.FlushCache, AtaOpcode.FlushCacheExt, AtaOpcode.CheckPowerMode, AtaOpcode.SetFeatures)),
            (1, Gen.Choose(0, 255).Select(b => (byte)b)))
        from count in Gen.Frequency((3, Gen.Choose(0, 18)), (1, Gen.Choose(0, 255)))
        from lbaKind in Gen.Choose(0, 3)
        select Build(length, seed, opcode, (byte)count, lbaKind);

    private static byte[] Build(int length, int seed, byte opcode, byte count, int lbaKind)
    {
        var random = new Random(seed);
        byte[] frame = new byte[length];
        random.NextBytes(frame);
        if (length >= AoeAtaHeader.DataOffset && random.Next(8) != 0)
        {
            new AoeHeader { Destination = s_ours, Source = new MacAddress(0x5254_00AE_0001), Major = 1, Minor = 0, Command = AoeCommand.Ata, Tag = (uint)seed }
                .WriteTo(frame);
            ulong lba = lbaKind switch
            {
                0 => (ulong)random.Next(0, 8192),
                1 => (ulong)random.NextInt64(0, 1L << 48),
                2 => 8192 - (ulong)random.Next(0, 20),
                _ => 0xE000_0000 | (ulong)random.Next(0, 8192),
            };
            new AoeAtaHeader { Flags = (AtaFlags)random.Next(256), ErrorFeature = (byte)random.Next(256), SectorCount = count, CommandStatus = opcode, Lba = lba }
                .WriteTo(frame.AsSpan(AoeHeader.Length));
        }

        return frame;
    }

    [Fact]
    public void RandomAtaFrames_AreReadWithoutThrowingAndAnsweredWithinOneFrame()
    {
        var device = new MemoryBlockDevice(8192L * 512, 512);
        var ata = new AtaHarness(device);
        byte[] response = new byte[Mtu + EthernetHeader.Length];
        int answered = 0;
        Check.One(Configuration(), Prop.ForAll(AtaFrames().ToArbitrary(), frame =>
        {
            AoeReadStatus status = AoeHeader.TryRead(frame, out AoeHeader header);
            if (status != AoeReadStatus.Ok || header.Command != AoeCommand.Ata || header.IsResponse)
            {
                return;
            }

            if (AoeAtaHeader.TryRead(frame.AsSpan(AoeHeader.Length), out AoeAtaHeader request) != AoeReadStatus.Ok)
            {
                Assert.True(frame.Length < AoeAtaHeader.DataOffset);
                return;
            }

            Memory<byte> room = response.AsMemory(AoeAtaHeader.DataOffset);
            ValueTask<AtaCompletion> pending = ata.ExecuteAsync(request, frame.AsMemory(AoeAtaHeader.DataOffset), room);
            Assert.True(pending.IsCompleted, "a memory device completes synchronously");
            AtaCompletion completion = pending.Result;
            AoeHeader reply = header.ToResponse(s_ours, 1, 0, completion.AoeError);
            int length = completion.AoeError != AoeError.None
                ? AoeResponse.WriteHeaderOnly(response, reply)
                : AoeResponse.WriteAta(response, reply, completion.Registers, completion.DataLength);

            Assert.InRange(length, AoeResponse.MinimumFrameLength, Mtu + EthernetHeader.Length);
            Assert.True(completion.DataLength % 512 == 0);
            if (completion.AoeError == AoeError.None && completion.Status.HasFlag(AtaStatus.Error))
            {
                Assert.Equal(0, completion.DataLength);
            }

            answered++;
        }));

        Assert.True(answered > Cases / 2, $"only {answered} of {Cases} frames reached the ATA device");
    }

    [Fact]
    public void RandomBytes_NeverMakeAReaderThrow()
    {
        Gen<byte[]> frames =
            from length in Gen.Choose(0, 2100)
            from seed in Gen.Choose(int.MinValue, int.MaxValue)
            select RandomFrame(length, seed);
        Check.One(Configuration(), Prop.ForAll(frames.ToArbitrary(), frame =>
        {
            AoeReadStatus status = AoeHeader.TryRead(frame, out AoeHeader header);
            Assert.True(Enum.IsDefined(status));
            if (status is AoeReadStatus.Ok or AoeReadStatus.UnsupportedVersion)
            {
                ReadOnlySpan<byte> argument = frame.AsSpan(AoeHeader.Length);
                AoeReadStatus config = AoeConfigHeader.TryRead(argument, out AoeConfigHeader parsed, out ReadOnlySpan<byte> text);
                Assert.True(config != AoeReadStatus.Ok || (text.Length == parsed.ConfigStringLength && text.Length <= AoeConfigHeader.MaxConfigStringLength));
                AoeAtaHeader.TryRead(argument, out _);
                Assert.Equal(header.Version == AoeHeader.CurrentVersion ? AoeReadStatus.Ok : AoeReadStatus.UnsupportedVersion, status);
            }
        }));
    }

    private static byte[] RandomFrame(int length, int seed)
    {
        var random = new Random(seed);
        byte[] frame = new byte[length];
        random.NextBytes(frame);
        if (length >= 14 && random.Next(4) != 0)
        {
            frame[12] = 0x88;
            frame[13] = 0xA2;
            if (length >= 15 && random.Next(3) != 0)
            {
                frame[14] = (byte)(0x10 | (frame[14] & 0x0F));
            }
        }

        return frame;
    }
}
