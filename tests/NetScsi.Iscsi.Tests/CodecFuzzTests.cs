using System.Buffers;
using System.Text;
using NetScsi.Iscsi.Login;
using NetScsi.Iscsi.Pdus;
using NetScsi.Iscsi.Tests.Login;
using NetScsi.Iscsi.Tests.Pdus;
using NetScsi.Iscsi.Text;

namespace NetScsi.Iscsi.Tests;

/// <summary>
/// In-process codec fuzzing, seeded: the PDU reader, text-key parsing and the target login state machine take random
/// and mutated input and never throw; what they accept is consistent with what they were given. Set
/// NETSCSI_FUZZ_CASES for a longer run; docs/reliability.md describes the coverage-guided run.
/// </summary>
public sealed class CodecFuzzTests
{
    private static int Cases(int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("NETSCSI_FUZZ_CASES"), out int cases) && cases > 0 ? cases : fallback;

    private static byte[] ValidPdu(Random random, bool headerDigest, bool dataDigest)
    {
        var header = new byte[Bhs.Length];
        var data = new byte[random.Next(0, 700)];
        random.NextBytes(data);
        new NopOutPdu { Immediate = true, InitiatorTaskTag = (uint)random.Next(), TargetTransferTag = Bhs.ReservedTag, DataSegmentLength = data.Length }.WriteTo(header);
        var wire = new ArrayBufferWriter<byte>();
        PduWriter.Write(wire, header, data, headerDigest, dataDigest);
        return wire.WrittenSpan.ToArray();
    }

    [Fact]
    public void PduReader_OnRandomAndMutatedBytes_NeverThrows_AndFramesOnlyWhatItWasGiven()
    {
        var random = new Random(0xC0DEC);
        int cases = Cases(20_000);
        for (int i = 0; i < cases; i++)
        {
            bool headerDigest = random.Next(2) == 0;
            bool dataDigest = random.Next(2) == 0;
            byte[] bytes;
            if (random.Next(3) == 0)
            {
                bytes = new byte[random.Next(0, 200)];
                random.NextBytes(bytes);
            }
            else
            {
                bytes = ValidPdu(random, headerDigest, dataDigest);
                int flips = random.Next(0, 4);
                for (int f = 0; f < flips && bytes.Length > 0; f++)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                }
                if (random.Next(5) == 0)
                {
                    bytes = bytes[..random.Next(0, bytes.Length)];
                }
            }
            int max = random.Next(2) == 0 ? 8192 : random.Next(0, 1 << 24);
            // Split the input across segments now and then: the reader must not depend on one contiguous span.
            var sequence = random.Next(2) == 0 ? new ReadOnlySequence<byte>(bytes) : Segment.Split(bytes, random.Next(0, bytes.Length + 1));
            var status = PduReader.TryRead(sequence, max, headerDigest, dataDigest, out var frame);
            if (status == PduReadResult.Complete)
            {
                Assert.True(frame.WireLength <= bytes.Length, $"case {i}: framed {frame.WireLength} bytes out of {bytes.Length}");
                Assert.True(frame.DataSegmentLength <= max, $"case {i}: a {frame.DataSegmentLength}-byte segment above the {max} limit");
                ReadOnlySpan<byte> bhs = frame.Header;
                Assert.Equal((bhs[5] << 16) | (bhs[6] << 8) | bhs[7], frame.DataSegmentLength);
            }
        }
    }

    [Fact]
    public void TextKeyParsing_OnRandomAndMutatedText_NeverThrows_AndParsesOnlyWellFormedPairs()
    {
        var random = new Random(0x7E47);
        string[] seeds = ["SendTargets=All\0", "MaxRecvDataSegmentLength=262144\0HeaderDigest=CRC32C,None\0", "CHAP_A=5,6,7\0", "CHAP_R=0x0011\0", "X-a=b\0"];
        int cases = Cases(20_000);
        for (int i = 0; i < cases; i++)
        {
            byte[] data;
            if (random.Next(3) == 0)
            {
                data = new byte[random.Next(0, 300)];
                random.NextBytes(data);
            }
            else
            {
                var text = new StringBuilder();
                for (int n = random.Next(1, 5); n > 0; n--)
                {
                    text.Append(seeds[random.Next(seeds.Length)]);
                }
                data = Encoding.ASCII.GetBytes(text.ToString());
                for (int f = random.Next(0, 4); f > 0 && data.Length > 0; f--)
                {
                    data[random.Next(data.Length)] = (byte)"=\0,x\xff"[random.Next(5)];
                }
            }
            if (TextKeyValues.TryParse(data, out var pairs, out _, allowDuplicateKeys: random.Next(2) == 0, maxValueLength: random.Next(1, 9000)))
            {
                foreach (var pair in pairs)
                {
                    Assert.False(string.IsNullOrEmpty(pair.Key), $"case {i}: an empty key was accepted");
                    Assert.DoesNotContain('\0', pair.Key + pair.Value);
                }
            }
        }
    }

    [Fact]
    public void TargetLoginStateMachine_OnRandomRequests_NeverThrows_AndAnswersWithAValidStatusClass()
    {
        var random = new Random(0x10C1);
        string[] keys = ["InitiatorName=iqn.2026-11.org.netscsi:fuzz", "TargetName=" + LoginTestKit.TargetName, "SessionType=Normal", "SessionType=Discovery",
            "AuthMethod=None", "AuthMethod=CHAP", "CHAP_A=5", "CHAP_N=alice", "CHAP_R=0x00", "HeaderDigest=CRC32C", "MaxBurstLength=0", "MaxBurstLength=99999999999",
            "FirstBurstLength=512", "ErrorRecoveryLevel=2", "MaxConnections=65536", "X=", "=y", "TargetAlias=x"];
        int cases = Cases(3_000);
        for (int i = 0; i < cases; i++)
        {
            var machine = LoginTestKit.Machine();
            for (int step = random.Next(1, 6); step > 0; step--)
            {
                var pairs = new string[random.Next(0, 6)];
                for (int p = 0; p < pairs.Length; p++)
                {
                    pairs[p] = keys[random.Next(keys.Length)];
                }
                var request = new LoginRequest
                {
                    CurrentStage = (byte)random.Next(0, 4),
                    NextStage = (byte)random.Next(0, 4),
                    Transit = random.Next(2) == 0,
                    Continue = random.Next(5) == 0,
                    VersionMax = (byte)random.Next(0, 2),
                    Isid = LoginTestKit.Isid,
                    Tsih = (ushort)random.Next(0, 2),
                    Data = random.Next(6) == 0 ? RandomBytes(random, random.Next(0, 64)) : LoginTestKit.Text(pairs),
                };
                var response = machine.Process(request);
                Assert.InRange(response.StatusClass, 0, 3);
                if (response.StatusClass != 0)
                {
                    break; // a failed login ends the connection
                }
            }
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
