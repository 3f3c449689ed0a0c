using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace NetScsi.IpOverScsi.Tests.Networks;

/// <summary>A running <c>netscsi ip up</c> in a network namespace, with its state file.</summary>
internal sealed class IpUpProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private IpUpProcess(Process process, string statusFile, string commandLine)
    {
        _process = process;
        StatusFile = statusFile;
        CommandLine = commandLine;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            lock (_stdout)
            {
                _stdout.AppendLine(e.Data);
            }
            if (e.Data.EndsWith(" ready", StringComparison.Ordinal))
            {
                _ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string StatusFile { get; }

    public string CommandLine { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_stdout)
            {
                lock (_stderr)
                {
                    return $"`{CommandLine}`\n--- stdout ---\n{_stdout}--- stderr ---\n{_stderr}";
                }
            }
        }
    }

    /// <summary>Starts <c>ip netns exec NS dotnet netscsi.dll ip up ARGS --status-file FILE</c> and waits for its "ready" line.</summary>
    public static async Task<IpUpProcess> StartAsync(string ns, string statusFile, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] all = ["netns", "exec", ns, ProcessRunner.Dotnet, "exec", ProcessRunner.NetScsiDll, "ip", "up", .. arguments, "--status-file", statusFile];
        foreach (string argument in all)
        {
            startInfo.ArgumentList.Add(argument);
        }
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("could not start ip netns exec");
        var up = new IpUpProcess(process, statusFile, "ip " + string.Join(' ', all));
        Task exited = process.WaitForExitAsync();
        Task first = await Task.WhenAny(up._ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(30)));
        if (first != up._ready.Task)
        {
            string output = up.Output;
            await up.DisposeAsync();
            Assert.Fail($"netscsi ip up did not become ready\n{output}");
        }
        return up;
    }

    /// <summary>The state the process last wrote.</summary>
    public JsonElement? Status()
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(StatusFile));
            return document.RootElement.Clone();
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    public long Counter(string group, string name) => Status() is JsonElement s ? s.GetProperty(group).GetProperty(name).GetInt64() : -1;

    public long NeighbourCounter(int index, string name) =>
        Status() is JsonElement s ? s.GetProperty("neighbours")[index].GetProperty(name).GetInt64() : -1;

    /// <summary>Waits until every neighbour link of the state file is up.</summary>
    public async Task WaitNeighboursUpAsync(TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            if (Status() is JsonElement s && s.GetProperty("neighbours").EnumerateArray().All(n => n.GetProperty("state").GetString() == "up"))
            {
                return;
            }
            Assert.False(_process.HasExited, $"netscsi ip up exited\n{Output}");
            Assert.True(DateTime.UtcNow < deadline, $"neighbours not up in time\n{Output}");
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the state file shows <paramref name="condition"/>.</summary>
    public async Task WaitForAsync(Func<IpUpProcess, bool> condition, string what, TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!condition(this))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what}: not in time\n{Output}");
            await Task.Delay(100);
        }
    }

    /// <summary>SIGKILL: the host dies without logging out.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            ProcessRunner.Signal(_process.Id, ProcessRunner.SIGKILL);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>SIGTERM and wait for a clean exit; returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            ProcessRunner.Signal(_process.Id, ProcessRunner.SIGTERM);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                await KillAsync();
            }
        }
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }
}
