using System.Buffers.Binary;
using NetScsi.Iscsi.Initiator;
using NetScsi.Transport.Tcp;
using Xunit.Abstractions;

namespace NetScsi.Interop.Tests;

/// <summary>
/// Session recovery of the initiator library against the real <c>netscsi target serve</c> process (file
/// LUN) while a verified read/write workload runs: (a) the connection is dropped under the session
/// (a loopback forwarder resets every connection), (b) the target process is SIGKILLed and restarted on
/// the same port and file. Every command must complete exactly once and successfully, every write's
/// pattern must read back, and at the end every region must hold its last generation (read through the
/// session and straight from the backing file).
/// </summary>
public sealed class InitiatorRecoveryTests(ITestOutputHelper output) : IDisposable
{
    private const string Iqn = "iqn.2026-11.org.netscsi:recovery";
    private static readonly TimeSpan ProgressTimeout = TimeSpan.FromSeconds(90);

    private readonly string _work = Directory.CreateTempSubdirectory("netscsi-interop-recovery-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private string File0 => Path.Combine(_work, "lun0.img");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ConnectionDroppedRepeatedly_WorkloadCompletesVerified(bool inlineCompletions)
    {
        await using var target = await NetScsiTargetProcess.StartAsync(_work,
            "--listen", "127.0.0.1:0", "--iqn", Iqn, "--lun", $"file:{File0},size=64M", "--log-level", "warning");
        await using var proxy = new CuttableTcpProxy(target.Port);
        await using var session = await ConnectAsync(proxy.Port, inlineCompletions);
        var workload = await VerifiedWorkload.StartAsync(session);

        const int Cuts = 4;
        int inFlight = 0;
        for (int cut = 1; cut <= Cuts; cut++)
        {
            await workload.WaitForProgressAsync(300, target.Describe);
            inFlight += session.OutstandingCommands;
            int cutNow = proxy.CutAll();
            Assert.True(cutNow >= 1, "the proxy carried no connection to cut");
            await WaitForRecoveryAsync(session, cut, workload, target);
        }

        await workload.WaitForProgressAsync(150, target.Describe);
        await workload.FinishAsync(target.Describe);
        output.WriteLine($"{workload.Completed} commands verified across {session.RecoveryCount} connection drops ({proxy.Accepted} connections, {inFlight} commands outstanding at the cuts)");
        Assert.True(inFlight > 0, "no command was outstanding at any cut: the drops tested nothing");
        Assert.Equal(Cuts, session.RecoveryCount);
        Assert.True(proxy.Accepted >= Cuts + 1, $"expected a new connection per cut; the proxy accepted {proxy.Accepted}");
        await workload.VerifyAllAsync(session, File0);
        await session.LogoutAsync();
        await target.StopGracefullyAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TargetKilledAndRestarted_WorkloadCompletesVerified(bool inlineCompletions)
    {
        var target = await NetScsiTargetProcess.StartAsync(_work,
            "--listen", "127.0.0.1:0", "--iqn", Iqn, "--lun", $"file:{File0},size=64M", "--log-level", "warning");
        int port = target.Port;
        try
        {
            await using var session = await ConnectAsync(port, inlineCompletions);
            var workload = await VerifiedWorkload.StartAsync(session);

            const int Kills = 2;
            int inFlight = 0;
            for (int kill = 1; kill <= Kills; kill++)
            {
                await workload.WaitForProgressAsync(300, target.Describe);
                inFlight += session.OutstandingCommands;
                await target.KillAsync(); // SIGKILL: a crash, not a stop
                await target.DisposeAsync();
                // Let the initiator run into refused connects (and back off) before the target returns.
                await Task.Delay(TimeSpan.FromMilliseconds(700));
                target = await NetScsiTargetProcess.StartAsync(_work,
                    "--listen", $"127.0.0.1:{port}", "--iqn", Iqn, "--lun", $"file:{File0}", "--log-level", "warning");
                Assert.Equal(port, target.Port);
                await WaitForRecoveryAsync(session, kill, workload, target);
            }

            await workload.WaitForProgressAsync(150, target.Describe);
            await workload.FinishAsync(target.Describe);
            output.WriteLine($"{workload.Completed} commands verified across {session.RecoveryCount} target kills ({inFlight} commands outstanding at the kills)");
            Assert.True(inFlight > 0, "no command was outstanding at any kill: the kills tested nothing");
            Assert.Equal(Kills, session.RecoveryCount);
            await workload.VerifyAllAsync(session, File0);
            await session.LogoutAsync();
            await target.StopGracefullyAsync();
        }
        finally
        {
            await target.DisposeAsync();
        }
    }

    private static async Task<IscsiSession> ConnectAsync(int port, bool inlineCompletions)
    {
        var options = new IscsiSessionOptions
        {
            Portal = new TcpPortal("127.0.0.1", port),
            Connector = new TcpTransport(),
            TargetName = Iqn,
            InitiatorName = "iqn.2026-11.org.netscsi:recovery-initiator",
            ReplacementTimeout = TimeSpan.FromSeconds(60),
            CommandTimeout = TimeSpan.FromSeconds(30),
            InlineCompletions = inlineCompletions,
        };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var session = await IscsiSession.ConnectAsync(options, cts.Token);
        await session.TestUnitReadyAsync(0); // the new nexus's UNIT ATTENTION
        return session;
    }

    private static async Task WaitForRecoveryAsync(IscsiSession session, int recoveries, VerifiedWorkload workload, NetScsiTargetProcess target)
    {
        var deadline = DateTime.UtcNow + ProgressTimeout;
        while (session.RecoveryCount < recoveries || session.State != IscsiSessionState.Running)
        {
            workload.ThrowIfFailed();
            Assert.True(DateTime.UtcNow < deadline,
                $"the session did not recover (recoveries {session.RecoveryCount}, expected {recoveries}; state {session.State}; outstanding {session.OutstandingCommands})\n{target.Describe()}");
            Assert.NotEqual(IscsiSessionState.Failed, session.State);
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// Workers, each owning its regions (no two commands ever touch the same block at once): write a
    /// region with a pattern unique to (region, generation), read it back and compare. Every command
    /// gets a sequence number and its completion is counted, so a lost (never completing) or doubly
    /// completed command shows.
    /// </summary>
    private sealed class VerifiedWorkload
    {
        private const uint Magic = 0x5245_4356; // "RECV"
        private const int RegionsPerWorker = 6;
        private const int MaxCommands = 1 << 20;

        // Sizes exercise immediate data only (4K, 32K), unsolicited Data-Out (256K) and R2T (1M).
        private static readonly int[] s_workerBytes = [4096, 32768, 262144, 1 << 20, 4096, 32768, 262144, 4096];

        private readonly IscsiSession _session;
        private readonly int _blockSize;
        private readonly List<Region> _regions = new();
        private readonly int[] _completions = new int[MaxCommands];
        private readonly List<string> _errors = new();
        private readonly CancellationTokenSource _stop = new();
        private Task _workers = Task.CompletedTask;
        private long _issued;
        private long _completed;

        private VerifiedWorkload(IscsiSession session, int blockSize)
        {
            _session = session;
            _blockSize = blockSize;
        }

        private sealed class Region(int index, ulong lba, int bytes)
        {
            public int Index { get; } = index;
            public ulong Lba { get; } = lba;
            public int Bytes { get; } = bytes;
            public int Generation;
        }

        public static async Task<VerifiedWorkload> StartAsync(IscsiSession session)
        {
            var capacity = await session.ReadCapacityAsync(0);
            var workload = new VerifiedWorkload(session, capacity.BlockSize);
            ulong lba = 0;
            var owned = new List<Region>[s_workerBytes.Length];
            for (int w = 0; w < s_workerBytes.Length; w++)
            {
                owned[w] = new List<Region>();
                for (int r = 0; r < RegionsPerWorker; r++)
                {
                    var region = new Region(workload._regions.Count, lba, s_workerBytes[w]);
                    workload._regions.Add(region);
                    owned[w].Add(region);
                    lba += (ulong)(s_workerBytes[w] / capacity.BlockSize);
                }
            }

            Assert.True(lba * (ulong)capacity.BlockSize <= capacity.BlockCount * (ulong)capacity.BlockSize);
            workload._workers = Task.WhenAll(owned.Select(regions => Task.Run(() => workload.WorkerAsync(regions))));
            return workload;
        }

        public long Completed => Interlocked.Read(ref _completed);

        public void ThrowIfFailed()
        {
            lock (_errors)
            {
                Assert.True(_errors.Count == 0, "workload failed:\n" + string.Join('\n', _errors.Take(10)));
            }
        }

        public async Task WaitForProgressAsync(int commands, Func<string> describe)
        {
            long goal = Completed + commands;
            var deadline = DateTime.UtcNow + ProgressTimeout;
            while (Completed < goal)
            {
                ThrowIfFailed();
                Assert.True(!_workers.IsCompleted, "the workers stopped early");
                Assert.True(DateTime.UtcNow < deadline,
                    $"no progress: {Completed}/{goal} commands (issued {Interlocked.Read(ref _issued)}, session {_session.State}, outstanding {_session.OutstandingCommands})\n{describe()}");
                await Task.Delay(10);
            }
        }

        /// <summary>Stops the workers after their current round and checks every command completed exactly once.</summary>
        public async Task FinishAsync(Func<string> describe)
        {
            await _stop.CancelAsync();
            Task done = await Task.WhenAny(_workers, Task.Delay(ProgressTimeout));
            Assert.True(done == _workers, $"the workers did not finish (issued {Interlocked.Read(ref _issued)}, completed {Completed}, outstanding {_session.OutstandingCommands})\n{describe()}");
            await _workers;
            ThrowIfFailed();
            long issued = Interlocked.Read(ref _issued);
            Assert.Equal(issued, Completed);
            for (long id = 0; id < issued; id++)
            {
                Assert.True(_completions[id] == 1, $"command #{id} completed {_completions[id]} times");
            }

            Assert.Equal(0, _session.OutstandingCommands);
        }

        /// <summary>Every region holds its last generation: through the session, and in the backing file.</summary>
        public async Task VerifyAllAsync(IscsiSession session, string file)
        {
            foreach (Region region in _regions)
            {
                Assert.True(region.Generation > 0, $"region {region.Index} was never written");
                byte[] buffer = new byte[region.Bytes];
                await session.ReadAsync(0, region.Lba, (uint)(region.Bytes / _blockSize), buffer);
                Assert.True(Check(buffer, region, region.Generation) is null, $"session read: {Check(buffer, region, region.Generation)}");
                Array.Clear(buffer);
                Assert.Equal(region.Bytes, LibC.ReadAt(file, buffer, (long)region.Lba * _blockSize));
                Assert.True(Check(buffer, region, region.Generation) is null, $"backing file: {Check(buffer, region, region.Generation)}");
            }
        }

        private async Task WorkerAsync(List<Region> regions)
        {
            byte[] write = new byte[regions[0].Bytes];
            byte[] read = new byte[regions[0].Bytes];
            try
            {
                for (int round = 0; !_stop.IsCancellationRequested; round++)
                {
                    Region region = regions[round % regions.Count];
                    int generation = region.Generation + 1;
                    Fill(write, region, generation);
                    await TrackAsync(_session.WriteAsync(0, region.Lba, write));
                    region.Generation = generation;
                    Array.Clear(read);
                    await TrackAsync(_session.ReadAsync(0, region.Lba, (uint)(region.Bytes / _blockSize), read));
                    if (Check(read, region, generation) is { } mismatch)
                    {
                        Fail($"read-back after write: {mismatch}");
                        return;
                    }
                }
            }
            catch (Exception e)
            {
                Fail($"command failed: {e}");
            }
        }

        private async Task TrackAsync(ValueTask command)
        {
            long id = Interlocked.Increment(ref _issued) - 1;
            Assert.True(id < MaxCommands);
            await command;
            if (Interlocked.Increment(ref _completions[id]) != 1)
            {
                Fail($"command #{id} completed twice");
            }

            Interlocked.Increment(ref _completed);
        }

        private void Fail(string message)
        {
            lock (_errors)
            {
                _errors.Add(message);
            }
        }

        private void Fill(Span<byte> buffer, Region region, int generation)
        {
            for (int block = 0; block * _blockSize < buffer.Length; block++)
            {
                Span<byte> b = buffer.Slice(block * _blockSize, _blockSize);
                BinaryPrimitives.WriteUInt32BigEndian(b, Magic);
                BinaryPrimitives.WriteInt32BigEndian(b[4..], region.Index);
                BinaryPrimitives.WriteInt32BigEndian(b[8..], generation);
                BinaryPrimitives.WriteInt32BigEndian(b[12..], block);
                byte seed = (byte)((region.Index * 131) + (generation * 17) + (block * 7));
                for (int i = 16; i < b.Length; i++)
                {
                    b[i] = (byte)(seed + i);
                }
            }
        }

        /// <summary>Null when <paramref name="buffer"/> holds exactly the (region, generation) pattern.</summary>
        private string? Check(ReadOnlySpan<byte> buffer, Region region, int generation)
        {
            byte[] expected = new byte[buffer.Length];
            Fill(expected, region, generation);
            int at = FirstDifference(buffer, expected);
            if (at < 0)
            {
                return null;
            }

            ReadOnlySpan<byte> block = buffer.Slice(at / _blockSize * _blockSize, _blockSize);
            return $"region {region.Index} (LBA {region.Lba}, {region.Bytes} bytes) generation {generation}: first difference at byte {at}; " +
                $"that block says magic {BinaryPrimitives.ReadUInt32BigEndian(block):x8} region {BinaryPrimitives.ReadInt32BigEndian(block[4..])} " +
                $"generation {BinaryPrimitives.ReadInt32BigEndian(block[8..])} block {BinaryPrimitives.ReadInt32BigEndian(block[12..])}";
        }

        private static int FirstDifference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
        {
            int common = a.CommonPrefixLength(b);
            return common == a.Length ? -1 : common;
        }
    }
}
