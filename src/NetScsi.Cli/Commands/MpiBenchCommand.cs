using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NetScsi.Cli.Parsing;
using NetScsi.Messaging;

namespace NetScsi.Cli.Commands;

/// <summary>
/// <c>netscsi mpi bench [latency|bw|both] [--min-size 8] [--max-size 1M] [--json]</c>: OSU-style point-to-point
/// figures between two ranks, the same measurement as bench/mpi's Open MPI ping-pong (one-way latency = half the
/// round trip of a blocking ping-pong; bandwidth = a window of 64 Isends, then a 4-byte acknowledgement). Run
/// outside a job it starts its own two ranks (<c>netscsi mpi run -n 2</c>) and prints rank 0's table.
/// </summary>
internal sealed class MpiBenchCommand
{
    private const int Window = 64;

    private readonly CliContext _context;

    private readonly Argument<string> _mode = new("mode")
    {
        Description = "latency, bw, both, or allreduce (MPI_Allreduce of doubles, sum, on --ranks ranks)",
        DefaultValueFactory = _ => "both",
    };

    private readonly Option<string> _minSize = new("--min-size") { Description = "Smallest message [default: 8]", HelpName = "BYTES" };
    private readonly Option<string> _maxSize = new("--max-size") { Description = "Largest message [default: 1M]", HelpName = "BYTES" };
    private readonly Option<double?> _scale = new("--iterations-scale") { Description = "Multiply the iteration counts [default: 1]", HelpName = "X" };
    private readonly Option<int?> _ranks = new("--ranks") { Description = "Ranks of the allreduce mode, 2..64 [default: 4]", HelpName = "N" };
    private readonly Option<bool> _json = new("--json") { Description = "Print {\"rows\": [{size, latency_us, mb_per_s}]} instead of the table" };

    public MpiBenchCommand(CliContext context)
    {
        _context = context;
        Command = new Command("bench", "Ping-pong latency and windowed bandwidth between two ranks over SCSI commands")
        {
            _mode, _minSize, _maxSize, _scale, _ranks, _json,
        };
        Command.SetAction(ExecuteAsync);
    }

    public Command Command { get; }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        string mode = parseResult.GetValue(_mode) ?? "both";
        if (mode is not ("latency" or "bw" or "both" or "allreduce"))
        {
            await _context.Error.WriteLineAsync($"netscsi: error: mode: expected latency, bw, both or allreduce, not '{mode}'").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        int ranks = mode == "allreduce" ? parseResult.GetValue(_ranks) ?? 4 : 2;
        if (ranks is < 2 or > 64)
        {
            await _context.Error.WriteLineAsync("netscsi: error: --ranks: expected 2..64").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        if (!TrySize(parseResult.GetValue(_minSize) ?? "8", "--min-size", out long min, out string? error)
            || !TrySize(parseResult.GetValue(_maxSize) ?? "1M", "--max-size", out long max, out error))
        {
            await _context.Error.WriteLineAsync("netscsi: error: " + error).ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        if (min > max)
        {
            await _context.Error.WriteLineAsync("netscsi: error: --min-size is larger than --max-size").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        double scale = parseResult.GetValue(_scale) ?? 1;
        bool json = parseResult.GetValue(_json);

        if (Environment.GetEnvironmentVariable(MessagingWorld.PeersVariable) is null)
        {
            // Not in a job: be one, with two ranks of this same command.
            (string program, List<string> arguments) = MpiLauncher.Self();
            arguments.AddRange(["mpi", "bench", mode, "--min-size", min.ToString(CultureInfo.InvariantCulture), "--max-size", max.ToString(CultureInfo.InvariantCulture),
                "--iterations-scale", scale.ToString(CultureInfo.InvariantCulture), "--ranks", ranks.ToString(CultureInfo.InvariantCulture)]);
            if (json)
            {
                arguments.Add("--json");
            }
            return await new MpiLauncher(_context) { Prefix = false }.RunAsync(ranks, program, arguments, cancellationToken).ConfigureAwait(false);
        }

        await using MessagingWorld world = await MessagingWorld.StartFromEnvironmentAsync(cancellationToken).ConfigureAwait(false);
        if (mode != "allreduce" && world.Size != 2)
        {
            await _context.Error.WriteLineAsync($"netscsi: error: mpi bench {mode} needs 2 ranks, the job has {world.Size}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        var rows = new List<(long Size, double LatencyUs, double MbPerS)>();
        await Task.Factory.StartNew(
            () =>
            {
                if (mode == "allreduce")
                {
                    MeasureAllreduce(world.World, (int)min, (int)max, scale, rows);
                }
                else
                {
                    Measure(world.World, mode, (int)min, (int)max, scale, rows);
                }
            },
            cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        if (world.Rank == 0)
        {
            await _context.Output.WriteAsync(json ? Json(mode, world.Size, rows) : Table(mode, world.Size, rows)).ConfigureAwait(false);
        }
        return ExitCodes.Success;
    }

    private static bool TrySize(string text, string flag, out long bytes, out string? error)
    {
        if (!ByteSizeParser.TryParse(text, out bytes, out error))
        {
            error = $"{flag}: {error}";
            return false;
        }
        if (bytes is < 1 or > 16 * 1024 * 1024)
        {
            error = $"{flag}: expected 1 byte to 16 MiB";
            return false;
        }
        return true;
    }

    private static void Measure(Communicator comm, string mode, int min, int max, double scale, List<(long, double, double)> rows)
    {
        byte[] send = new byte[max];
        Array.Fill(send, (byte)1);
        byte[] receive = new byte[max * (max <= 65536 ? Window : 1)];
        byte[] ack = new byte[4];
        var requests = new Request[Window];
        for (long size = min; size <= max; size *= 2)
        {
            int n = (int)size;
            double latency = double.NaN;
            double bandwidth = double.NaN;
            if (mode is "latency" or "both")
            {
                int iterations = Scaled(n <= 8192 ? 5000 : n <= 262144 ? 1000 : 100, scale);
                int warm = Math.Max(1, iterations / 10);
                comm.Barrier();
                long start = 0;
                for (int i = 0; i < iterations + warm; i++)
                {
                    if (i == warm)
                    {
                        start = Stopwatch.GetTimestamp();
                    }
                    if (comm.Rank == 0)
                    {
                        comm.Send<byte>(send.AsSpan(0, n), 1, 1);
                        comm.Recv<byte>(receive.AsSpan(0, n), 1, 1);
                    }
                    else
                    {
                        comm.Recv<byte>(receive.AsSpan(0, n), 0, 1);
                        comm.Send<byte>(send.AsSpan(0, n), 0, 1);
                    }
                }
                double rtt = Stopwatch.GetElapsedTime(start).TotalMicroseconds / iterations;
                latency = rtt / 2;
            }
            if (mode is "bw" or "both")
            {
                int iterations = Scaled(n <= 8192 ? 200 : n <= 262144 ? 50 : 10, scale);
                const int warm = 2;
                comm.Barrier();
                long start = 0;
                for (int i = 0; i < iterations + warm; i++)
                {
                    if (i == warm)
                    {
                        start = Stopwatch.GetTimestamp();
                    }
                    if (comm.Rank == 0)
                    {
                        for (int w = 0; w < Window; w++)
                        {
                            requests[w] = comm.Isend<byte>(send.AsMemory(0, n), 1, 2);
                        }
                        Request.WaitAll(requests);
                        comm.Recv<byte>(ack, 1, 3);
                    }
                    else
                    {
                        for (int w = 0; w < Window; w++)
                        {
                            requests[w] = comm.Irecv<byte>(receive.AsMemory(n <= 65536 ? w * n : 0, n), 0, 2);
                        }
                        Request.WaitAll(requests);
                        comm.Send<byte>(ack, 0, 3);
                    }
                }
                bandwidth = (double)n * Window * iterations / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e6;
            }
            rows.Add((size, latency, bandwidth));
        }
    }

    /// <summary>Average time of an Allreduce (sum of doubles) of each size, as osu_allreduce; the latency column.</summary>
    private static void MeasureAllreduce(Communicator comm, int min, int max, double scale, List<(long, double, double)> rows)
    {
        double[] send = new double[Math.Max(1, max / sizeof(double))];
        double[] result = new double[send.Length];
        Array.Fill(send, comm.Rank + 1.0);
        for (long size = Math.Max(min, sizeof(double)); size <= max; size *= 2)
        {
            int count = (int)(size / sizeof(double));
            int iterations = Scaled(size <= 8192 ? 2000 : size <= 262144 ? 200 : 20, scale);
            int warm = Math.Max(1, iterations / 10);
            comm.Barrier();
            long start = 0;
            for (int i = 0; i < iterations + warm; i++)
            {
                if (i == warm)
                {
                    start = Stopwatch.GetTimestamp();
                }
                comm.Allreduce<double>(send.AsSpan(0, count), result.AsSpan(0, count), ReduceOp.Sum);
            }
            double local = Stopwatch.GetElapsedTime(start).TotalMicroseconds / iterations;
            double[] average = new double[1];
            comm.Allreduce<double>([local], average, ReduceOp.Sum);
            rows.Add((size, average[0] / comm.Size, double.NaN));
        }
    }

    private static int Scaled(int iterations, double scale) => Math.Max(2, (int)(iterations * scale));

    private static string Table(string mode, int ranks, List<(long Size, double LatencyUs, double MbPerS)> rows)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# NetScsi message passing over SCSI commands, {ranks} ranks, TCP loopback");
        text.AppendLine(mode switch
        {
            "latency" => "# Size          Latency (us)",
            "allreduce" => "# Size      Avg Latency (us)",
            "bw" => "# Size        Bandwidth (MB/s)",
            _ => "# Size          Latency (us)    Bandwidth (MB/s)",
        });
        foreach ((long size, double latency, double bandwidth) in rows)
        {
            text.Append(CultureInfo.InvariantCulture, $"{size,-14}");
            if (!double.IsNaN(latency))
            {
                text.Append(CultureInfo.InvariantCulture, $"{latency,12:F2}    ");
            }
            if (!double.IsNaN(bandwidth))
            {
                text.Append(CultureInfo.InvariantCulture, $"{bandwidth,16:F2}");
            }
            text.AppendLine();
        }
        return text.ToString();
    }

    private static string Json(string mode, int ranks, List<(long Size, double LatencyUs, double MbPerS)> rows)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("benchmark", "mpi " + mode);
            writer.WriteString("transport", "tcp");
            writer.WriteNumber("ranks", ranks);
            writer.WriteStartArray("rows");
            foreach ((long size, double latency, double bandwidth) in rows)
            {
                writer.WriteStartObject();
                writer.WriteNumber("size", size);
                if (!double.IsNaN(latency))
                {
                    writer.WriteNumber("latency_us", Math.Round(latency, 3));
                }
                if (!double.IsNaN(bandwidth))
                {
                    writer.WriteNumber("mb_per_s", Math.Round(bandwidth, 2));
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + Environment.NewLine;
    }
}
