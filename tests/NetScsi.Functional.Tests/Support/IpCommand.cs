using System.Diagnostics;

namespace NetScsi.Functional.Tests.Support;

/// <summary>The <c>ip</c> command, for tests that build network namespaces and veth pairs (root, as in CI).</summary>
internal static class IpCommand
{
    /// <summary>Runs <c>ip ARGUMENTS</c> and returns its output; throws with its error when it fails.</summary>
    public static string Run(string arguments)
    {
        using Process process = Process.Start(new ProcessStartInfo("ip", arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? output
            : throw new InvalidOperationException($"ip {arguments}: {error.Trim()} (these tests need root and network namespaces, as CI has)");
    }

    /// <summary>Runs <c>ip ARGUMENTS</c> for clean-up: a failure (already gone) is ignored.</summary>
    public static void TryRun(string arguments)
    {
        using Process process = Process.Start(new ProcessStartInfo("ip", arguments) { RedirectStandardError = true })!;
        process.WaitForExit();
    }
}
