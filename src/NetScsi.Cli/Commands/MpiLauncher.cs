using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using NetScsi.Messaging;

namespace NetScsi.Cli.Commands;

/// <summary>
/// Starts N ranks of a program on this host: picks a free loopback port per rank, gives each rank its rank, the
/// size and every rank's portal in the environment (<see cref="MessagingWorld.RankVariable"/> and friends), forwards
/// their output line by line, and ends the job when one rank fails: the others are killed and the job's exit code
/// is the failed rank's.
/// </summary>
internal sealed class MpiLauncher
{
    private readonly CliContext _context;
    private readonly object _outputLock = new();

    public MpiLauncher(CliContext context) => _context = context;

    /// <summary>Prefix each line with "[RANK] " (run) or forward only rank 0's standard output as is (bench).</summary>
    public bool Prefix { get; init; } = true;

    public async Task<int> RunAsync(int ranks, string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        string peers = string.Join(',', FreePorts(ranks).Select(p => "127.0.0.1:" + p.ToString(CultureInfo.InvariantCulture)));
        var processes = new Process[ranks];
        try
        {
            for (int rank = 0; rank < ranks; rank++)
            {
                var start = new ProcessStartInfo(program)
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                };
                foreach (string argument in arguments)
                {
                    start.ArgumentList.Add(argument);
                }
                start.Environment[MessagingWorld.RankVariable] = rank.ToString(CultureInfo.InvariantCulture);
                start.Environment[MessagingWorld.SizeVariable] = ranks.ToString(CultureInfo.InvariantCulture);
                start.Environment[MessagingWorld.PeersVariable] = peers;
                var process = new Process { StartInfo = start, EnableRaisingEvents = true };
                int r = rank;
                process.OutputDataReceived += (_, e) => Forward(r, e.Data, error: false);
                process.ErrorDataReceived += (_, e) => Forward(r, e.Data, error: true);
                try
                {
                    process.Start();
                }
                catch (System.ComponentModel.Win32Exception e)
                {
                    process.Dispose();
                    throw new Configuration.CliException(ExitCodes.RuntimeFailure, $"cannot start '{program}': {e.Message}");
                }
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                processes[rank] = process;
            }

            var waits = processes.Select(p => p.WaitForExitAsync(CancellationToken.None)).ToList();
            int exitCode = 0;
            using CancellationTokenRegistration stop = cancellationToken.Register(() => KillAll(processes));
            while (waits.Count > 0)
            {
                Task done = await Task.WhenAny(waits).ConfigureAwait(false);
                waits.Remove(done);
                foreach (Process process in processes)
                {
                    if (process.HasExited && process.ExitCode != 0 && exitCode == 0)
                    {
                        exitCode = process.ExitCode;
                        int failed = Array.IndexOf(processes, process);
                        lock (_outputLock)
                        {
                            _context.Error.WriteLine($"netscsi: mpi: rank {failed} exited with code {exitCode}; stopping the job");
                        }
                        KillAll(processes);
                    }
                }
            }
            foreach (Process process in processes)
            {
                // The asynchronous readers may still hold the last lines.
                process.WaitForExit();
            }
            return cancellationToken.IsCancellationRequested ? ExitCodes.Interrupted : exitCode;
        }
        finally
        {
            foreach (Process? process in processes)
            {
                process?.Dispose();
            }
        }
    }

    private void Forward(int rank, string? line, bool error)
    {
        if (line is null)
        {
            return;
        }
        lock (_outputLock)
        {
            if (Prefix)
            {
                (error ? _context.Error : _context.Output).WriteLine($"[{rank}] {line}");
            }
            else if (error)
            {
                _context.Error.WriteLine($"[{rank}] {line}");
            }
            else if (rank == 0)
            {
                _context.Output.WriteLine(line);
            }
        }
    }

    private static void KillAll(Process[] processes)
    {
        foreach (Process? process in processes)
        {
            try
            {
                if (process is not null && !process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    /// <summary>Ports the system has free now, one per rank (all bound at once so none repeats).</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = new TcpListener[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                listeners[i] = new TcpListener(IPAddress.Loopback, 0);
                listeners[i].Start();
            }
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (TcpListener? listener in listeners)
            {
                listener?.Stop();
            }
        }
    }

    /// <summary>This program and the arguments that start it again (the apphost, or dotnet with the assembly).</summary>
    public static (string Program, List<string> Arguments) Self()
    {
        string process = Environment.ProcessPath ?? "netscsi";
        var arguments = new List<string>();
        if (Path.GetFileNameWithoutExtension(process) == "dotnet")
        {
            // Run as `dotnet netscsi.dll`: never a single-file app, so the assembly sits in the app directory.
            arguments.Add(Path.Combine(AppContext.BaseDirectory, typeof(MpiLauncher).Assembly.GetName().Name + ".dll"));
        }
        return (process, arguments);
    }
}
