using System.Buffers.Binary;
using NetScsi.Iscsi.Initiator;
using NetScsi.Scsi.Commands;
using NetScsi.Transport.Tcp;
using Xunit.Abstractions;

namespace NetScsi.Interop.Tests;

/// <summary>
/// kill -9 durability against the real <c>netscsi</c> process on a file LUN: writers using FUA, plain writes followed
/// by SYNCHRONIZE CACHE, and plain writes alone, over the immediate-data and the R2T path; the target is killed at a
/// random moment and restarted; every write acknowledged with FUA, or acknowledged before a SYNCHRONIZE CACHE that
/// completed, must read back exactly. Each write goes to a fresh LBA, so a later write never hides an earlier one.
/// CI: 3 kills; <c>NETSCSI_ADVERSARIAL=long</c>: 20.
/// </summary>
public sealed class KillDurabilityTests(ITestOutputHelper output) : IDisposable
{
    private const string Iqn = "iqn.2026-11.org.netscsi:kill-durability";
    private const int BlocksPerWrite = 8;
    private const int BlockSize = 512;
    private const int LunBlocks = 64 * 1024; // 32 MiB

    private readonly string _work = Directory.CreateTempSubdirectory("netscsi-kill-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static bool Long => string.Equals(Environment.GetEnvironmentVariable("NETSCSI_ADVERSARIAL"), "long", StringComparison.OrdinalIgnoreCase);

    private enum Mode
    {
        Fua,
        ThenSynchronizeCache,
        Plain,
    }

    [Fact]
    public async Task AcknowledgedDurableWrites_SurviveKillNine_OnBothDataPaths()
    {
        string file = Path.Combine(_work, "lun0.img");
        string[] serve = ["--listen", "127.0.0.1:0", "--iqn", Iqn, "--lun", $"file:{file},size={LunBlocks * BlockSize / (1024 * 1024)}M", "--log-level", "warning"];
        int kills = Long ? 20 : 3;
        var random = new Random(0xD1E);
        var durable = new Dictionary<uint, byte[]>(); // first LBA of a write -> its data
        uint nextLba = 0;
        int acknowledged = 0;
        int inFlightAtKill = 0;

        for (int round = 0; round < kills && nextLba + 64 * BlocksPerWrite < LunBlocks; round++)
        {
            await using var target = await NetScsiTargetProcess.StartAsync(_work, serve);
            using var stop = new CancellationTokenSource();
            var writers = new List<Task<(List<(uint Lba, byte[] Data)> Durable, int Acked)>>();
            for (int w = 0; w < 4; w++)
            {
                bool immediate = w % 2 == 0;
                var session = await ConnectAsync(target.Port, (ulong)(round * 8 + w + 1), immediate);
                var mode = (Mode)(w % 3);
                writers.Add(WriteUntilKilledAsync(session, mode, () => Interlocked.Add(ref nextLba, BlocksPerWrite) - BlocksPerWrite, round, stop.Token));
            }

            await Task.Delay(random.Next(200, 1500));
            await target.KillAsync();
            stop.Cancel();
            foreach (var writer in writers)
            {
                var (written, acked) = await writer.WaitAsync(TimeSpan.FromSeconds(60));
                acknowledged += acked;
                foreach (var (lba, data) in written)
                {
                    durable[lba] = data;
                }
            }
            inFlightAtKill++;
        }

        // Restart once more and read every durable write back.
        await using (var target = await NetScsiTargetProcess.StartAsync(_work, serve))
        {
            await using var reader = await ConnectAsync(target.Port, 0xFFFF, immediate: true);
            var buffer = new byte[BlocksPerWrite * BlockSize];
            byte[] cdb = new byte[BlockCdb.MaxLength];
            foreach (var (lba, expected) in durable)
            {
                int length = BlockCdb.BuildRead(cdb, lba, BlocksPerWrite);
                var result = await reader.ExecuteAsync(0, cdb.AsMemory(0, length), buffer, ReadOnlyMemory<byte>.Empty);
                Assert.True(result.IsGood, $"READ at {lba}: {result.Describe()}");
                Assert.True(expected.AsSpan().SequenceEqual(buffer), $"acknowledged durable write at LBA {lba} was lost or torn after kill -9");
            }
            await reader.LogoutAsync();
        }
        output.WriteLine($"{inFlightAtKill} kills, {acknowledged} writes acknowledged, {durable.Count} of them durable (FUA or synced), all read back intact");
        Assert.NotEmpty(durable);
    }

    private static async Task<(List<(uint Lba, byte[] Data)> Durable, int Acked)> WriteUntilKilledAsync(
        IscsiSession session, Mode mode, Func<uint> nextLba, int round, CancellationToken stop)
    {
        var durable = new List<(uint, byte[])>();
        var unsynced = new List<(uint, byte[])>();
        int acked = 0;
        byte[] cdb = new byte[BlockCdb.MaxLength];
        byte[] sync = new byte[10];
        sync[0] = ScsiOpcode.SynchronizeCache10;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                uint lba = nextLba();
                if (lba + BlocksPerWrite > LunBlocks)
                {
                    break;
                }
                var data = new byte[BlocksPerWrite * BlockSize];
                Random.Shared.NextBytes(data);
                BinaryPrimitives.WriteUInt32BigEndian(data, lba);
                BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), round);
                int length = BlockCdb.BuildWrite(cdb, lba, BlocksPerWrite, fua: mode == Mode.Fua);
                var result = await session.ExecuteAsync(0, cdb.AsMemory(0, length), Memory<byte>.Empty, data);
                if (!result.IsGood)
                {
                    break;
                }
                acked++;
                if (mode == Mode.Fua)
                {
                    durable.Add((lba, data));
                }
                else if (mode == Mode.ThenSynchronizeCache)
                {
                    unsynced.Add((lba, data));
                    if (unsynced.Count == 4)
                    {
                        // Everything acknowledged before a SYNCHRONIZE CACHE that completes is durable.
                        var synced = await session.ExecuteAsync(0, sync, Memory<byte>.Empty, ReadOnlyMemory<byte>.Empty);
                        if (!synced.IsGood)
                        {
                            break;
                        }
                        durable.AddRange(unsynced);
                        unsynced.Clear();
                    }
                }
            }
        }
        catch (Exception)
        {
            // The target died under us: whatever was not acknowledged promises nothing.
        }
        await session.DisposeAsync();
        return (durable, acked);
    }

    private static async Task<IscsiSession> ConnectAsync(int port, ulong isid, bool immediate)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var session = await IscsiSession.ConnectAsync(new IscsiSessionOptions
        {
            Portal = new TcpPortal("127.0.0.1", port),
            Connector = new TcpTransport(),
            TargetName = Iqn,
            InitiatorName = "iqn.2026-11.org.netscsi:kill-writer",
            Isid = 0x00023d000000UL | isid,
            ImmediateData = immediate,
            InitialR2T = !immediate,
            CommandTimeout = TimeSpan.FromSeconds(5),
            ReplacementTimeout = TimeSpan.FromSeconds(1),
        }, cts.Token);
        await session.TestUnitReadyAsync(0, cts.Token); // takes the power-on unit attention
        return session;
    }
}
