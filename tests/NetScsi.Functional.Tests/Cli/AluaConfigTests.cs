using System.Text;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Parsing;
using NetScsi.Scsi.Alua;

namespace NetScsi.Functional.Tests.Cli;

/// <summary>--tpg, --peer-tpg, --alua-follow-lock and the config file's "alua" object.</summary>
public sealed class AluaConfigTests
{
    [Theory]
    [InlineData("1", 1, null)]
    [InlineData("7=standby", 7, AsymmetricAccessState.Standby)]
    [InlineData("65535=an", 65535, AsymmetricAccessState.ActiveNonOptimized)]
    public void TpgSpec_Parses(string text, int id, AsymmetricAccessState? state)
    {
        Assert.True(TpgSpecParser.TryParse(text, "--tpg", out var spec, out var error), error);
        Assert.Equal(new TpgSpec((ushort)id, state), spec);
    }

    [Theory]
    [InlineData("0", "expected a target port group number 1..65535")]
    [InlineData("65536", "expected a target port group number 1..65535")]
    [InlineData("x=standby", "expected a target port group number 1..65535")]
    [InlineData("1=offline", "unknown state 'offline'")]
    public void TpgSpec_Bad_SaysWhyNamingTheOption(string text, string expected)
    {
        Assert.False(TpgSpecParser.TryParse(text, "--peer-tpg", out _, out var error));
        Assert.StartsWith("--peer-tpg '", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void SavedConfig_KeepsTheAluaGroupsStatesAndFollowLock()
    {
        ServeConfiguration file = ConfigFileLoader.Parse(Encoding.UTF8.GetBytes("""
            { "portals": ["127.0.0.1:3260"], "alua": { "tpg": "1=standby", "peerTpgs": ["2", "3=unavailable"], "followLock": true },
              "targets": [ { "iqn": "iqn.2026-12.org.example:ceph", "luns": [ "memory:1M" ] } ] }
            """), "test.json");

        // saveconfig writes this; the control plane also keeps its running copy through it.
        ServeConfiguration back = ConfigFileLoader.Parse(ConfigFileWriter.ToJson(file), "saved.json");

        Assert.Equal(new TpgSpec(1, AsymmetricAccessState.Standby), back.Alua!.Local);
        Assert.Equal([new TpgSpec(2, null), new TpgSpec(3, AsymmetricAccessState.Unavailable)], back.Alua.Peers);
        Assert.True(back.Alua.FollowLock);
        Assert.Null(ConfigFileLoader.Parse(ConfigFileWriter.ToJson(ConfigFileLoader.Parse(Encoding.UTF8.GetBytes("""
            { "portals": ["127.0.0.1:3260"], "targets": [ { "iqn": "iqn.2026-12.org.example:plain", "luns": [ "memory:1M" ] } ] }
            """), "plain.json")), "saved.json").Alua);
    }

    [Fact]
    public void Flags_OverrideTheFilesGroup_AndAddPeers()
    {
        ServeConfiguration file = ConfigFileLoader.Parse(Encoding.UTF8.GetBytes("""
            { "alua": { "tpg": "1=standby", "peerTpgs": ["2", "3=unavailable"] },
              "targets": [ { "iqn": "iqn.2026-12.org.example:ceph", "luns": [ "memory:1M" ] } ] }
            """), "test.json");

        ServeConfiguration config = ServeConfigurationBuilder.Build(file, new ServeFlags { Tpg = new TpgSpec(4, null), PeerTpgs = [new TpgSpec(2, AsymmetricAccessState.Standby)] });

        Assert.Equal(new TpgSpec(4, null), config.Alua!.Local);
        Assert.Equal([new TpgSpec(3, AsymmetricAccessState.Unavailable), new TpgSpec(2, AsymmetricAccessState.Standby)], config.Alua.Peers);
        Assert.Equal(AsymmetricAccessState.ActiveOptimized, config.Alua.LocalState);
        Assert.True(ServeConfigurationValidator.Validate(config, 1L << 40).IsValid);
    }

    [Fact]
    public void Config_BadTpg_NamesTheFileAndTheKey()
    {
        var e = Assert.Throws<CliException>(() => ConfigFileLoader.Parse(Encoding.UTF8.GetBytes("""{ "alua": { "tpg": "1=maybe" } }"""), "gw.json"));

        Assert.Equal(2, e.ExitCode);
        Assert.StartsWith("gw.json: alua.tpg '1=maybe': unknown state", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FollowLock_OverAFileLun_OrWithAnActiveOptimizedTpg_IsRefused()
    {
        ServeConfiguration config = ServeConfigurationBuilder.Build(null, new ServeFlags
        {
            Luns = [Lun("memory:1M")],
            Tpg = new TpgSpec(1, AsymmetricAccessState.ActiveOptimized),
            AluaFollowLock = true,
        });

        var errors = ServeConfigurationValidator.Validate(config, 1L << 40).Errors;

        Assert.Contains(errors, e => e.Contains("--alua-follow-lock needs writable rbd: LUNs", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("--tpg 1=active-optimized: with --alua-follow-lock", StringComparison.Ordinal));
    }

    [Fact]
    public void FollowLock_WithoutAState_IsStandbyWhileNotOwning_ForThisGatewayAndItsPeers()
    {
        ServeConfiguration config = ServeConfigurationBuilder.Build(null, new ServeFlags
        {
            Luns = [Lun("rbd:rbd/lun0")],
            Tpg = new TpgSpec(1, null),
            PeerTpgs = [new TpgSpec(2, null), new TpgSpec(3, AsymmetricAccessState.ActiveNonOptimized)],
            AluaFollowLock = true,
        });

        Assert.Equal(AsymmetricAccessState.Standby, config.Alua!.LocalState);
        Assert.Equal(AsymmetricAccessState.Standby, config.Alua.PeerState(config.Alua.Peers[0]));
        Assert.Equal(AsymmetricAccessState.ActiveNonOptimized, config.Alua.PeerState(config.Alua.Peers[1]));
        Assert.True(ServeConfigurationValidator.Validate(config, 1L << 40).IsValid);
    }

    [Fact]
    public void PeersWithoutTpg_AndAPeerRepeatingTheLocalGroup_AreRefused()
    {
        ServeConfiguration noLocal = ServeConfigurationBuilder.Build(null, new ServeFlags { PeerTpgs = [new TpgSpec(2, null)] });
        ServeConfiguration same = ServeConfigurationBuilder.Build(null, new ServeFlags { Tpg = new TpgSpec(2, null), PeerTpgs = [new TpgSpec(2, null)] });

        Assert.Contains("need --tpg N", Assert.Single(ServeConfigurationValidator.Validate(noLocal, 1L << 40).Errors), StringComparison.Ordinal);
        Assert.Contains("given twice", Assert.Single(ServeConfigurationValidator.Validate(same, 1L << 40).Errors), StringComparison.Ordinal);
    }

    private static LunConfig Lun(string spec) => LunSpecParser.TryParse(spec, out var lun, out var error) ? lun! : throw new ArgumentException(error);
}
