using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;
using NetScsi.Transport.Aoe.Ata;
using NetScsi.Transport.Aoe.Client;
using NetScsi.Transport.Ethernet;

namespace NetScsi.Transport.Aoe.Tests.Client;

/// <summary>
/// The client against an <see cref="AoeTarget"/> on a simulated segment (no sockets): what a caller learns from a
/// command the device refuses.
/// </summary>
public sealed class AoeDeviceFailureTests : IAsyncLifetime
{
    private const ushort Shelf = 5;
    private const byte ReadOnlySlot = 2;

    private readonly SimulatedSegment _segment = new(9000);
    private AoeTarget _target = null!;

    public async Task InitializeAsync()
    {
        var unit = new BlockLogicalUnit(new MemoryBlockDevice(1024 * 512, 512, readOnly: true, identity: "mem:aoe-ro"), new LogicalUnitOptions());
        _target = await AoeTarget.StartAsync(_segment.CreatePort("target"), Shelf, [new AoeSlotDefinition(ReadOnlySlot, unit)], new AoeTargetOptions());
    }

    public async Task DisposeAsync() => await _target.DisposeAsync();

    [Fact]
    public async Task AnAbortedWrite_FailsWithTheAtaAbortError_NotATimeout()
    {
        await using var device = await AoeDevice.OpenAsync(_segment.CreatePort("client"), Shelf, ReadOnlySlot,
            new AoeClientOptions { Timeout = TimeSpan.FromSeconds(5) }, CancellationToken.None);

        var refused = await Assert.ThrowsAsync<AoeException>(() => device.WriteAsync(8, new byte[1024]).AsTask());
        Assert.Equal(AtaError.Abort, refused.AtaError);
        Assert.False(refused.IsTimeout);
        Assert.Contains("WRITE of 2 sectors at LBA 8", refused.Message);

        // The device is still usable, and a command it carries out has no error.
        await device.ReadAsync(8, new byte[1024]);
        await device.FlushAsync();
    }
}
