using System.Diagnostics;

namespace NetScsi.Transport.Ethernet.Tests;

/// <summary>
/// A veth pair made for one test (root needed, as in CI) and removed after it: optionally with each end moved into
/// a network namespace of its own, for tests that run the target and the initiator in separate processes.
/// </summary>
internal sealed class VethPair : IDisposable
{
    private static int s_next;

    private VethPair(string first, string second, string? firstNamespace, string? secondNamespace)
    {
        First = first;
        Second = second;
        FirstNamespace = firstNamespace;
        SecondNamespace = secondNamespace;
    }

    public string First { get; }

    public string Second { get; }

    public string? FirstNamespace { get; }

    public string? SecondNamespace { get; }

    /// <summary>Creates the pair, up, with <paramref name="mtu"/> on both ends.</summary>
    public static VethPair Create(int mtu, bool namespaces = false)
    {
        string tag = $"{Environment.ProcessId % 10000}x{Interlocked.Increment(ref s_next)}";
        string first = "nse" + tag + "a";
        string second = "nse" + tag + "b";
        string? firstNs = namespaces ? "netscsi-" + tag + "-t" : null;
        string? secondNs = namespaces ? "netscsi-" + tag + "-i" : null;
        var pair = new VethPair(first, second, firstNs, secondNs);
        try
        {
            Run("ip", $"link add {first} mtu {mtu} type veth peer name {second} mtu {mtu}");
            if (namespaces)
            {
                Run("ip", $"netns add {firstNs}");
                Run("ip", $"netns add {secondNs}");
                Run("ip", $"link set {first} netns {firstNs}");
                Run("ip", $"link set {second} netns {secondNs}");
                Run("ip", $"-n {firstNs} link set {first} up");
                Run("ip", $"-n {secondNs} link set {second} up");
                Run("ip", $"-n {firstNs} link set lo up");
                Run("ip", $"-n {secondNs} link set lo up");
            }
            else
            {
                Run("ip", $"link set {first} up");
                Run("ip", $"link set {second} up");
            }

            return pair;
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    /// <summary>The MAC address of an end, as the kernel reports it.</summary>
    public string MacOf(string name, string? ns) =>
        File.Exists($"/sys/class/net/{name}/address") && ns is null
            ? File.ReadAllText($"/sys/class/net/{name}/address").Trim()
            : Run("ip", $"-n {ns} -br link show {name}").Split(' ', StringSplitOptions.RemoveEmptyEntries)[2];

    public void Dispose()
    {
        // Deleting one end deletes both; a namespace's deletion takes its end with it.
        TryRun("ip", $"link del {First}");
        if (FirstNamespace is not null)
        {
            TryRun("ip", $"netns del {FirstNamespace}");
        }

        if (SecondNamespace is not null)
        {
            TryRun("ip", $"netns del {SecondNamespace}");
        }
    }

    public static string Run(string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{file} {arguments}' failed ({process.ExitCode}): {error.Trim()} (these tests need root, as CI has)");
        }

        return output;
    }

    private static void TryRun(string file, string arguments)
    {
        try
        {
            var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
            using Process process = Process.Start(start)!;
            process.WaitForExit();
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
    }
}
