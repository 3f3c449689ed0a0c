using NetScsi.Scsi.Emulation;

namespace NetScsi.Scsi.Tests.Emulation;

/// <summary>Runs CDBs against any logical unit through a <see cref="ScsiTargetDevice"/> that maps it at LUN 0.</summary>
internal sealed class UnitHarness(ScsiLogicalUnit unit)
{
    public ScsiLogicalUnit Unit { get; } = unit;

    public ScsiTargetDevice Device { get; } = new([new KeyValuePair<int, ILogicalUnit>(0, unit)]);

    /// <summary>A harness whose power-on unit attention has been consumed on the default nexus (and on <paramref name="others"/>).</summary>
    public static async Task<UnitHarness> StartAsync(ScsiLogicalUnit unit, params ItNexus[] others)
    {
        var harness = new UnitHarness(unit);
        foreach (ItNexus nexus in (ItNexus[])[LuHarness.DefaultNexus, .. others])
        {
            ScsiTask tur = await harness.RunAsync(Cdbs.TestUnitReady(), nexus: nexus);
            Assert.Equal(SenseKey.UnitAttention, LuHarness.SenseOf(tur).Key);
        }
        return harness;
    }

    public async Task<ScsiTask> RunAsync(byte[] cdb, int dataIn = 0, byte[]? dataOut = null, ItNexus? nexus = null)
    {
        ScsiTask task = LuHarness.NewTask(cdb, dataIn, dataOut, nexus);
        task.Lun = ScsiTargetDevice.EncodeLun(0);
        await Device.ExecuteAsync(task, CancellationToken.None);
        return task;
    }
}
