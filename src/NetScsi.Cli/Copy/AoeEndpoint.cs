using NetScsi.Cli.Initiator;
using NetScsi.Transport.Aoe.Ata;
using NetScsi.Transport.Aoe.Client;

namespace NetScsi.Cli.Copy;

/// <summary>
/// An AoE device (<c>aoe://IFACE/SHELF.SLOT</c>) over its own socket: 512-octet sectors, each chunk split into frames
/// that fly together. AoE has no WRITE SAME or UNMAP to make a range read as zeros (its targets take ATA commands, and
/// the client sends no TRIM), so all-zero ranges are written as data (<see cref="ZeroMethod.Data"/>).
/// </summary>
internal sealed class AoeEndpoint : ICopyEndpoint
{
    private readonly AoeDevice _device;

    private AoeEndpoint(AoeDevice device)
    {
        _device = device;
        Name = device.ToString();
        Length = checked((long)device.SectorCount * AoeDevice.SectorSize);
    }

    public string Name { get; }

    public long Length { get; }

    public int BlockSize => AoeDevice.SectorSize;

    /// <summary>Opens the device (Query Config, IDENTIFY) as <see cref="AoeTargets.OpenAsync"/> does for every command.</summary>
    public static async Task<AoeEndpoint> OpenAsync(string spec, InitiatorSettings settings, CancellationToken cancellationToken) =>
        new(await AoeTargets.OpenAsync(spec, settings, cancellationToken).ConfigureAwait(false));

    public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken) =>
        _device.ReadAsync((ulong)(offset / BlockSize), buffer, cancellationToken);

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        _device.WriteAsync((ulong)(offset / BlockSize), data, cancellationToken);

    public async ValueTask<ZeroMethod> WriteZerosAsync(long offset, long length, CancellationToken cancellationToken)
    {
        await CopyEndpoints.WriteZeroDataAsync(this, offset, length, cancellationToken).ConfigureAwait(false);
        return ZeroMethod.Data;
    }

    public ValueTask PrepareDestinationAsync(long length, CancellationToken cancellationToken)
    {
        CopyEndpoints.EnsureFits(length, Length, Name);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// FLUSH CACHE (EXT): the target's volatile cache to its medium before the copy reports success. A device that aborts
    /// it has no flush to offer (vblade: its writes are as durable as its <c>-s</c> or <c>-d</c> makes them); that is not
    /// a failure, as a LUN's refusal of SYNCHRONIZE CACHE is not.
    /// </summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _device.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AoeException e) when (e.AtaError is { } error && error.HasFlag(AtaError.Abort))
        {
            // Not supported: nothing more to do.
        }
    }

    public ValueTask DisposeAsync() => _device.DisposeAsync();
}
