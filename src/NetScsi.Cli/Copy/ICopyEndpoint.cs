namespace NetScsi.Cli.Copy;

/// <summary>One side of <c>netscsi copy</c>: a LUN, an AoE device or a local file/block device, addressed in bytes.</summary>
internal interface ICopyEndpoint : IAsyncDisposable
{
    /// <summary>What to call it in messages (a URL without secrets, or the path).</summary>
    string Name { get; }

    /// <summary>Size in bytes (capacity for a LUN, an AoE device or a block device, file length for a file).</summary>
    long Length { get; }

    /// <summary>Writes and zero ranges must be multiples of this (the LUN's block size, 512 for AoE; 1 for a file).</summary>
    int BlockSize { get; }

    /// <summary>Reads exactly buffer.Length bytes at offset (zeros past the end of a file).</summary>
    ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken);

    ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Makes a range read as zeros, as cheaply as the endpoint allows; returns how it did it.</summary>
    ValueTask<ZeroMethod> WriteZerosAsync(long offset, long length, CancellationToken cancellationToken);

    /// <summary>Prepares to receive <paramref name="length"/> bytes (a file is truncated to that size).</summary>
    ValueTask PrepareDestinationAsync(long length, CancellationToken cancellationToken);

    ValueTask FlushAsync(CancellationToken cancellationToken);
}

/// <summary>How an all-zero range reached the destination.</summary>
internal enum ZeroMethod
{
    /// <summary>WRITE SAME(16) with the UNMAP bit and one zero block.</summary>
    WriteSameUnmap,

    /// <summary>UNMAP of a unit whose deallocated blocks read as zeros (LBPRZ).</summary>
    Unmap,

    /// <summary>A hole left in a freshly truncated local file.</summary>
    Hole,

    /// <summary>
    /// Zeros written as ordinary data: no cheaper way (a block device, an AoE device, which has no WRITE SAME or
    /// UNMAP, or a LUN that refuses both).
    /// </summary>
    Data,
}
