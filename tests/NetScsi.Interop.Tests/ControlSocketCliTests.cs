using System.Text.Json;

namespace NetScsi.Interop.Tests;

/// <summary>
/// <c>netscsi target ...</c> as a separate process against a real <c>netscsi target serve</c> process, over its
/// control socket; and SIGHUP re-reading the config file (docs/operations.md).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ControlSocketCliTests : IDisposable
{
    private const string Iqn = "iqn.2026-12.org.netscsi:control-cli";
    private readonly string _work = Directory.CreateTempSubdirectory("netscsi-control-cli-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private string Socket => Path.Combine(_work, "run", "control.sock");

    [Fact]
    public async Task LunAdd_OverTheSocket_IsServedAndListed_AndTheSocketIsOwnerOnly()
    {
        await using var target = await NetScsiTargetProcess.StartAsync(_work,
            "--listen", "127.0.0.1:0", "--iqn", Iqn, "--lun", "memory:16M", "--log-level", "warning", "--control-socket", Socket);

        var added = await NetScsiAsync("target", "lun", "add", "memory:8M,lun=4", "--control-socket", Socket, "--json");

        Assert.True(added.ExitCode == 0, added.Describe() + target.Describe());
        using (var answer = JsonDocument.Parse(added.Stdout))
        {
            Assert.True(answer.RootElement.GetProperty("ok").GetBoolean());
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Socket));
        var listed = await NetScsiAsync("target", "lun", "list", "--control-socket", Socket, "--json");
        using (var luns = JsonDocument.Parse(listed.Stdout))
        {
            Assert.Equal([0, 4], luns.RootElement.GetProperty("luns").EnumerateArray().Select(l => l.GetProperty("lun").GetInt32()));
        }

        var ls = (await ToolRunner.RunAsync("iscsi-ls", "-s", $"iscsi://127.0.0.1:{target.Port}")).AssertSuccess();
        Assert.Contains("Lun:4", ls.Stdout, StringComparison.Ordinal);

        var refused = await NetScsiAsync("target", "lun", "remove", "9", "--control-socket", Socket);
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith("netscsi: error: lun remove: target " + Iqn + " has no lun 9", refused.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sighup_RereadsTheConfigFile_AndABrokenOneKeepsTheRunningState()
    {
        string config = Path.Combine(_work, "target.json");
        await File.WriteAllTextAsync(config, $$"""{"portals":["127.0.0.1:0"],"targets":[{"iqn":"{{Iqn}}","luns":["memory:16M"]}]}""");
        await using var target = await NetScsiTargetProcess.StartAsync(_work, "--config", config, "--log-level", "information", "--control-socket", Socket);
        // The control socket answers only once SIGHUP is handled (ControlSocketService registers it first).
        var ready = await NetScsiAsync("target", "portal", "list", "--control-socket", Socket);
        Assert.True(ready.ExitCode == 0, ready.Describe() + target.Describe());
        await File.WriteAllTextAsync(config, $$"""{"portals":["127.0.0.1:0"],"targets":[{"iqn":"{{Iqn}}","luns":["memory:16M","memory:4M"]}]}""");

        (await ToolRunner.RunAsync("kill", "-HUP", target.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture))).AssertSuccess();

        await WaitForLunsAsync([0, 1], target);
        // The file's port 0 is the port already bound: the portal stays.
        (await ToolRunner.RunAsync("iscsi-ls", $"iscsi://127.0.0.1:{target.Port}")).AssertSuccess();
        await File.WriteAllTextAsync(config, "{\"targets\": [");
        (await ToolRunner.RunAsync("kill", "-HUP", target.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture))).AssertSuccess();
        var reload = await NetScsiAsync("target", "reload", "--control-socket", Socket);
        Assert.Equal(1, reload.ExitCode);
        Assert.Contains("target.json", reload.Stderr, StringComparison.Ordinal);
        await WaitForLunsAsync([0, 1], target);
        Assert.False(target.HasExited, target.Describe());
    }

    // Generous: on a loaded 2-core machine every `netscsi target lun list` is a process start of its own.
    private async Task WaitForLunsAsync(int[] expected, NetScsiTargetProcess target)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var listed = await NetScsiAsync("target", "lun", "list", "--control-socket", Socket, "--json");
            using var luns = JsonDocument.Parse(listed.Stdout);
            var numbers = luns.RootElement.GetProperty("luns").EnumerateArray().Select(l => l.GetProperty("lun").GetInt32()).ToArray();
            if (numbers.SequenceEqual(expected))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"LUNs {string.Join(',', numbers)}, expected {string.Join(',', expected)}\n{target.Describe()}");
            await Task.Delay(100);
        }
    }

    // The banner comes before the socket is bound: an unreachable socket (exit 3) is retried for a few seconds.
    private static async Task<ToolResult> NetScsiAsync(params string[] arguments)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "netscsi.dll");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var result = await ToolRunner.RunAsync(dotnet, ["exec", dll, .. arguments]);
            if (result.ExitCode != 3 || DateTime.UtcNow > deadline)
            {
                return result;
            }

            await Task.Delay(100);
        }
    }
}
