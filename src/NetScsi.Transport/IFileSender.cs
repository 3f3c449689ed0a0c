using Microsoft.Win32.SafeHandles;

namespace NetScsi.Transport;

/// <summary>
/// Optional capability of a stream data mover: RFC 5047 Put_Data straight from a file. A PDU header goes
/// out followed by a byte range of an open file that the kernel moves itself (sendfile(2)), so read data
/// never passes through a user-space buffer.
/// </summary>
public interface IFileSender
{
    /// <summary>
    /// Sends <paramref name="header"/> and then <paramref name="length"/> bytes of <paramref name="file"/> starting at
    /// <paramref name="offset"/>. The caller owns the send side for the whole call: everything it wrote to
    /// <see cref="IDataMoverConnection.Transport"/>'s output is flushed, and nothing else sends until this completes.
    /// </summary>
    /// <exception cref="IOException">The connection failed, or the file could not be read (the connection is then unusable).</exception>
    ValueTask SendFileAsync(ReadOnlyMemory<byte> header, SafeFileHandle file, long offset, int length, CancellationToken cancellationToken = default);
}
