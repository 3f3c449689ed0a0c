using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace NetScsi.Interop.Tests;

/// <summary>
/// The real <c>netscsi target serve</c> program, started as a child process from this test
/// assembly's output directory (the project reference to NetScsi.Cli puts netscsi.dll there).
/// </summary>
internal sealed class NetScsiTargetProcess : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;

    private NetScsiTargetProcess(Process process, string commandLine)
    {
        _process = process;
        CommandLine = commandLine;
        _stdoutPump = PumpAsync(process.StandardOutput, _stdout, OnStdoutLine);
        _stderrPump = PumpAsync(process.StandardError, _stderr, null);
    }

    public string CommandLine { get; }

    public int Port { get; private set; }

    public bool HasExited => _process.HasExited;

    public string Stdout
    {
        get { lock (_stdout) { return _stdout.ToString(); } }
    }

    public string Stderr
    {
        get { lock (_stderr) { return _stderr.ToString(); } }
    }

    /// <summary>Starts <c>netscsi target serve</c> with the given arguments (after <c>target serve</c>),
    /// waits for the <c>portal 127.0.0.1:N</c> banner line, then until the port accepts TCP.</summary>
    public static Task<NetScsiTargetProcess> StartAsync(string workingDirectory, params string[] serveArguments) =>
        StartAsync(workingDirectory, null, serveArguments);

    /// <summary>As <see cref="StartAsync(string, string[])"/>, with extra environment variables for the process.</summary>
    public static async Task<NetScsiTargetProcess> StartAsync(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] serveArguments)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "netscsi.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: the test project must reference src/NetScsi.Cli");
        // `dotnet test` sets DOTNET_HOST_PATH to the muxer running it; use the same one.
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

        var startInfo = new ProcessStartInfo(dotnet)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }
        string[] arguments = ["exec", dll, "target", "serve", .. serveArguments];
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        string commandLine = "dotnet " + string.Join(' ', arguments);
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"could not start `{commandLine}`");
        var target = new NetScsiTargetProcess(process, commandLine);
        try
        {
            await target.WaitUntilServingAsync();
            return target;
        }
        catch
        {
            await target.KillAsync();
            throw;
        }
    }

    /// <summary>Sends SIGTERM and waits (at most <see cref="StopTimeout"/>) for the process to exit.
    /// Returns its exit code; fails the test if it is still running by then (it is then killed).</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited && LibC.Kill(_process.Id, LibC.SigTerm) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (!_process.HasExited)
            {
                Assert.Fail($"kill({_process.Id}, SIGTERM) failed with errno {errno}");
            }
        }

        using var cts = new CancellationTokenSource(StopTimeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
            Assert.Fail($"the target did not exit within {StopTimeout.TotalSeconds:0} s of SIGTERM; killed it.\n{Describe()}");
        }

        await Task.WhenAll(_stdoutPump, _stderrPump);
        return _process.ExitCode;
    }

    /// <summary>Stops the target with SIGTERM and asserts a graceful stop: exit code 0 in time.</summary>
    public async Task StopGracefullyAsync()
    {
        int exitCode = await StopAsync();
        Assert.True(exitCode == 0, $"the target exited {exitCode} after SIGTERM (expected 0: graceful stop)\n{Describe()}");
    }

    /// <summary>Waits (at most 10 s) until stdout contains <paramref name="text"/>: the banner's lines after the
    /// first `portal` line may still be on their way when the port already accepts.</summary>
    public async Task AssertStdoutContainsAsync(string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!Stdout.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline || _process.HasExited)
            {
                Assert.Fail($"the target did not print `{text}`\n{Describe()}");
            }
            await Task.Delay(20);
        }
    }

    public string Describe() => $"`{CommandLine}`\n--- target stdout ---\n{Stdout}\n--- target stderr ---\n{Stderr}";

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private async Task WaitUntilServingAsync()
    {
        using var cts = new CancellationTokenSource(StartTimeout);
        Task exited = _process.WaitForExitAsync(cts.Token);
        Task first = await Task.WhenAny(_port.Task, exited, Task.Delay(Timeout.Infinite, cts.Token));
        if (first != _port.Task)
        {
            string why = _process.HasExited ? $"exited {_process.ExitCode} before printing its portal" : $"printed no `portal` line within {StartTimeout.TotalSeconds:0} s";
            Assert.Fail($"the target {why}\n{Describe()}");
        }

        Port = await _port.Task;
        while (true)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync("127.0.0.1", Port, cts.Token);
                return;
            }
            catch (SocketException) when (!cts.IsCancellationRequested && !_process.HasExited)
            {
                await Task.Delay(50, cts.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                Assert.Fail($"the target's portal 127.0.0.1:{Port} does not accept TCP: {e.Message}\n{Describe()}");
            }
        }
    }

    private void OnStdoutLine(string line)
    {
        // Banner (docs/config.md): one `portal ADDR:PORT` line per bound portal.
        const string prefix = "portal 127.0.0.1:";
        if (line.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(line.AsSpan(prefix.Length), out int port))
        {
            _port.TrySetResult(port);
        }
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder sink, Action<string>? onLine)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (sink)
            {
                sink.AppendLine(line);
            }
            onLine?.Invoke(line);
        }
    }

    /// <summary>SIGKILL, as a crash: no graceful stop, no flush beyond what the kernel already has.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }
}
