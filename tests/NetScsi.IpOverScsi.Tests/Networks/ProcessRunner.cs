using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace NetScsi.IpOverScsi.Tests.Networks;

/// <summary>What a command did.</summary>
internal sealed record CommandResult(string CommandLine, int ExitCode, string Stdout, string Stderr)
{
    public CommandResult AssertSuccess()
    {
        Assert.True(ExitCode == 0, $"`{CommandLine}` exited {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}");
        return this;
    }
}

/// <summary>Runs commands under a time limit (a hung tool fails the test instead of hanging the run).</summary>
internal static partial class ProcessRunner
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public static Task<CommandResult> RunAsync(string file, params string[] arguments) => RunAsync(DefaultTimeout, null, file, arguments);

    public static async Task<CommandResult> RunAsync(TimeSpan timeout, byte[]? stdin, string file, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        string commandLine = file + " " + string.Join(' ', arguments);
        using Process process = Process.Start(startInfo) ?? throw new InvalidOperationException($"could not start `{commandLine}`");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.BaseStream.WriteAsync(stdin);
        }
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"`{commandLine}` did not finish within {timeout.TotalSeconds} s");
        }
        return new CommandResult(commandLine, process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The <c>dotnet</c> that runs this test (DOTNET_HOST_PATH), to start netscsi.dll with.</summary>
    public static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    /// <summary>netscsi.dll beside this test assembly (the project reference to NetScsi.Cli puts it there).</summary>
    public static string NetScsiDll
    {
        get
        {
            string dll = Path.Combine(AppContext.BaseDirectory, "netscsi.dll");
            Assert.True(File.Exists(dll), $"{dll} is missing: the test project must reference src/NetScsi.Cli");
            return dll;
        }
    }

    public static void Signal(int pid, int signal) => Kill(pid, signal);

    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    /// <summary>Fails, saying what is missing, unless this process can build networks in namespaces.</summary>
    public static void RequireNetworkPrivileges()
    {
        var missing = new StringBuilder();
        if (GetEuid() != 0)
        {
            missing.Append(" root (network namespaces and TUN need CAP_SYS_ADMIN and CAP_NET_ADMIN);");
        }
        if (!File.Exists("/dev/net/tun"))
        {
            missing.Append(" /dev/net/tun (modprobe tun);");
        }
        foreach (string tool in new[] { "ip", "ping", "python3", "iperf3" })
        {
            if (!OnPath(tool))
            {
                missing.Append($" {tool} (apt-get install -y iproute2 iputils-ping python3 iperf3);");
            }
        }
        Assert.True(missing.Length == 0, "These tests build networks in namespaces and need:" + missing);
    }

    public static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, tool)));
}
