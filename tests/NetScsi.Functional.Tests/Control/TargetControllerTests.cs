using NetScsi.Cli.Control;
using NetScsi.Scsi;

namespace NetScsi.Functional.Tests.Control;

/// <summary>The control plane against a live target with the NetScsi initiator logged in (docs/operations.md).</summary>
public sealed class TargetControllerTests
{
    private const string InitiatorA = "iqn.2026-12.org.netscsi:init-a";
    private const string InitiatorB = "iqn.2026-12.org.netscsi:init-b";

    [Fact]
    public async Task LunAdd_LiveSessionGetsReportedLunsDataHasChanged_ThenUsesTheNewLun()
    {
        await using var h = await ControlHarness.StartAsync(ControlHarness.Config("\"memory:16M\""));
        var session = await h.ConnectAsync();

        await h.OkAsync(new ControlRequest { Command = "lun.add", Spec = "memory:8M" });

        var tur = await session.TestUnitReadyAsync(0);
        Assert.Equal(SenseKey.UnitAttention, tur.SenseKey);
        Assert.Equal(Asc.ReportedLunsDataHasChanged, tur.AdditionalSenseCode);
        Assert.Equal([0UL, 1UL], await session.ReportLunsAsync());
        byte[] data = [.. Enumerable.Range(0, 4096).Select(i => (byte)i)];
        await session.WriteAsync(1, 10, data);
        byte[] back = new byte[4096];
        await session.ReadAsync(1, 10, 8, back);
        Assert.Equal(data, back);
        Assert.Equal(8UL * 1024 * 1024 / 512, (await session.ReadCapacityAsync(1)).BlockCount);
    }

    [Fact]
    public async Task LunResize_RaisesCapacityDataHasChanged_AndTheSessionReadsTheNewEnd()
    {
        await using var h = await ControlHarness.StartAsync(ControlHarness.Config("\"memory:16M\""));
        var session = await h.ConnectAsync();
        var other = await h.ConnectAsync(InitiatorB);

        await h.OkAsync(new ControlRequest { Command = "lun.resize", Lun = 0, Size = "32M" });

        foreach (var nexus in new[] { session, other })
        {
            var tur = await nexus.TestUnitReadyAsync(0);
            Assert.Equal(SenseKey.UnitAttention, tur.SenseKey);
            Assert.Equal(Asc.CapacityDataHasChanged, tur.AdditionalSenseCode);
        }

        Assert.Equal(32UL * 1024 * 1024 / 512, (await session.ReadCapacityAsync(0)).BlockCount);
        await session.WriteAsync(0, (32UL * 1024 * 1024 / 512) - 1, new byte[512]);
        Assert.Equal(32L * 1024 * 1024, (await h.OkAsync(new ControlRequest { Command = "lun.list" })).Luns!.Single().SizeBytes);
    }

    [Fact]
    public async Task LunResize_Shrink_IsRefusedWithoutForce()
    {
        await using var h = await ControlHarness.StartAsync(ControlHarness.Config("\"memory:16M\""));

        var refused = await h.RunAsync(new ControlRequest { Command = "lun.resize", Lun = 0, Size = "8M" });
        Assert.False(refused.Ok);
        Assert.Contains("--force", refused.Error);
        Assert.Equal(16L * 1024 * 1024, (await h.OkAsync(new ControlRequest { Command = "lun.list" })).Luns!.Single().SizeBytes);

        await h.OkAsync(new ControlRequest { Command = "lun.resize", Lun = 0, Size = "8M", Force = true });
        Assert.Equal(8L * 1024 * 1024, (await h.OkAsync(new ControlRequest { Command = "lun.list" })).Luns!.Single().SizeBytes);
    }

    [Fact]
    public async Task LunRemove_InUse_IsRefusedWithoutForce_AndWithForceTheSessionKeepsWorking()
    {
        await using var h = await ControlHarness.StartAsync(ControlHarness.Config("\"memory:16M\",\"memory:16M\""));
        var session = await h.ConnectAsync();

        var refused = await h.RunAsync(new ControlRequest { Command = "lun.remove", Lun = 1 });

        Assert.False(refused.Ok);
        Assert.Contains("in use", refused.Error);
        Assert.Equal(2, (await session.ReportLunsAsync()).Count);

        await h.OkAsync(new ControlRequest { Command = "lun.remove", Lun = 1, Force = true });

        var tur = await session.TestUnitReadyAsync(0);
        Assert.Equal(Asc.ReportedLunsDataHasChanged, tur.AdditionalSenseCode);
        Assert.Equal([0UL], await session.ReportLunsAsync());
        Assert.Equal(SenseKey.IllegalRequest, (await session.TestUnitReadyAsync(1)).SenseKey);
        await session.WriteAsync(0, 0, new byte[512]);
    }

    [Fact]
    public async Task LunRemove_NotInUse_NeedsNoForce()
    {
        await using var h = await ControlHarness.StartAsync(ControlHarness.Config("\"memory:16M\",\"memory:16M\"", $"{{\"initiator\":\"{InitiatorA}\",\"luns\":[0]}}"));
        await h.ConnectAsync(InitiatorA);

        await h.OkAsync(new ControlRequest { Command = "lun.remove", Lun = 1 });

        Assert.Equal([0], (await h.OkAsync(new ControlRequest { Command = "lun.list" })).Luns!.Select(l => l.Lun));
    }

    [Fact]
    public async Task AclRemove_EndsThatInitiatorsSession_AndOnlyThatOne()
    {
        await using var h = await ControlHarness.StartAsync(ControlHarness.Config("\"memory:16M\"", $"{{\"initiator\":\"{InitiatorA}\"}},{{\"initiator\":\"{InitiatorB}\"}}"));
        var a = await h.ConnectAsync(InitiatorA);
        var b = await h.ConnectAsync(InitiatorB);
        Assert.Equal(2, (await h.OkAsync(new ControlRequest { Command = "session.list" })).Sessions!.Count);

        var response = await h.OkAsync(new ControlRequest { Command = "acl.remove", Initiator = InitiatorB });

        Assert.Contains(response.Changes!, c => c.Contains("1 session(s) ended", StringComparison.Ordinal));
        await WaitUntilAsync(() => h.Server.GetSessions().All(s => s.Initiator != InitiatorB));
        Assert.Equal([InitiatorA], h.Server.GetSessions().Select(s => s.Initiator));
        Assert.True((await a.TestUnitReadyAsync(0)).IsGood);
        await Assert.ThrowsAnyAsync<Exception>(async () => await b.TestUnitReadyAsync(0).AsTask().WaitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task AclAdd_WithLunSubset_ChangesTheLiveSessionsView()
    {
        await using var h = await ControlHarness.StartAsync(ControlHarness.Config("\"memory:16M\",\"memory:16M\""));
        var session = await h.ConnectAsync(InitiatorA);

        await h.OkAsync(new ControlRequest { Command = "acl.add", Spec = $"{InitiatorA}=1" });

        Assert.Equal([1UL], await session.ReportLunsAsync());
        Assert.Equal([1], h.Server.GetSessions().Single().Luns);
    }

    [Fact]
    public async Task SessionDrop_EndsTheSessionWithThatTsih()
    {
        await using var h = await ControlHarness.StartAsync(ControlHarness.Config("\"memory:16M\""));
        await h.ConnectAsync(InitiatorA);
        var listed = (await h.OkAsync(new ControlRequest { Command = "session.list" })).Sessions!.Single();
        Assert.Equal(InitiatorA, listed.Initiator);
        Assert.Contains("MaxBurstLength", listed.Negotiated.Keys);

        await h.OkAsync(new ControlRequest { Command = "session.drop", Tsih = listed.Tsih });

        await WaitUntilAsync(() => h.Server.GetSessions().All(s => s.Tsih != listed.Tsih));
        Assert.False((await h.RunAsync(new ControlRequest { Command = "session.drop", Tsih = 999 })).Ok);
    }

    [Fact]
    public async Task AChangeThatFailsHalfway_LeavesNothingChanged()
    {
        await using var h = await ControlHarness.StartAsync(ControlHarness.Config("\"memory:16M\""));
        var before = ControlHarness.Json(h.Controller.Running);
        // A good new LUN, a file LUN in a directory that does not exist, and a resize: the file cannot be created.
        await File.WriteAllTextAsync(h.ConfigPath, ControlHarness.Config(
            $"{{\"lun\":0,\"memory\":\"32M\"}},\"memory:8M\",\"file:{Path.Combine(h.Directory, "missing", "x.img")},size=1M\""));

        var refused = await h.RunAsync(new ControlRequest { Command = "reload" });

        Assert.False(refused.Ok);
        Assert.Contains("does not exist", refused.Error);
        Assert.Equal(before, ControlHarness.Json(h.Controller.Running));
        Assert.Equal(16L * 1024 * 1024, (await h.OkAsync(new ControlRequest { Command = "lun.list" })).Luns!.Single().SizeBytes);
    }

    [Fact]
    public async Task Reload_GoodFile_AppliesTheDifference_BrokenFile_IsRefusedNamingTheProblem()
    {
        await using var h = await ControlHarness.StartAsync(ControlHarness.Config("\"memory:16M\""));
        var session = await h.ConnectAsync(InitiatorA);
        await File.WriteAllTextAsync(h.ConfigPath, ControlHarness.Config("{\"lun\":0,\"memory\":\"16M\"},{\"lun\":3,\"memory\":\"4M\"}", $"{{\"initiator\":\"{InitiatorA}\"}}"));

        var applied = await h.OkAsync(new ControlRequest { Command = "reload" });

        Assert.Contains(applied.Changes!, c => c.StartsWith("lun 3 added", StringComparison.Ordinal));
        Assert.Equal([0, 3], (await h.OkAsync(new ControlRequest { Command = "lun.list" })).Luns!.Select(l => l.Lun));
        Assert.Equal([InitiatorA], (await h.OkAsync(new ControlRequest { Command = "acl.list" })).Acls!.Select(a => a.Initiator));
        Assert.Equal(Asc.ReportedLunsDataHasChanged, (await session.TestUnitReadyAsync(0)).AdditionalSenseCode);

        var running = ControlHarness.Json(h.Controller.Running);
        await File.WriteAllTextAsync(h.ConfigPath, "{\"targets\":[{\"iqn\":\"" + ControlHarness.TargetName + "\",\"luns\":[{\"memory\":\"4M\",\"redOnly\":true}]}]}");

        var refused = await h.RunAsync(new ControlRequest { Command = "reload" });

        Assert.False(refused.Ok);
        Assert.Contains("target.json", refused.Error);
        Assert.Contains("redOnly", refused.Error);
        Assert.Equal(running, ControlHarness.Json(h.Controller.Running));
        Assert.True((await session.TestUnitReadyAsync(0)).IsGood);
    }

    [Fact]
    public async Task SaveConfig_ServedAgain_ReproducesTheRunningState()
    {
        string directory = Path.Combine(Path.GetTempPath(), "netscsi-control-tests", Guid.NewGuid().ToString("N"));
        string saved = Path.Combine(directory, "saved.json");
        string running;
        await using (var h = await ControlHarness.StartAsync(ControlHarness.Config($"\"file:{Path.Combine(directory, "a.img")},size=8M\""), directory))
        {
            await h.OkAsync(new ControlRequest { Command = "lun.add", Spec = "memory:4M,lun=5" });
            await h.OkAsync(new ControlRequest { Command = "lun.resize", Lun = 0, Size = "16M" });
            await h.OkAsync(new ControlRequest { Command = "acl.add", Spec = $"{InitiatorA}=0,5" });
            await h.OkAsync(new ControlRequest { Command = "chap.set", Spec = "user:secretsecret12" });
            await h.OkAsync(new ControlRequest { Command = "saveconfig", File = saved });
            running = ControlHarness.Json(h.Controller.Running);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(saved));
            }
        }

        File.Move(saved, Path.Combine(directory, "again.json"));
        await using var again = await ControlHarness.StartAsync(await File.ReadAllTextAsync(Path.Combine(directory, "again.json")), directory);

        Assert.Equal(running, ControlHarness.Json(again.Controller.Running));
        var luns = (await again.OkAsync(new ControlRequest { Command = "lun.list" })).Luns!;
        Assert.Equal([(0, 16L * 1024 * 1024), (5, 4L * 1024 * 1024)], luns.Select(l => (l.Lun, l.SizeBytes)));
        Directory.Delete(directory, recursive: true);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in 20 s");
            await Task.Delay(20);
        }
    }
}

/// <summary>The controller's refusals and portals, without an initiator.</summary>
public sealed class TargetControllerRulesTests
{
    [Fact]
    public async Task PortalAdd_ListensOnTheBoundPort_AndPortalRemove_StopsIt()
    {
        await using var h = await ControlHarness.StartAsync(ControlHarness.Config("\"memory:16M\""));

        var added = await h.OkAsync(new ControlRequest { Command = "portal.add", Spec = "127.0.0.2:0" });

        var bound = h.Server.ListeningPortals.OfType<NetScsi.Transport.Tcp.TcpPortal>().Single();
        Assert.Contains(added.Changes!, c => c == $"listening on {bound}");
        using (var client = new System.Net.Sockets.TcpClient())
        {
            await client.ConnectAsync(System.Net.IPAddress.Parse("127.0.0.2"), bound.Port);
        }

        await h.OkAsync(new ControlRequest { Command = "portal.remove", Spec = bound.ToString() });

        Assert.Empty(h.Server.ListeningPortals.OfType<NetScsi.Transport.Tcp.TcpPortal>());
        Assert.False((await h.RunAsync(new ControlRequest { Command = "portal.remove", Spec = bound.ToString() })).Ok);
    }

    [Fact]
    public async Task Reload_ThatAddsATarget_IsRefused()
    {
        await using var h = await ControlHarness.StartAsync(ControlHarness.Config("\"memory:16M\""));
        await File.WriteAllTextAsync(h.ConfigPath, """{"targets":[{"iqn":"iqn.2026-12.org.netscsi:control","luns":["memory:16M"]},{"iqn":"iqn.2026-12.org.netscsi:other","luns":["memory:1M"]}]}""");

        var refused = await h.RunAsync(new ControlRequest { Command = "reload" });

        Assert.False(refused.Ok);
        Assert.Contains("+iqn.2026-12.org.netscsi:other", refused.Error);
    }

    [Fact]
    public async Task LunAdd_ThatBreaksAConfigRule_IsRefusedByTheValidator()
    {
        await using var h = await ControlHarness.StartAsync(ControlHarness.Config("\"memory:16M\""));

        var refused = await h.RunAsync(new ControlRequest { Command = "lun.add", Spec = "memory:8M,lun=0" });

        Assert.False(refused.Ok);
        Assert.Single((await h.OkAsync(new ControlRequest { Command = "lun.list" })).Luns!);
    }

    [Fact]
    public async Task UnknownCommand_AndMissingArguments_AreOneLineRefusals()
    {
        await using var h = await ControlHarness.StartAsync(ControlHarness.Config("\"memory:16M\""));

        Assert.Equal("unknown command 'lun.explode'", (await h.RunAsync(new ControlRequest { Command = "lun.explode" })).Error);
        Assert.Equal("lun remove: give the LUN number", (await h.RunAsync(new ControlRequest { Command = "lun.remove" })).Error);
        Assert.Contains("rbd", (await h.RunAsync(new ControlRequest { Command = "lun.add", Spec = "tape:1G" })).Error);
    }
}
