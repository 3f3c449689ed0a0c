namespace NetScsi.Interop.Tests;

/// <summary>
/// Per-initiator access control and LUN masking (docs/config.md, <c>acls</c>) seen through libiscsi's
/// tools and QEMU's iscsi driver, which both take the initiator name to log in with. One target with
/// three LUNs of different sizes (so a listing shows which LUN a node got); the config file maps
/// node-a → LUN 0, node-b → LUN 1, node-c → LUN 2; nobody else may log in.
/// </summary>
public sealed class AclLunMaskingTests(AclTargetFixture target) : IClassFixture<AclTargetFixture>
{
    private static readonly TimeSpan IoTimeout = TimeSpan.FromSeconds(30);

    public static TheoryData<int> Nodes => new() { 0, 1, 2 };

    [Theory]
    [MemberData(nameof(Nodes))]
    public async Task EachNode_SeesExactlyItsOwnLun(int node)
    {
        var result = (await ToolRunner.RunAsync("iscsi-ls", "-i", AclTargetFixture.NodeNames[node], "-s", target.PortalUrl)).AssertSuccess();

        string[] lines = Lines(result.Stdout);
        string expectedLun = $"Lun:{node}    Type:DIRECT_ACCESS (Size:{LibiscsiToolTests.IscsiLsSize(AclTargetFixture.LunBytes[node])})";
        Assert.True(
            lines.SequenceEqual([$"Target:{AclTargetFixture.Iqn} Portal:127.0.0.1:{target.Port},1", expectedLun]),
            $"{AclTargetFixture.NodeNames[node]}: expected the target and only `{expectedLun}` (REPORT LUNS masked to the node's LUN)\n{result.Describe()}");
    }

    [Theory]
    [MemberData(nameof(Nodes))]
    public async Task EachNode_ReadsAndWritesItsOwnLun(int node)
    {
        byte pattern = (byte)(0xa0 + node);
        var result = (await ToolRunner.RunAsync("qemu-io", IoTimeout,
            "--image-opts", target.QemuImageOptions(node, node),
            "-c", $"write -P 0x{pattern:x2} 0 256k",
            "-c", $"read -P 0x{pattern:x2} 0 256k",
            "-c", $"read 0 {AclTargetFixture.LunBytes[node] / 2}")).AssertSuccess();
        Assert.Contains("read 262144/262144 bytes at offset 0", result.Stdout);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0, 2)]
    [InlineData(1, 0)]
    [InlineData(1, 2)]
    [InlineData(2, 0)]
    [InlineData(2, 1)]
    public async Task EachNode_CannotReadAnotherNodesLun(int node, int lun)
    {
        string name = AclTargetFixture.NodeNames[node];

        // QEMU checks the LUN (TEST UNIT READY, READ CAPACITY) when it opens it; a masked LUN does not exist
        // for this nexus: ILLEGAL REQUEST / LOGICAL UNIT NOT SUPPORTED (SPC-4 §5.4 / ASC 25h).
        var read = await ToolRunner.RunAsync("qemu-io", IoTimeout, "-r", "--image-opts", target.QemuImageOptions(node, lun), "-c", "read 0 64k");
        Assert.True(read.ExitCode != 0, $"{name} read masked LUN {lun}\n{read.Describe()}");
        Assert.Contains("LOGICAL_UNIT_NOT_SUPPORTED", read.Stdout + read.Stderr);
        Assert.DoesNotContain("read 65536/65536", read.Stdout);

        var capacity = await ToolRunner.RunAsync("iscsi-readcapacity16", "-i", name, target.LunUrl(lun));
        Assert.True(capacity.ExitCode != 0, $"{name} got the capacity of masked LUN {lun}\n{capacity.Describe()}");
        Assert.DoesNotContain("Total size", capacity.Stdout);
    }

    [Fact]
    public async Task UnlistedInitiator_IsNotOfferedTheTarget_AndCannotLogIn()
    {
        // SendTargets discovery: the discovery session itself is allowed, the target is not listed.
        var discovery = (await ToolRunner.RunAsync("iscsi-ls", "-i", AclTargetFixture.Unlisted, target.PortalUrl)).AssertSuccess();
        Assert.True(Lines(discovery.Stdout).Length == 0, $"an unlisted initiator discovered targets\n{discovery.Describe()}");

        // A normal session to the target: login rejected with status 0x0202 (authorization failure).
        foreach (int lun in new[] { 0, 1, 2 })
        {
            var inquiry = await ToolRunner.RunAsync("iscsi-inq", "-i", AclTargetFixture.Unlisted, target.LunUrl(lun));
            Assert.True(inquiry.ExitCode != 0, $"an unlisted initiator reached LUN {lun}\n{inquiry.Describe()}");
            Assert.Contains("Authorization failure", inquiry.Stdout + inquiry.Stderr);
        }

        var read = await ToolRunner.RunAsync("qemu-io", IoTimeout, "-r", "--image-opts", target.QemuImageOptions(AclTargetFixture.Unlisted, 0), "-c", "read 0 64k");
        Assert.True(read.ExitCode != 0, $"an unlisted initiator read LUN 0\n{read.Describe()}");
    }

    [Fact]
    public async Task ListedNode_DiscoversTheTarget()
    {
        foreach (string name in AclTargetFixture.NodeNames)
        {
            var discovery = (await ToolRunner.RunAsync("iscsi-ls", "-i", name, target.PortalUrl)).AssertSuccess();
            Assert.True(
                Lines(discovery.Stdout).SequenceEqual([$"Target:{AclTargetFixture.Iqn} Portal:127.0.0.1:{target.Port},1"]),
                $"{name}: expected the one target in SendTargets\n{discovery.Describe()}");
        }
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>
/// <c>netscsi target serve -c acl.json</c>: one target, three memory LUNs (8, 12, 16 MiB), ACLs
/// node-a → [0], node-b → [1], node-c → [2].
/// </summary>
public sealed class AclTargetFixture : IAsyncLifetime
{
    public const string Iqn = "iqn.2026-11.org.netscsi:acl";
    public const string Unlisted = "iqn.2026-11.test.netscsi:stranger";
    public static readonly string[] NodeNames = ["iqn.2026-11.test.netscsi:node-a", "iqn.2026-11.test.netscsi:node-b", "iqn.2026-11.test.netscsi:node-c"];
    public static readonly long[] LunBytes = [8L << 20, 12L << 20, 16L << 20];

    private NetScsiTargetProcess? _target;

    public string WorkDirectory { get; } = Directory.CreateTempSubdirectory("netscsi-interop-acl-").FullName;

    public int Port => (_target ?? throw new InvalidOperationException("the target is not running")).Port;

    public string PortalUrl => $"iscsi://127.0.0.1:{Port}";

    public string LunUrl(int lun) => $"{PortalUrl}/{Iqn}/{lun}";

    public string QemuImageOptions(int node, int lun) => QemuImageOptions(NodeNames[node], lun);

    /// <summary>QEMU's iscsi driver options: <c>initiator-name</c> chooses the name it logs in with.</summary>
    public string QemuImageOptions(string initiator, int lun) =>
        $"driver=iscsi,transport=tcp,portal=127.0.0.1:{Port},target={Iqn},lun={lun},initiator-name={initiator}";

    public async Task InitializeAsync()
    {
        string config = Path.Combine(WorkDirectory, "acl.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              // LUN masking: each node sees only its own LUN, under its own number.
              "targets": [
                {
                  "iqn": "{{Iqn}}",
                  "luns": [
                    { "lun": 0, "memory": "8M" },
                    { "lun": 1, "memory": "12M" },
                    { "lun": 2, "memory": "16M" },
                  ],
                  "acls": [
                    { "initiator": "{{NodeNames[0]}}", "luns": [0] },
                    { "initiator": "{{NodeNames[1]}}", "luns": [1] },
                    { "initiator": "{{NodeNames[2]}}", "luns": [2] },
                  ],
                },
              ],
            }
            """);
        _target = await NetScsiTargetProcess.StartAsync(WorkDirectory, "-c", config, "--listen", "127.0.0.1:0", "--log-level", "warning");
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_target is not null)
            {
                await _target.StopGracefullyAsync();
            }
        }
        finally
        {
            if (_target is not null)
            {
                await _target.DisposeAsync();
            }
            Directory.Delete(WorkDirectory, recursive: true);
        }
    }
}
