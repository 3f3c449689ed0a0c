using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using NetScsi.Functional.Tests.Target;
using NetScsi.Iscsi.Pdus;
using Xunit.Abstractions;

namespace NetScsi.Functional.Tests.Adversarial;

/// <summary>
/// A seeded network fuzzer: sessions (plain, and with header and data digests) and connections still in login get
/// batches of mutated PDUs of every opcode. After each batch a fresh session must log in and read, every PDU the
/// target sent must parse, the target must log no error, and the managed heap must stay below a bound. Short mode in
/// CI; <c>NETSCSI_ADVERSARIAL=long</c> runs 100,000 cases (docs/reliability.md).
/// </summary>
[Collection(MeasuresTheHeapCollection.Name)]
public sealed class PduFuzzTests(ITestOutputHelper output)
{
    private const int CasesPerBatch = 12;
    private const long HeapBound = 256L * 1024 * 1024;
    private static readonly TimeSpan s_freshSessionTimeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(false, 0x5eed01)]
    [InlineData(true, 0x5eed02)]
    public async Task MutatedPdus_NeverBreakTheTarget(bool digests, int defaultSeed)
    {
        int seed = AdversarialSettings.Seed(defaultSeed);
        int cases = AdversarialSettings.Cases(shortMode: 1500, longMode: 50_000);
        var errors = new ErrorCountingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(errors).SetMinimumLevel(LogLevel.Debug));
        await using var fixture = await TargetFixture.StartAsync(
            o =>
            {
                o.QueueDepth = 16;
                o.SessionBufferBudget = 8L * 1024 * 1024;
                o.LoginTimeout = TimeSpan.FromSeconds(2);
                o.Limits.OutputStallTimeout = TimeSpan.FromSeconds(2);
            },
            lunBytes: 4L * 1024 * 1024,
            loggerFactory: loggerFactory);

        var random = new Random(seed);
        var stopwatch = Stopwatch.StartNew();
        long peakHeap = 0;
        int sent = 0;
        int answers = 0;
        var outcomes = new int[3];
        for (int batch = 0; sent < cases; batch++)
        {
            bool inLogin = random.Next(8) == 0;
            var client = await fixture.ConnectAsync();
            client.HeaderDigest = client.DataDigest = digests && !inLogin;
            if (!inLogin)
            {
                await client.LoginAsync(TargetFixture.TargetName, $"iqn.2026-11.org.netscsi:fuzz-{batch}");
            }
            var reader = DrainAsync(client, MarkerTag);
            for (int i = 0; i < CasesPerBatch && sent < cases; i++, sent++)
            {
                byte[] wire = Mutate(random, client, inLogin ? LoginTemplate(random, client) : Template(random, client));
                try
                {
                    await client.SendRawAsync(wire).WaitAsync(TimeSpan.FromSeconds(5));
                }
                catch (Exception e) when (e is InvalidOperationException or IOException or TimeoutException)
                {
                    break; // the target closed the connection (or stopped reading it): the batch is over
                }
            }
            if (!inLogin)
            {
                // A well-formed ping last: answered unless the batch ended the connection or left it mid-PDU.
                var marker = new byte[Bhs.Length];
                new NopOutPdu { Immediate = true, InitiatorTaskTag = MarkerTag, TargetTransferTag = Bhs.ReservedTag, CmdSN = client.CmdSN, ExpStatSN = client.ExpStatSN }.WriteTo(marker);
                try
                {
                    await client.SendAsync(marker).WaitAsync(TimeSpan.FromSeconds(5));
                }
                catch (Exception e) when (e is InvalidOperationException or IOException or TimeoutException)
                {
                }
            }
            _ = await Task.WhenAny(reader, Task.Delay(TimeSpan.FromMilliseconds(inLogin ? 100 : 500)));
            await client.DisposeAsync();
            var (answered, outcome) = await reader.WaitAsync(TimeSpan.FromSeconds(20));
            answers += answered;
            outcomes[(int)outcome]++;

            if (batch % 8 == 0 || sent >= cases)
            {
                await AssertFreshSessionWorksAsync(fixture, seed, sent);
                long heap = GC.GetTotalMemory(forceFullCollection: batch % 64 == 0);
                peakHeap = Math.Max(peakHeap, heap);
                Assert.True(heap < HeapBound, $"seed {seed}, after {sent} cases: managed heap {heap >> 20} MiB");
            }
            Assert.True(errors.Count == 0, $"seed {seed}, after {sent} cases: the target logged an error: {errors.First}");
        }
        output.WriteLine($"seed {seed:x}, digests {digests}: {sent} cases in {stopwatch.Elapsed.TotalSeconds:F1} s, {answers} PDUs answered, " +
            $"target said {string.Join("; ", errors.Warnings.OrderByDescending(w => w.Value).Take(12).Select(w => w.Value + "x " + w.Key))}; " +
            $"batches ended answered/closed/unanswered {outcomes[0]}/{outcomes[1]}/{outcomes[2]}, peak heap {peakHeap >> 20} MiB, RSS {Environment.WorkingSet >> 20} MiB, 0 errors");
    }

    private const uint MarkerTag = 0x7FFF0001;

    private enum BatchOutcome
    {
        /// <summary>The closing ping was answered: the connection was still serving.</summary>
        Answered,

        /// <summary>The target closed the connection (a protocol error it ends connections for, Logout, a reset).</summary>
        Closed,

        /// <summary>Neither before the client left (the batch left the connection mid-PDU, waiting for bytes).</summary>
        Unanswered,
    }

    /// <summary>
    /// Reads the target's answers until the closing ping's answer or the end of the connection; every PDU must be
    /// well formed (<see cref="RawIscsiClient.ReceiveAsync"/> throws <see cref="InvalidDataException"/> otherwise).
    /// </summary>
    private static async Task<(int Answers, BatchOutcome Outcome)> DrainAsync(RawIscsiClient client, uint marker)
    {
        int count = 0;
        while (true)
        {
            try
            {
                var (header, _) = await client.ReceiveAsync(TimeSpan.FromSeconds(15));
                count++;
                if (Bhs.GetOpcode(header) == IscsiOpcode.NopIn && Bhs.GetInitiatorTaskTag(header) == marker)
                {
                    return (count, BatchOutcome.Answered);
                }
            }
            catch (Exception e) when (e is EndOfStreamException or IOException)
            {
                return (count, BatchOutcome.Closed);
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
            {
                return (count, BatchOutcome.Unanswered);
            }
        }
    }

    private static async Task AssertFreshSessionWorksAsync(TargetFixture fixture, int seed, int sent)
    {
        await using var fresh = await fixture.ConnectAsync();
        using var cts = new CancellationTokenSource(s_freshSessionTimeout);
        try
        {
            await fresh.LoginAsync(TargetFixture.TargetName, "iqn.2026-11.org.netscsi:fuzz-check").WaitAsync(cts.Token);
            await fresh.SendAsync(fresh.BuildScsiCommand(TestCdbs.Read10(0, 8), 8 * 512, read: true, write: false, 0)).WaitAsync(cts.Token);
            while (true)
            {
                var (header, _) = await fresh.ReceiveAsync(s_freshSessionTimeout);
                var opcode = Bhs.GetOpcode(header);
                if (opcode == IscsiOpcode.ScsiResponse || opcode == IscsiOpcode.DataIn && DataInPdu.Parse(header).HasStatus)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or InvalidOperationException or EndOfStreamException)
        {
            Assert.Fail($"seed {seed}, after {sent} cases: a fresh session did not work ({e.Message})");
        }
    }

    /// <summary>A valid PDU of a random initiator opcode (header, data), as a session in full feature phase sends them.</summary>
    private static (byte[] Header, byte[] Data) Template(Random random, RawIscsiClient client)
    {
        var header = new byte[Bhs.Length];
        byte[] data = [];
        uint itt = client.NextItt++;
        switch (random.Next(11))
        {
            case 0:
                data = Bytes(random, random.Next(0, 600));
                new NopOutPdu { Immediate = random.Next(2) == 0, InitiatorTaskTag = itt, TargetTransferTag = Bhs.ReservedTag, CmdSN = client.CmdSN, ExpStatSN = client.ExpStatSN, DataSegmentLength = data.Length }.WriteTo(header);
                break;
            case 1:
                header = client.BuildScsiCommand(TestCdbs.Read10((uint)random.Next(0, 8200), (ushort)random.Next(0, 64)), (uint)random.Next(0, 64) * 512, read: true, write: false, 0);
                break;
            case 2:
            {
                int blocks = random.Next(1, 16);
                data = Bytes(random, Math.Min(blocks * 512, random.Next(0, 9000)));
                header = client.BuildScsiCommand(TestCdbs.Write10((uint)random.Next(0, 8200), (ushort)blocks), (uint)blocks * 512, read: false, write: true, data.Length);
                break;
            }
            case 3:
            {
                // A random CDB of a random length: opcodes we emulate and ones we do not.
                var cdb = Bytes(random, random.Next(1, 17));
                header = client.BuildScsiCommand(cdb, (uint)random.Next(0, 70000), random.Next(2) == 0, random.Next(4) == 0, 0);
                break;
            }
            case 4:
                new TaskManagementRequestPdu
                {
                    Immediate = true,
                    Function = (TaskManagementFunction)random.Next(0, 16),
                    Lun = (ulong)random.Next(0, 3) << 48,
                    InitiatorTaskTag = itt,
                    ReferencedTaskTag = random.Next(2) == 0 ? itt - (uint)random.Next(1, 8) : (uint)random.Next(),
                    CmdSN = client.CmdSN,
                    ExpStatSN = client.ExpStatSN,
                    RefCmdSN = client.CmdSN - (uint)random.Next(0, 20),
                }.WriteTo(header);
                break;
            case 5:
                data = Encoding.ASCII.GetBytes(random.Next(3) switch
                {
                    0 => "SendTargets=All\0",
                    1 => "MaxRecvDataSegmentLength=" + random.Next(0, 1 << 25) + "\0",
                    _ => "X" + random.Next() + "=" + new string('v', random.Next(0, 300)) + "\0",
                });
                new TextRequestPdu { Immediate = true, Final = random.Next(4) != 0, Continue = random.Next(4) == 0, InitiatorTaskTag = itt, TargetTransferTag = random.Next(3) == 0 ? (uint)random.Next(0, 4) : Bhs.ReservedTag, CmdSN = client.CmdSN, ExpStatSN = client.ExpStatSN, DataSegmentLength = data.Length }.WriteTo(header);
                break;
            case 6:
                data = Bytes(random, random.Next(0, 4096));
                new DataOutPdu { Final = random.Next(2) == 0, InitiatorTaskTag = itt - (uint)random.Next(0, 6), TargetTransferTag = random.Next(2) == 0 ? Bhs.ReservedTag : (uint)random.Next(0, 8), DataSN = (uint)random.Next(0, 3), BufferOffset = (uint)random.Next(0, 3) * 512, DataSegmentLength = data.Length }.WriteTo(header);
                break;
            case 7:
                // Logout rarely: it ends the batch's session.
                new LogoutRequestPdu { Immediate = true, Reason = (LogoutReason)random.Next(0, 4), InitiatorTaskTag = itt, Cid = (ushort)random.Next(0, 2), CmdSN = client.CmdSN, ExpStatSN = client.ExpStatSN }.WriteTo(header);
                if (random.Next(6) != 0)
                {
                    return Template(random, client);
                }
                break;
            case 8:
                new SnackRequestPdu { Type = (byte)random.Next(0, 4), InitiatorTaskTag = itt, TargetTransferTag = Bhs.ReservedTag, ExpStatSN = client.ExpStatSN, BegRun = (uint)random.Next(0, 4), RunLength = (uint)random.Next(0, 4) }.WriteTo(header);
                break;
            case 9:
                // A Login Request in full feature phase ends the connection: now and then only.
                return random.Next(4) == 0 ? LoginTemplate(random, client) : Template(random, client);
            default:
                // Opcodes no initiator sends, target opcodes among them.
                data = Bytes(random, random.Next(0, 64));
                header = Bytes(random, Bhs.Length);
                header[0] = (byte)random.Next(0, 64);
                header[4] = 0;
                BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)data.Length);
                break;
        }
        return (header, data);
    }

    private static (byte[] Header, byte[] Data) LoginTemplate(Random random, RawIscsiClient client)
    {
        var header = new byte[Bhs.Length];
        string keys = random.Next(4) switch
        {
            0 => "InitiatorName=iqn.2026-11.org.netscsi:fuzz\0TargetName=" + TargetFixture.TargetName + "\0AuthMethod=None,CHAP\0",
            1 => "AuthMethod=CHAP\0CHAP_A=5,6,7\0",
            2 => "CHAP_N=x\0CHAP_R=0x" + Convert.ToHexString(Bytes(random, random.Next(0, 80))) + "\0",
            _ => "HeaderDigest=CRC32C,None\0MaxBurstLength=" + random.Next() + "\0FirstBurstLength=" + random.Next() + "\0",
        };
        byte[] data = Encoding.ASCII.GetBytes(keys);
        new LoginRequestPdu
        {
            Transit = random.Next(2) == 0,
            CurrentStage = (byte)random.Next(0, 4),
            NextStage = (byte)random.Next(0, 4),
            Isid = 0x00023d000000UL | (uint)random.Next(0, 8),
            Tsih = (ushort)random.Next(0, 3),
            InitiatorTaskTag = client.NextItt++,
            CmdSN = client.CmdSN,
            ExpStatSN = client.ExpStatSN,
            DataSegmentLength = data.Length,
        }.WriteTo(header);
        return (header, data);
    }

    /// <summary>
    /// Mutates a PDU: most mutations before framing (so digests are right and the target parses the mutated fields),
    /// some after (digest errors, lost framing), and now and then none.
    /// </summary>
    private static byte[] Mutate(Random random, RawIscsiClient client, (byte[] Header, byte[] Data) pdu)
    {
        var (header, data) = pdu;
        int operations = random.Next(4) == 0 ? 0 : random.Next(1, 3);
        for (int i = 0; i < operations; i++)
        {
            switch (random.Next(8))
            {
                case 0:
                    header[HeaderOffset(random)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    header[HeaderOffset(random)] = (byte)random.Next(256);
                    break;
                case 2:
                    BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4 * random.Next(random.Next(6) == 0 ? 1 : 2, 12)), Interesting(random));
                    break;
                case 3:
                    // DataSegmentLength that disagrees with the data actually sent.
                    int claimed = random.Next(8) switch { 0 => random.Next(0, 1 << 24), < 4 => data.Length + random.Next(1, 64), _ => Math.Max(0, data.Length - random.Next(1, 64)) };
                    header[5] = (byte)(claimed >> 16);
                    header[6] = (byte)(claimed >> 8);
                    header[7] = (byte)claimed;
                    break;
                case 4:
                    header[4] = (byte)random.Next(0, 4); // TotalAHSLength
                    break;
                case 5:
                    if (data.Length > 0)
                    {
                        data[random.Next(data.Length)] = (byte)random.Next(256);
                    }
                    break;
                case 6:
                    header[0] = (byte)((header[0] & 0xC0) | random.Next(0, 64)); // another opcode, same fields
                    break;
                default:
                    header[1] ^= (byte)(1 << random.Next(8)); // flags
                    break;
            }
        }
        byte[] wire = client.Frame(header, data);
        switch (random.Next(40))
        {
            case 0:
                wire[random.Next(wire.Length)] ^= (byte)(1 << random.Next(8)); // after framing: a digest error with digests on
                break;
            case 1:
                return wire[..random.Next(1, wire.Length)]; // truncated: the rest of the batch is off its framing
        }
        return wire;
    }

    /// <summary>
    /// A byte of the BHS to mutate. The length fields (bytes 4-7) are hit less often than the rest: a length that
    /// disagrees with the bytes sent ends the connection (rightly), and every later case of the batch is lost.
    /// </summary>
    private static int HeaderOffset(Random random)
    {
        int offset = random.Next(Bhs.Length);
        return offset is >= 4 and < 8 && random.Next(4) != 0 ? random.Next(8, Bhs.Length) : offset;
    }

    private static uint Interesting(Random random) => random.Next(7) switch
    {
        0 => 0,
        1 => 1,
        2 => 0xFFFFFFFF,
        3 => 0x7FFFFFFF,
        4 => 0x80000000,
        5 => 0xFFFFFFFE,
        _ => (uint)random.Next(),
    };

    private static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Counts what the target logs at Error or above: a unit that threw, a request whose end failed.</summary>
    private sealed class ErrorCountingLoggerProvider : ILoggerProvider
    {
        private int _count;

        /// <summary>What the target warned about, by message (a protocol error's reason), for the run's summary.</summary>
        public System.Collections.Concurrent.ConcurrentDictionary<string, int> Warnings { get; } = new();

        public int Count => Volatile.Read(ref _count);

        public string? First { get; private set; }

        public ILogger CreateLogger(string categoryName) => new Counter(this);

        public void Dispose()
        {
        }

        private sealed class Counter(ErrorCountingLoggerProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (logLevel < LogLevel.Error)
                {
                    string message = formatter(state, exception);
                    int colon = message.IndexOf(": ", StringComparison.Ordinal);
                    owner.Warnings.AddOrUpdate(colon < 0 ? message : message[(colon + 2)..], 1, static (_, n) => n + 1);
                    return;
                }
                if (Interlocked.Increment(ref owner._count) == 1)
                {
                    owner.First = formatter(state, exception) + (exception is null ? "" : ": " + exception);
                }
            }
        }
    }
}
