namespace NetScsi.Iscsi.Initiator;

/// <summary>
/// Block I/O on a target's logical units: what a workload needs, whether it runs over one session
/// (<see cref="IscsiSession"/>) or over several paths to the same LUN (<see cref="Multipath.MultipathSession"/>).
/// </summary>
public interface IScsiBlockIo
{
    /// <summary>READ of <paramref name="blocks"/> blocks at <paramref name="lba"/> into <paramref name="buffer"/>; throws unless GOOD.</summary>
    ValueTask ReadAsync(ulong lun, ulong lba, uint blocks, Memory<byte> buffer, CancellationToken cancellationToken = default);

    /// <summary>READ into an array rented as the data arrives; dispose the result to give it back.</summary>
    ValueTask<PooledReadBuffer> ReadPooledAsync(ulong lun, ulong lba, uint blocks, CancellationToken cancellationToken = default);

    /// <summary>WRITE of <paramref name="data"/> (whole blocks) at <paramref name="lba"/>; throws unless GOOD.</summary>
    ValueTask WriteAsync(ulong lun, ulong lba, ReadOnlyMemory<byte> data, bool fua = false, CancellationToken cancellationToken = default);

    /// <summary>READ CAPACITY: block count and size.</summary>
    Task<ReadCapacityResult> ReadCapacityAsync(ulong lun, CancellationToken cancellationToken = default);
}
