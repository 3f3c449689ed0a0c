namespace NetScsi.Scsi;

/// <summary>
/// Read data a logical unit left where its storage holds it instead of copying it into <see cref="ScsiTask.Buffer"/>:
/// <paramref name="Length"/> bytes of <paramref name="Source"/> from <paramref name="Offset"/>. A transport that can
/// send straight from that storage does (a file in memory through sendfile(2)); any other reads the bytes out with
/// <see cref="IStoredDataSource.Read"/>. Zero copy without the task knowing what the storage is.
/// </summary>
/// <param name="Source">The storage (the block device itself: no object per read).</param>
/// <param name="Offset">Byte offset of the data in <paramref name="Source"/>.</param>
/// <param name="Length">Bytes of data.</param>
public readonly record struct StoredData(IStoredDataSource Source, long Offset, int Length);

/// <summary>Storage whose bytes a transport may take itself (<see cref="StoredData"/>).</summary>
public interface IStoredDataSource
{
    /// <summary>Copies bytes at <paramref name="offset"/> into <paramref name="destination"/> (all of it: the range exists).</summary>
    /// <exception cref="IOException">The storage could not be read.</exception>
    void Read(long offset, Span<byte> destination);
}
