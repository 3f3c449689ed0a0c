using System.Diagnostics.Tracing;
using System.Runtime.CompilerServices;
using NetScsi.Iscsi.Initiator;
using NetScsi.Transport.Tcp;

namespace NetScsi.Benchmarks;

/// <summary>
/// <c>--alloc-probe [commands] [--types] [--tcp|--eth] [--initiator]</c>: runs the end-to-end commands (<c>--tcp</c>: over loopback TCP,
/// <c>--eth</c>: over the raw-Ethernet mover on a veth pair,
/// the sendfile path; <c>--initiator</c>: the initiator library's) outside BenchmarkDotNet and
/// prints bytes allocated per command (all threads, <see cref="GC.GetTotalAllocatedBytes(bool)"/>).
/// With <c>--types</c> it also lists the types the runtime's allocation-tick events name (one event per
/// ~100 KB allocated), which points at the source without a profiler.
/// </summary>
internal static class AllocationProbe
{
    public static int Run(string[] args)
    {
        int commands = 100_000;
        bool types = false;
        string? previous = null;
        foreach (var arg in args)
        {
            bool isMtu = previous == "--mtu";
            previous = arg;
            if (isMtu)
            {
                continue;
            }

            if (arg == "--types")
            {
                types = true;
            }
            else if (int.TryParse(arg, out int n))
            {
                commands = n;
            }
        }

        if (args.Contains("--initiator"))
        {
            return args.Contains("--tcp") ? RunInitiatorOverTcp(commands, types) : RunInitiator(commands, types);
        }

        if (args.Contains("--eth"))
        {
            int mtu = args.SkipWhile(a => a != "--mtu").Skip(1).Select(int.Parse).FirstOrDefault(9000);
            return EthernetAllocationProbe.Run(commands, mtu, (run, cases) => Probe(run, cases, commands, types));
        }

        if (args.Contains("--tcp"))
        {
            var tcp = new TargetTcpFileBenchmarks();
            tcp.Setup();
            try
            {
                Probe(tcp.Run, [("Read64K", BenchInitiator.Operation.Read, 1), ("Read64KQD8", BenchInitiator.Operation.Read, 8)], commands, types);
            }
            finally
            {
                tcp.Cleanup();
            }
            return 0;
        }

        var bench = new TargetEndToEndBenchmarks();
        bench.Setup();
        try
        {
            Probe(bench.Run,
            [
                ("Read4K", BenchInitiator.Operation.Read, 1),
                ("Write4K", BenchInitiator.Operation.Write, 1),
                ("Read4KQD8", BenchInitiator.Operation.Read, 8),
                ("Write4KQD8", BenchInitiator.Operation.Write, 8),
            ], commands, types);
        }
        finally
        {
            bench.Cleanup();
        }
        return 0;
    }

    private static void Probe(Action<BenchInitiator.Operation, int, int> run, (string Name, BenchInitiator.Operation Operation, int Depth)[] cases, int commands, bool types)
    {
        foreach (var (name, operation, depth) in cases)
        {
            // Warm up: grows the command pool, tiers up the JIT, fills the pooled-builder caches.
            run(operation, 20_000, depth);
            using var listener = types ? new AllocationTickListener() : null;
            long before = GC.GetTotalAllocatedBytes(precise: true);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            run(operation, commands, depth);
            watch.Stop();
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            Console.WriteLine($"{name,-12} {commands} commands  {(double)allocated / commands,10:F2} B/command  {watch.Elapsed.TotalMicroseconds / commands,8:F2} us/command");
            listener?.Print();
        }
    }

    /// <summary><c>--alloc-probe [n] --initiator</c>: the same for <see cref="InitiatorEndToEndBenchmarks"/>.</summary>
    private static int RunInitiator(int commands, bool types)
    {
        var bench = new InitiatorEndToEndBenchmarks();
        bench.Setup();
        try
        {
            (string Name, InitiatorEndToEndBenchmarks.Operation Operation, int Depth)[] cases =
            [
                ("Read4K", InitiatorEndToEndBenchmarks.Operation.Read, 1),
                ("Write4K", InitiatorEndToEndBenchmarks.Operation.Write, 1),
                ("Read4KQD8", InitiatorEndToEndBenchmarks.Operation.Read, 8),
                ("ReadPooled4KQD8", InitiatorEndToEndBenchmarks.Operation.ReadPooled, 8),
                ("Write4KQD8", InitiatorEndToEndBenchmarks.Operation.Write, 8),
            ];
            foreach (var (name, operation, depth) in cases)
            {
                bench.Run(operation, 20_000, depth);
                using var listener = types ? new AllocationTickListener() : null;
                long before = GC.GetTotalAllocatedBytes(precise: true);
                TimeSpan cpuBefore = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
                var watch = System.Diagnostics.Stopwatch.StartNew();
                bench.Run(operation, commands, depth);
                watch.Stop();
                TimeSpan cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
                long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                // CPU time (all threads, fake target included) is steadier than wall time on a busy machine.
                Console.WriteLine($"{name,-16} {commands} commands  {(double)allocated / commands,10:F2} B/command  {watch.Elapsed.TotalMicroseconds / commands,8:F2} us/command  {cpu.TotalMicroseconds / commands,8:F2} CPU us/command");
                listener?.Print();
            }
        }
        finally
        {
            bench.Cleanup();
        }

        return 0;
    }

    /// <summary>
    /// <c>--alloc-probe [n] --initiator --tcp</c>: the initiator library's 64 KiB reads (direct placement of Data-In)
    /// against NetScsi's target (sendfile from a tmpfs file LUN) over loopback TCP; bytes are both sides'.
    /// </summary>
    private static int RunInitiatorOverTcp(int commands, bool types)
    {
        var target = new TargetTcpFileBenchmarks();
        target.Setup();
        try
        {
            var options = new IscsiSessionOptions
            {
                Connector = new TcpTransport(),
                Portal = target.Portal,
                TargetName = TargetTcpFileBenchmarks.TargetName,
                InitiatorName = "iqn.2026-11.org.netscsi:probe-initiator",
                InlineCompletions = true,
            };
            IscsiSession session = IscsiSession.ConnectAsync(options).GetAwaiter().GetResult();
            var buffers = Enumerable.Range(0, 8).Select(_ => new byte[TargetTcpFileBenchmarks.ReadBytes]).ToArray();
            var slots = new ValueTask[8];
            using var done = new ManualResetEventSlim(false);
            Action signal = done.Set;
            _ = session.TestUnitReadyAsync(0).AsTask().GetAwaiter().GetResult(); // the power-on unit attention
            void Run(int count, int depth)
            {
                ValueTask pending = ReadManyAsync(session, slots, buffers, count, depth);
                if (!pending.IsCompleted)
                {
                    // Block without allocating: a cached callback sets a reusable event.
                    done.Reset();
                    pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(signal);
                    done.Wait();
                }
                pending.GetAwaiter().GetResult();
            }

            foreach (var (name, depth) in new[] { ("Read64K", 1), ("Read64KQD8", 8) })
            {
                Run(20_000, depth);
                using var listener = types ? new AllocationTickListener() : null;
                long before = GC.GetTotalAllocatedBytes(precise: true);
                var watch = System.Diagnostics.Stopwatch.StartNew();
                Run(commands, depth);
                watch.Stop();
                long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                Console.WriteLine($"{name,-12} {commands} commands  {(double)allocated / commands,10:F2} B/command  {watch.Elapsed.TotalMicroseconds / commands,8:F2} us/command");
                listener?.Print();
            }

            session.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        finally
        {
            target.Cleanup();
        }

        return 0;
    }

    /// <summary>64 KiB reads, <paramref name="depth"/> outstanding, each slot at its own LBA.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask ReadManyAsync(IscsiSession session, ValueTask[] slots, byte[][] buffers, int count, int depth)
    {
        const uint blocks = TargetTcpFileBenchmarks.ReadBytes / BenchInitiator.BlockSize;
        int issued = 0;
        for (; issued < depth && issued < count; issued++)
        {
            slots[issued] = session.ReadAsync(0, 2048 + (ulong)(issued * blocks), blocks, buffers[issued]);
        }

        for (int completed = 0; completed < count; completed++)
        {
            int slot = completed % depth;
            await slots[slot].ConfigureAwait(false);
            if (issued < count)
            {
                slots[slot] = session.ReadAsync(0, 2048 + (ulong)(slot * blocks), blocks, buffers[slot]);
                issued++;
            }
        }
    }

    /// <summary>Counts GCAllocationTick events by type name.</summary>
    private sealed class AllocationTickListener : EventListener
    {
        private readonly Dictionary<string, int> _ticks = new();
        private bool _enabled;

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                // Keyword 0x1: GC; AllocationTick is at Verbose.
                EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1);
                _enabled = true;
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (!_enabled || eventData.EventName is null || !eventData.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.Payload is null)
            {
                return;
            }
            int index = eventData.PayloadNames?.IndexOf("TypeName") ?? -1;
            string type = index >= 0 ? eventData.Payload[index]?.ToString() ?? "?" : "?";
            lock (_ticks)
            {
                _ticks[type] = _ticks.GetValueOrDefault(type) + 1;
            }
        }

        public void Print()
        {
            lock (_ticks)
            {
                foreach (var (type, count) in _ticks.OrderByDescending(p => p.Value))
                {
                    Console.WriteLine($"    ~{count * 100} KB  {type}");
                }
            }
        }
    }
}
