using System.Buffers.Binary;
using System.Reflection;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Messaging;
using Xunit.Abstractions;

namespace NetScsi.Scsi.Tests.Emulation;

/// <summary>
/// A property test of CDB decoding and execution: for every command a logical unit reports (REPORT SUPPORTED OPERATION
/// CODES), random and mutated CDBs, with random data buffers, run against a block and a communications unit in-process.
/// Whatever the bytes: no exception escapes <see cref="ILogicalUnit.ExecuteAsync"/>, every command completes, the status
/// is GOOD or CHECK CONDITION (CONDITION MET for PRE-FETCH, RESERVATION CONFLICT for the reservation commands), sense
/// data parses and carries a sense key and an additional sense code the target defines (<see cref="Asc"/>) and never
/// HARDWARE ERROR / INTERNAL TARGET FAILURE, and no more data comes back than the buffer or the CDB's allocation length
/// allows. Seeded (<c>NETSCSI_FUZZ_SEED</c> replays a seed); 5,000 cases, 200,000 with <c>NETSCSI_ADVERSARIAL=long</c>
/// (<c>NETSCSI_FUZZ_CASES</c> overrides). docs/reliability.md.
/// </summary>
public sealed class CdbFuzzTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromSeconds(10);

    private static readonly HashSet<ushort> s_definedAscs = typeof(Asc)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(ushort))
        .Select(f => (ushort)f.GetRawConstantValue()!)
        .ToHashSet();

    private static bool Long => string.Equals(Environment.GetEnvironmentVariable("NETSCSI_ADVERSARIAL"), "long", StringComparison.OrdinalIgnoreCase);

    private static int Cases() =>
        int.TryParse(Environment.GetEnvironmentVariable("NETSCSI_FUZZ_CASES"), out int cases) && cases > 0 ? cases
        : Long ? 200_000 : 5_000;

    private static ulong Seed() =>
        ulong.TryParse(Environment.GetEnvironmentVariable("NETSCSI_FUZZ_SEED"), out ulong seed) ? seed : 0xCDBF022;

    /// <summary>One command as the unit reports it: its CDB length and the CDB usage data (the bits it may use).</summary>
    private sealed record Command(byte Opcode, ushort? ServiceAction, byte[] Usage);

    /// <summary>A unit, its commands, and per command the CDBs that got GOOD so far (seeded with well-formed ones).</summary>
    private sealed record Target(string Name, ScsiTargetDevice Device, Command[] Commands, List<byte[]>[] Good);

    private const int GoodCdbsKept = 32;

    /// <summary>Well-formed CDBs to start from: valid pages, allocation lengths that cut the data short, small transfers.</summary>
    private static readonly byte[][] s_seeds =
    [
        Cdbs.Inquiry(), Cdbs.Inquiry(allocationLength: 5), Cdbs.Inquiry(true, 0x00), Cdbs.Inquiry(true, 0x80), Cdbs.Inquiry(true, 0x83, 10),
        Cdbs.Inquiry(true, 0xB0), Cdbs.Inquiry(true, 0xB1), Cdbs.Inquiry(true, 0xB2),
        Cdbs.ModeSense6(0x3F), Cdbs.ModeSense6(0x3F, allocationLength: 10), Cdbs.ModeSense6(0x08), Cdbs.ModeSense6(0x0A, pageControl: 1),
        Cdbs.ModeSense10(0x3F), Cdbs.ModeSense10(0x3F, allocationLength: 12), Cdbs.ModeSense10(0x08, llbaa: true),
        Cdbs.RequestSense(), Cdbs.RequestSense(8, desc: true), Cdbs.ReportLuns(), Cdbs.ReportLuns(allocationLength: 16),
        Cdbs.ReadCapacity10(), Cdbs.ReadCapacity16(), Cdbs.ReadCapacity16(12), Cdbs.GetLbaStatus(0), Cdbs.GetLbaStatus(100, 16),
        Cdbs.ReportSupportedOperationCodes(0), Cdbs.ReportSupportedOperationCodes(0, allocationLength: 20), Cdbs.ReportSupportedOperationCodes(1, 0x28),
        Cdbs.Read6(0, 1), Cdbs.Read10(0, 8), Cdbs.Read16(2000, 48), Cdbs.Write6(8, 1), Cdbs.Write10(16, 8), Cdbs.Write16(2040, 8),
        Cdbs.StartStopUnit(true, false), Cdbs.PreventAllow(0), Cdbs.TestUnitReady(),
    ];

    /// <summary>One case: which unit and command, how the CDB is made, and the data buffer that goes with it.</summary>
    public sealed record Case(int Unit, int Command, int Shape, int Seed, int Direction, int Length);

    [Fact]
    public void RandomAndMutatedCdbs_ForEveryReportedCommand_AlwaysGetAValidAnswer()
    {
        Target[] targets = [StartBlockUnit(), StartCommunicationsUnit()];
        foreach (var target in targets)
        {
            Assert.True(target.Commands.Length > 5, $"{target.Name} reported {target.Commands.Length} commands");
        }

        var statuses = new Dictionary<string, int>();
        var gen =
            from unit in Gen.Choose(0, targets.Length - 1)
            from command in Gen.Choose(0, 1_000_000)
            from shape in Gen.Frequency((6, Gen.Constant(0)), (2, Gen.Constant(1)), (3, Gen.Constant(2)), (2, Gen.Constant(3)), (4, Gen.Constant(4)), (3, Gen.Constant(5)))
            from seed in Gen.Choose(int.MinValue, int.MaxValue)
            from direction in Gen.Frequency((2, Gen.Constant(0)), (5, Gen.Constant(1)), (3, Gen.Constant(2)))
            from length in Gen.Frequency(
                (3, Gen.Constant(0)),
                (2, Gen.Elements(1, 8, 24, 252, 512, 4096)),
                (3, Gen.Choose(0, 70_000)))
            select new Case(unit, command % targets[unit].Commands.Length, shape, seed, direction, length);

        int cases = Cases();
        ulong fuzzSeed = Seed();
        var config = Config.QuickThrowOnFailure
            .WithMaxTest(cases)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(fuzzSeed), FSharpOption<int>.None)));
        var started = DateTime.UtcNow;
        int run = 0;
        Check.One(config, Prop.ForAll(gen.ToArbitrary(), c =>
        {
            // Fresh units every 1,000 cases: state a case left (a SANITIZE in progress, a reservation, mode pages)
            // is part of what is fuzzed, but must not hide the commands from every later case.
            if (++run % 1000 == 0)
            {
                targets = [StartBlockUnit(), StartCommunicationsUnit()];
            }
            return Run(targets[c.Unit], c, statuses);
        }));
        output.WriteLine($"seed {fuzzSeed:x}: {cases} cases in {(DateTime.UtcNow - started).TotalSeconds:F1} s, {targets[0].Commands.Length} block and {targets[1].Commands.Length} communications commands; " +
            string.Join(", ", statuses.OrderByDescending(s => s.Value).Select(s => $"{s.Key} {s.Value}")));
    }

    private static Target StartBlockUnit()
    {
        var unit = new BlockLogicalUnit(new TestBlockDevice(blockCount: 2048, blockSize: 512), new LogicalUnitOptions());
        return Start("block", unit);
    }

    private static Target StartCommunicationsUnit()
    {
        var unit = new CommunicationsLogicalUnit(new MessageReceiveQueue([CommunicationsLogicalUnitOptions.Ipv4Stream], 16, 1 << 20), new CommunicationsLogicalUnitOptions());
        return Start("communications", unit);
    }

    private static Target Start(string name, ScsiLogicalUnit unit)
    {
        var device = new ScsiTargetDevice([new KeyValuePair<int, ILogicalUnit>(0, unit)]);
        // Power-on unit attention first, then the list of every command with its service actions.
        Execute(device, LuHarness.NewTask(Cdbs.TestUnitReady()));
        var all = LuHarness.NewTask(Cdbs.ReportSupportedOperationCodes(0, allocationLength: 16384), dataIn: 16384);
        Execute(device, all);
        LuHarness.AssertGood(all);
        var list = LuHarness.DataIn(all);
        int end = 4 + (int)BinaryPrimitives.ReadUInt32BigEndian(list);
        var commands = new List<Command>();
        for (int offset = 4; offset + 8 <= end && offset + 8 <= list.Length; offset += (list[offset + 5] & 0x02) != 0 ? 20 : 8)
        {
            byte opcode = list[offset];
            bool hasServiceAction = (list[offset + 5] & 0x01) != 0;
            ushort serviceAction = BinaryPrimitives.ReadUInt16BigEndian(list[(offset + 2)..]);
            // REPORT SUPPORTED OPERATION CODES, one command: its CDB usage data.
            var one = LuHarness.NewTask(Cdbs.ReportSupportedOperationCodes(hasServiceAction ? 2 : 1, opcode, serviceAction, allocationLength: 512), dataIn: 512);
            Execute(device, one);
            LuHarness.AssertGood(one);
            var data = LuHarness.DataIn(one);
            Assert.True((data[1] & 0x07) == 3, $"{name}: opcode {opcode:x2}/{serviceAction:x} reported but not supported on its own");
            int cdbLength = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
            commands.Add(new Command(opcode, hasServiceAction ? serviceAction : null, data.Slice(4, cdbLength).ToArray()));
        }
        var good = commands.Select(c => s_seeds.Where(seed => seed[0] == c.Opcode && (c.ServiceAction is not { } sa || (seed[1] & 0x1F) == sa)).ToList()).ToArray();
        for (int i = 0; i < commands.Count; i++)
        {
            // The all-zero CDB (operation code and service action only) is well formed for many commands.
            var zero = new byte[commands[i].Usage.Length];
            zero[0] = commands[i].Opcode;
            if (commands[i].ServiceAction is { } sa)
            {
                zero[1] = (byte)sa;
            }
            good[i].Add(zero);
        }
        return new Target(name, device, [.. commands], good);
    }

    private static void Execute(ScsiTargetDevice device, ScsiTask task)
    {
        task.Lun = ScsiTargetDevice.EncodeLun(0);
        var pending = device.ExecuteAsync(task, CancellationToken.None);
        if (pending.IsCompleted)
        {
            pending.GetAwaiter().GetResult();
            return;
        }
        var waiting = pending.AsTask();
        if (!waiting.Wait(s_commandTimeout))
        {
            throw new TimeoutException($"CDB {Convert.ToHexString(task.Cdb)} did not complete in {s_commandTimeout.TotalSeconds} s");
        }
        waiting.GetAwaiter().GetResult();
    }

    /// <summary>
    /// The CDB of a case. Shape 0: each byte of the bits the command uses is 0, random, all ones or a small value (so
    /// that page codes, subpages and flags are often valid together); 1: fully random bytes after the operation code;
    /// 2 and 3: shape 0 or a CDB that got GOOD before, with one or a few flipped bits anywhere after the operation code;
    /// 4 and 5: see below.
    /// </summary>
    internal static byte[] MakeCdb(byte[] usage, int shape, System.Random random, List<byte[]> good)
    {
        // The transports pad a CDB to 16 bytes (iSCSI's CDB field) or carry it as it is; both happen.
        int length = usage.Length < 16 && random.Next(2) == 0 ? 16 : usage.Length;
        var cdb = new byte[length];
        if (shape >= 4 && good.Count > 0)
        {
            // 4 and 5: a CDB that got GOOD before, with one byte (4) or one field-sized run of bytes (5) replaced.
            var from = good[random.Next(good.Count)];
            from.AsSpan(0, Math.Min(from.Length, length)).CopyTo(cdb);
            int at = 1 + random.Next(usage.Length - 1);
            int run = shape == 4 ? 1 : Math.Min(1 + random.Next(4), usage.Length - at);
            for (int i = at; i < at + run; i++)
            {
                int pick = random.Next(4);
                cdb[i] = (byte)(pick == 0 ? 0 : pick == 1 ? 0xFF : pick == 2 ? cdb[i] + random.Next(-2, 3) : random.Next(256));
            }
            return cdb;
        }
        if (shape == 1)
        {
            random.NextBytes(cdb);
        }
        else
        {
            for (int i = 1; i < usage.Length; i++)
            {
                int pick = random.Next(10);
                cdb[i] = (byte)(usage[i] & (pick < 4 ? 0 : pick < 8 ? random.Next(256) : pick < 9 ? 0xFF : random.Next(1, 9)));
            }
        }
        cdb[0] = usage[0];
        if (shape is 2 or 3 && good.Count > 0 && random.Next(2) == 0)
        {
            var from = good[random.Next(good.Count)];
            Array.Clear(cdb);
            from.AsSpan(0, Math.Min(from.Length, length)).CopyTo(cdb);
        }
        if (shape is 2 or 3)
        {
            // A few flipped bits anywhere but the operation code (the caller puts the service action back).
            for (int flips = 1 + random.Next(shape == 2 ? 1 : 4); flips > 0; flips--)
            {
                int bit = 8 + random.Next((length - 1) * 8);
                cdb[bit / 8] ^= (byte)(1 << (bit % 8));
            }
        }
        return cdb;
    }

    private static bool Run(Target target, Case c, Dictionary<string, int> statuses)
    {
        var command = target.Commands[c.Command];
        var random = new System.Random(c.Seed);
        byte[] cdb = MakeCdb(command.Usage, c.Shape, random, target.Good[c.Command]);
        if (command.ServiceAction is { } serviceAction && c.Shape != 1)
        {
            // Where the service action lives: byte 1 (bits 4-0) for most, bytes 8-9 for the 32-byte variable CDBs.
            if (command.Opcode == 0x7F && cdb.Length >= 10)
            {
                BinaryPrimitives.WriteUInt16BigEndian(cdb.AsSpan(8), serviceAction);
            }
            else
            {
                cdb[1] = (byte)((cdb[1] & 0xE0) | (serviceAction & 0x1F));
            }
        }

        byte[]? dataOut = null;
        int dataIn = 0;
        if (c.Direction == 1 && c.Length > 0)
        {
            dataIn = c.Length;
        }
        else if (c.Direction == 2 && c.Length > 0)
        {
            dataOut = new byte[c.Length];
            random.NextBytes(dataOut);
        }
        var task = LuHarness.NewTask(cdb, dataIn, dataOut);
        string what = $"{target.Name} CDB {Convert.ToHexString(cdb)}, {(dataOut is not null ? "data-out" : "data-in")} {c.Length}";
        try
        {
            Execute(target.Device, task);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"{what}: {e.GetType().Name} escaped: {e.Message}", e);
        }

        string status = task.Status.ToString();
        switch (task.Status)
        {
            case ScsiStatus.Good:
                break;
            case ScsiStatus.CheckCondition:
                if (!SenseData.TryParse(task.Sense, out SenseKey key, out byte asc, out byte ascq))
                {
                    throw new InvalidOperationException($"{what}: CHECK CONDITION with sense that does not parse: {Convert.ToHexString(task.Sense)}");
                }
                ushort pair = (ushort)((asc << 8) | ascq);
                if (key is SenseKey.HardwareError || key > SenseKey.Miscompare || key is SenseKey.VendorSpecific || !s_definedAscs.Contains(pair) || (pair == Asc.NoAdditionalSenseInformation && key != SenseKey.NoSense))
                {
                    throw new InvalidOperationException($"{what}: CHECK CONDITION {key}, ASC/ASCQ {pair:X4}");
                }
                status = $"{key}/{pair:X4}";
                break;
            case ScsiStatus.ConditionMet when command.Opcode is 0x34 or 0x90: // PRE-FETCH(10), PRE-FETCH(16)
                break;
            case ScsiStatus.ReservationConflict when command.Opcode is 0x16 or 0x17 or 0x56 or 0x57 or 0x5F: // RESERVE, RELEASE, PERSISTENT RESERVE OUT
                break;
            default:
                throw new InvalidOperationException($"{what}: status {task.Status}");
        }

        int limit = dataIn;
        if (AllocationLength(cdb) is { } allocation)
        {
            limit = Math.Min(limit, allocation);
        }
        if (task.DataInLength < 0 || task.DataInLength > limit)
        {
            throw new InvalidOperationException($"{what}: {task.DataInLength} bytes of data-in, at most {limit} allowed");
        }
        var good = target.Good[c.Command];
        if (task.Status == ScsiStatus.Good && good.Count < GoodCdbsKept)
        {
            good.Add(cdb);
        }
        lock (statuses)
        {
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
        }
        return true;
    }

    /// <summary>The allocation length of the commands that have one (SPC-4, SBC-4), null for the others.</summary>
    private static int? AllocationLength(ReadOnlySpan<byte> cdb) => cdb[0] switch
    {
        0x03 or 0x1A => cdb[4], // REQUEST SENSE, MODE SENSE(6)
        0x12 or 0x1C => BinaryPrimitives.ReadUInt16BigEndian(cdb[3..]), // INQUIRY, RECEIVE DIAGNOSTIC RESULTS
        0x25 => 8, // READ CAPACITY(10)
        0x4D or 0x5A or 0x5E => BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]), // LOG SENSE, MODE SENSE(10), PERSISTENT RESERVE IN
        0x3C => (cdb[6] << 16) | (cdb[7] << 8) | cdb[8], // READ BUFFER
        0xA0 or 0xA2 or 0xA3 => (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(cdb[6..])), // REPORT LUNS, SECURITY PROTOCOL IN, MAINTENANCE IN
        0x84 or 0x9E => (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(cdb[10..])), // RECEIVE COPY RESULTS, SERVICE ACTION IN(16)
        _ => null,
    };
}
