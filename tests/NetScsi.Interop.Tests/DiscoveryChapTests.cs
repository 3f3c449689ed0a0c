namespace NetScsi.Interop.Tests;

/// <summary>
/// <c>--discovery-chap</c> against libiscsi's iscsi-ls: SendTargets tells nobody the target names unless the
/// discovery session authenticated (LIO's discovery_auth).
/// </summary>
public sealed class DiscoveryChapTests : IDisposable
{
    private const string Iqn = "iqn.2026-11.org.netscsi:discovery-chap";
    private readonly string _work = Directory.CreateTempSubdirectory("netscsi-discovery-chap-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task IscsiLs_WithoutDiscoveryCredentials_LearnsNoTarget_AndWithThemListsIt()
    {
        await using var target = await NetScsiTargetProcess.StartAsync(_work,
            "--listen", "127.0.0.1:0", "--iqn", Iqn, "--lun", "memory:16M", "--log-level", "warning",
            "--discovery-chap", "seeker:discovery-secret-1");

        var refused = await ToolRunner.RunAsync("iscsi-ls", $"iscsi://127.0.0.1:{target.Port}");
        Assert.True(refused.ExitCode != 0, $"iscsi-ls without credentials succeeded\n{refused.Describe()}");
        Assert.DoesNotContain(Iqn, refused.Stdout, StringComparison.Ordinal);

        var wrong = await ToolRunner.RunAsync("iscsi-ls", $"iscsi://seeker%wrong-secret-99@127.0.0.1:{target.Port}");
        Assert.True(wrong.ExitCode != 0, $"iscsi-ls with a wrong secret succeeded\n{wrong.Describe()}");
        Assert.DoesNotContain(Iqn, wrong.Stdout, StringComparison.Ordinal);

        var listed = (await ToolRunner.RunAsync("iscsi-ls", $"iscsi://seeker%discovery-secret-1@127.0.0.1:{target.Port}")).AssertSuccess();
        Assert.Contains($"Target:{Iqn} Portal:127.0.0.1:{target.Port},1", listed.Stdout, StringComparison.Ordinal);
    }
}
