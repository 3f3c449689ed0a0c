using System.Runtime.CompilerServices;
using NetScsi.Iscsi.Initiator;
using NetScsi.Transport.Aoe.Client;

namespace NetScsi.Cli.Bench;

/// <summary>What a bench worker drives: an iSCSI LUN (over one session or several paths)'s LUN or an AoE device, in the LUN's blocks.</summary>
internal interface IBenchTarget
{
    /// <summary>Reads into <paramref name="buffer"/>.</summary>
    ValueTask ReadAsync(ulong lba, uint blocks, Memory<byte> buffer, CancellationToken cancellationToken);

    ValueTask WriteAsync(ulong lba, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
}

/// <summary>An iSCSI target whose reads can also land in arrays the session rents (<c>--buffers pooled</c>).</summary>
internal interface IPooledReadBenchTarget : IBenchTarget
{
    ValueTask ReadPooledAsync(ulong lba, uint blocks, CancellationToken cancellationToken);
}

internal sealed class IscsiBenchTarget(IScsiBlockIo session, ulong lun) : IPooledReadBenchTarget
{
    public ValueTask ReadAsync(ulong lba, uint blocks, Memory<byte> buffer, CancellationToken cancellationToken) =>
        session.ReadAsync(lun, lba, blocks, buffer, cancellationToken);

    public ValueTask WriteAsync(ulong lba, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        session.WriteAsync(lun, lba, data, fua: false, cancellationToken);

    // Pooled builder: the state machine is reused, so the adapter adds no allocation per I/O.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ReadPooledAsync(ulong lba, uint blocks, CancellationToken cancellationToken) =>
        (await session.ReadPooledAsync(lun, lba, blocks, cancellationToken).ConfigureAwait(false)).Dispose();
}

/// <summary>An AoE device (512-octet blocks; its reads always land in the worker's buffer).</summary>
internal sealed class AoeBenchTarget(AoeDevice device) : IBenchTarget
{
    public ValueTask ReadAsync(ulong lba, uint blocks, Memory<byte> buffer, CancellationToken cancellationToken) =>
        device.ReadAsync(lba, buffer, cancellationToken);

    public ValueTask WriteAsync(ulong lba, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        device.WriteAsync(lba, data, cancellationToken);
}
