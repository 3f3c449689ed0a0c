using System.Diagnostics;
using System.Text;

namespace NetScsi.Interop.Tests;

/// <summary>What an external tool did: its exit code and everything it printed.</summary>
internal sealed record ToolResult(string CommandLine, int ExitCode, string Stdout, string Stderr, bool Stopped = false)
{
    /// <summary>Fails the test unless the tool exited 0.</summary>
    public ToolResult AssertSuccess()
    {
        if (ExitCode != 0)
        {
            Assert.Fail($"`{CommandLine}` exited {ExitCode}\n{Describe()}");
        }

        return this;
    }

    public string Describe() => $"--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// Runs the real initiator-side tools (libiscsi-bin, qemu-utils) as child processes, always under a
/// time limit: a peer that hangs fails the test instead of hanging the run.
/// </summary>
internal static class ToolRunner
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private const string LibiscsiHint = "install libiscsi-bin (apt-get install -y libiscsi-bin)";
    private const string QemuHint = "install qemu-utils qemu-block-extra (apt-get install -y qemu-utils qemu-block-extra)";

    public static Task<ToolResult> RunAsync(string tool, params string[] arguments) => RunAsync(tool, DefaultTimeout, arguments);

    public static Task<ToolResult> RunAsync(string tool, TimeSpan timeout, params string[] arguments) =>
        RunAsync(tool, timeout, CancellationToken.None, arguments);

    /// <summary>Runs the tool; when <paramref name="stop"/> fires first the tool is killed and the result has
    /// <see cref="ToolResult.Stopped"/> set (exit code -1). Running past <paramref name="timeout"/> fails the test.</summary>
    public static async Task<ToolResult> RunAsync(string tool, TimeSpan timeout, CancellationToken stop, params string[] arguments)
    {
        string path = FindOnPath(tool) ?? throw Fail($"`{tool}` was not found on PATH: {InstallHint(tool)}");

        var startInfo = new ProcessStartInfo(path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // Latin-1 maps every byte to one char, so binary fields some tools print (iscsi-inq prints
            // binary designators with %s) survive for byte-level checks.
            StandardOutputEncoding = Encoding.Latin1,
            StandardErrorEncoding = Encoding.Latin1,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        startInfo.Environment["LC_ALL"] = "C";

        string commandLine = tool + " " + string.Join(' ', arguments.Select(a => a.Contains(' ') ? $"'{a}'" : a));
        using var process = Process.Start(startInfo) ?? throw Fail($"could not start `{commandLine}`");
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();

        using var timedOut = new CancellationTokenSource(timeout);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(timedOut.Token, stop);
        try
        {
            await process.WaitForExitAsync(either.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            if (!timedOut.IsCancellationRequested)
            {
                return new ToolResult(commandLine, -1, await stdout, await stderr, Stopped: true);
            }
            throw Fail($"`{commandLine}` did not finish within {timeout.TotalSeconds:0} s (hung peer?); killed it.\n" +
                       $"--- stdout ---\n{await stdout}\n--- stderr ---\n{await stderr}");
        }

        var result = new ToolResult(commandLine, process.ExitCode, await stdout, await stderr);
        if (tool.StartsWith("qemu-", StringComparison.Ordinal) &&
            result.Stderr.Contains("Unknown protocol 'iscsi'", StringComparison.Ordinal))
        {
            throw Fail($"`{commandLine}`: this qemu has no iscsi:// block driver: {QemuHint}\n{result.Describe()}");
        }

        return result;
    }

    private static string InstallHint(string tool) => tool.StartsWith("qemu-", StringComparison.Ordinal) ? QemuHint : LibiscsiHint;

    private static string? FindOnPath(string tool)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static Exception Fail(string message)
    {
        Assert.Fail(message);
        return new UnreachableException();
    }
}
