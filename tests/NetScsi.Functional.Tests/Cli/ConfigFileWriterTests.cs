using System.Text;
using NetScsi.Cli.Configuration;

namespace NetScsi.Functional.Tests.Cli;

public sealed class ConfigFileWriterTests
{
    private static ServeConfiguration Parse(string json) => ConfigFileLoader.Parse(Encoding.UTF8.GetBytes(json), "t.json");

    [Fact]
    public void Written_ThenRead_GivesTheSameConfiguration_WithEveryProperty()
    {
        var original = Parse("""
            {
              "portals": ["127.0.0.1:3260", "[::1]:3261"],
              "queueDepth": 64,
              "maxConnections": 2,
              "logLevel": "debug",
              "metrics": "127.0.0.1:9464",
              "discoveryChap": { "user": "seeker", "secret": "discovery-secret-1" },
              "limits": { "maxSessionsPerTarget": 7, "outputStallTimeoutSeconds": 0 },
              "targets": [
                {
                  "iqn": "iqn.2026-11.org.example:disk1",
                  "alias": "Disk one",
                  "luns": [
                    { "lun": 2, "file": "/var/lib/netscsi/a.img", "size": "1G", "blockSize": 4096, "readOnly": true, "removable": true, "createDirs": true },
                    { "lun": 0, "memory": "64M", "sparse": true, "slot": 9, "macMask": ["02:00:5e:10:00:01"], "configString": "rack 4" },
                    { "lun": 5, "rbd": "rbd/lun5", "conf": "/etc/ceph/ceph.conf", "id": "iscsi" }
                  ],
                  "chap": { "user": "alice", "secret": "alice-secret-12" },
                  "mutualChap": { "user": "target", "secret": "target-secret-12" },
                  "acls": [ { "initiator": "iqn.2026-11.org.example:host1", "luns": [0, 2], "chap": { "user": "h1", "secret": "host1-secret-12" } } ]
                }
              ]
            }
            """);

        var json = ConfigFileWriter.ToJson(original);
        var again = ConfigFileLoader.Parse(json, "saved.json");

        Assert.Equal(Encoding.UTF8.GetString(json), Encoding.UTF8.GetString(ConfigFileWriter.ToJson(again)));
        var lun = again.Targets[0].Luns[0];
        Assert.Equal((2, LunKind.File, "/var/lib/netscsi/a.img", 1L << 30, 4096, true, true, true),
            (lun.Number!.Value, lun.Kind, lun.Path, lun.SizeBytes!.Value, lun.BlockSize, lun.ReadOnly, lun.Removable, lun.CreateDirectories));
        Assert.True(again.Targets[0].Luns[1].Sparse);
        Assert.Equal(["02:00:5e:10:00:01"], again.Targets[0].Luns[1].AoeMacMask!.Select(m => m.ToString()));
        Assert.Equal("rack 4", again.Targets[0].Luns[1].AoeConfigString);
        Assert.Equal(2, again.MaxConnections);
        Assert.Equal(("rbd", "lun5", "iscsi"), (again.Targets[0].Luns[2].RbdPool, again.Targets[0].Luns[2].RbdImage, again.Targets[0].Luns[2].RbdClientId));
        Assert.Equal("host1-secret-12", again.Targets[0].Acls[0].Chap!.Secret);
        Assert.Equal(7, again.Limits.MaxSessionsPerTarget);
        Assert.Equal(TimeSpan.Zero, again.Limits.OutputStallTimeout);
        Assert.Equal("seeker", again.DiscoveryChap!.User);
    }
}
