using NetScsi.Scsi;
using NetScsi.Scsi.Storage;

namespace NetScsi.Transport.Tcp;

/// <summary>
/// A target's data mover on a TCP connection: the stream mover, with read data that is still in a file in memory
/// sent by sendfile(2) straight from the file (no copy through user memory).
/// </summary>
internal sealed class TcpTargetDataMover : StreamTargetDataMover
{
    private readonly TcpStream _stream;

    public TcpTargetDataMover(TcpStream stream)
        : base(stream.Pipe, TcpTransport.TransportName, stream.PeerAddress, stream.RemoteName)
    {
        _stream = stream;
    }

    /// <summary>The byte stream under the mover.</summary>
    internal TcpStream Stream => _stream;

    /// <summary>Our end: the address the initiator reached (SendTargets reports it for wildcard portals).</summary>
    public System.Net.IPEndPoint? LocalEndPoint => _stream.LocalEndPoint;

    /// <inheritdoc/>
    /// <remarks>A data digest needs every byte in hand, so only without one; and only where sendfile exists (Linux).</remarks>
    public override bool PrefersStoredDataIn => !Parameters.DataDigest && SocketInterop.IsSupported;

    protected override ValueTask SendStoredDataInAsync(ReadOnlyMemory<byte> header, StoredData stored, int offset, int length)
    {
        if (stored.Source is IFileDataSource file && !Parameters.DataDigest)
        {
            // Every holder of the send side flushes before giving it up, so the pipe is empty: header and data go
            // out through the socket directly, in order.
            return _stream.SendFileAsync(header, file.File, stored.Offset + offset, length);
        }
        return base.SendStoredDataInAsync(header, stored, offset, length);
    }

    protected override void AbortStream() => _stream.Abort();

    protected override ValueTask CloseStreamAsync() => _stream.DisposeAsync();
}
