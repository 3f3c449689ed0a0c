using NetScsi.Cli.Configuration;
using NetScsi.Cli.Hosting;
using NetScsi.Scsi.Emulation;

namespace NetScsi.Functional.Tests.Cli;

/// <summary>TargetFactory's persistent reservation state file: "&lt;backing file&gt;.pr" for file LUNs.</summary>
public sealed class TargetFactoryReservationStateTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("netscsi-factory-pr-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private ServeConfiguration Configuration(LunConfig lun) =>
        ServeConfigurationBuilder.Build(null, new ServeFlags { Luns = [lun] });

    private LunConfig FileLun() => new() { Kind = LunKind.File, Path = Path.Combine(_directory, "lun0.img"), SizeBytes = 1 << 20 };

    [Fact]
    public async Task FileLun_CorruptReservationStateFile_FailsStartupNamingTheFile()
    {
        string statePath = Path.Combine(_directory, "lun0.img.pr");
        await File.WriteAllTextAsync(statePath, "{ not json");

        var e = await Assert.ThrowsAsync<CliException>(() => TargetFactory.BuildAsync(Configuration(FileLun())));

        Assert.Contains(statePath, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("lun 0: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FileLun_ValidReservationStateFile_IsLoaded()
    {
        string statePath = Path.Combine(_directory, "lun0.img.pr");
        await File.WriteAllTextAsync(statePath, """
            {"format":"netscsi-persistent-reservations","version":1,
             "registrants":[{"initiatorName":"iqn.a","initiatorPortName":"iqn.a,i,0x000000000001","relativeTargetPortId":1,"key":"0x00000000000000aa"}],
             "reservation":{"type":3,"scope":0,"holder":0}}
            """);

        BuiltTarget built = await TargetFactory.BuildAsync(Configuration(FileLun()));
        try
        {
            var unit = Assert.IsType<BlockLogicalUnit>(Assert.Single(built.Options.Targets[0].Luns).Unit);
            Assert.Equal(PersistentReservationType.ExclusiveAccess, unit.PersistentReservation);
        }
        finally
        {
            foreach (var device in built.Devices)
            {
                await device.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task MemoryLun_IgnoresAnyStateFile()
    {
        BuiltTarget built = await TargetFactory.BuildAsync(Configuration(new LunConfig { Kind = LunKind.Memory, SizeBytes = 1 << 20 }));
        try
        {
            var unit = Assert.IsType<BlockLogicalUnit>(Assert.Single(built.Options.Targets[0].Luns).Unit);
            Assert.Equal(PersistentReservationType.None, unit.PersistentReservation);
        }
        finally
        {
            foreach (var device in built.Devices)
            {
                await device.DisposeAsync();
            }
        }
    }
}
