using System.Buffers;
using System.Text;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Login;
using NetScsi.Iscsi.Pdus;
using NetScsi.Iscsi.Tests.Pdus;
using NetScsi.Iscsi.Text;
using SharpFuzz;

namespace NetScsi.Fuzz;

/// <summary>
/// The afl++ harness (fuzz/run.sh): one input drives one of the codecs that take bytes from the network — the PDU reader,
/// text-key parsing, or the target login state machine over a few login requests. An exception, or a result that
/// contradicts its input, is a crash for afl. <c>NetScsi.Fuzz FILE...</c> replays inputs (a crash afl saved);
/// <c>NetScsi.Fuzz --seeds DIR</c> writes the starting corpus.
/// </summary>
public static class Program
{
    private const string TargetName = "iqn.2026-11.org.netscsi:fuzz-target";

    public static int Main(string[] args)
    {
        if (args.Length == 2 && args[0] == "--seeds")
        {
            WriteSeeds(args[1]);
            return 0;
        }
        if (args.Length > 0)
        {
            foreach (string file in args)
            {
                Run(File.ReadAllBytes(file));
                Console.WriteLine($"{file}: no fault");
            }
            return 0;
        }
        // Persistent mode: afl++ hands inputs to this process one after another.
        Fuzzer.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            Run(buffer.ToArray());
        });
        return 0;
    }

    /// <summary>Byte 0 picks the codec; the rest is that codec's input.</summary>
    public static void Run(byte[] input)
    {
        if (input.Length < 4)
        {
            return;
        }
        switch (input[0] % 3)
        {
            case 0:
                ReadPdu(input[1], input[2], input.AsSpan(4).ToArray());
                break;
            case 1:
                ParseText(input[1], (ushort)((input[2] << 8) | input[3]), input.AsSpan(4).ToArray());
                break;
            default:
                Login(input.AsSpan(1).ToArray());
                break;
        }
    }

    private static void ReadPdu(byte flags, byte splitAt, byte[] bytes)
    {
        bool headerDigest = (flags & 1) != 0;
        bool dataDigest = (flags & 2) != 0;
        int max = (flags & 8) != 0 ? 1 << 24 : 8192;
        // Split the input across two segments now and then: the reader must not depend on one contiguous span.
        var sequence = (flags & 4) != 0 ? Segment.Split(bytes, bytes.Length * splitAt / 256) : new ReadOnlySequence<byte>(bytes);
        var status = PduReader.TryRead(sequence, max, headerDigest, dataDigest, out var frame);
        if (status != PduReadResult.Complete)
        {
            return;
        }
        Check(frame.WireLength <= bytes.Length, $"framed {frame.WireLength} bytes out of {bytes.Length}");
        Check(frame.DataSegmentLength <= max, $"a {frame.DataSegmentLength}-byte segment above the {max} limit");
        ReadOnlySpan<byte> bhs = frame.Header;
        Check(((bhs[5] << 16) | (bhs[6] << 8) | bhs[7]) == frame.DataSegmentLength, "DataSegmentLength differs from the header's");
    }

    private static void ParseText(byte flags, ushort maxValueLength, byte[] data)
    {
        if (!TextKeyValues.TryParse(data, out var pairs, out _, allowDuplicateKeys: (flags & 1) != 0, maxValueLength: 1 + maxValueLength % 9000))
        {
            return;
        }
        foreach (var pair in pairs)
        {
            Check(!string.IsNullOrEmpty(pair.Key), "an empty key was accepted");
            Check(!(pair.Key + pair.Value).Contains('\0'), "a NUL inside a key or value");
        }
    }

    /// <summary>Up to six login requests, separated by 0xFF 0xFF: four header bytes (stages and flags, version, TSIH), then the text.</summary>
    private static void Login(byte[] input)
    {
        var options = new IscsiTargetOptions();
        options.Targets.Add(new TargetDefinition { Name = TargetName });
        var machine = new TargetLoginStateMachine(options);
        int start = 0;
        for (int step = 0; step < 6 && start + 4 <= input.Length; step++)
        {
            int end = input.AsSpan(start + 4).IndexOf((ReadOnlySpan<byte>)[0xFF, 0xFF]);
            end = end < 0 ? input.Length : start + 4 + end;
            byte stages = input[start];
            var request = new LoginRequest
            {
                CurrentStage = (byte)(stages & 3),
                NextStage = (byte)((stages >> 2) & 3),
                Transit = (stages & 0x10) != 0,
                Continue = (stages & 0x20) != 0,
                VersionMax = input[start + 1],
                VersionMin = (byte)(input[start + 1] >> 4),
                Isid = 0x23D000000001,
                Tsih = input[start + 2],
                Data = input.AsMemory((start + 4)..end),
            };
            var response = machine.Process(request);
            Check(response.StatusClass <= 3, $"status class {response.StatusClass}");
            if (response.StatusClass != 0)
            {
                return; // a failed login ends the connection
            }
            start = end + 2;
        }
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException(what);
        }
    }

    private static void WriteSeeds(string directory)
    {
        Directory.CreateDirectory(directory);
        var header = new byte[Bhs.Length];
        var data = Encoding.ASCII.GetBytes("ping");
        new NopOutPdu { Immediate = true, InitiatorTaskTag = 1, TargetTransferTag = Bhs.ReservedTag, DataSegmentLength = data.Length }.WriteTo(header);
        for (int digests = 0; digests < 4; digests++)
        {
            var wire = new ArrayBufferWriter<byte>();
            PduWriter.Write(wire, header, data, (digests & 1) != 0, (digests & 2) != 0);
            File.WriteAllBytes(Path.Combine(directory, $"pdu-{digests}"), [0, (byte)digests, 128, 0, .. wire.WrittenSpan]);
        }
        File.WriteAllBytes(Path.Combine(directory, "text"), [1, 0, 0x20, 0, .. Encoding.ASCII.GetBytes("MaxRecvDataSegmentLength=262144\0HeaderDigest=CRC32C,None\0CHAP_A=5\0")]);
        byte[] security = Encoding.ASCII.GetBytes($"InitiatorName=iqn.2026-11.org.netscsi:fuzz\0TargetName={TargetName}\0SessionType=Normal\0AuthMethod=None\0");
        byte[] operational = Encoding.ASCII.GetBytes("HeaderDigest=None\0DataDigest=None\0MaxRecvDataSegmentLength=65536\0ErrorRecoveryLevel=0\0");
        // CSG 0 → NSG 1 with T, then CSG 1 → NSG 3 with T.
        File.WriteAllBytes(Path.Combine(directory, "login"), [2, 0x14, 0, 0, 0, .. security, 0xFF, 0xFF, 0x1D, 0, 0, 0, .. operational]);
    }
}
