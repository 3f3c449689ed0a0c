namespace NetScsi.IpOverScsi;

/// <summary>
/// The local end of an IP over SCSI link: where the host's IP stack hands datagrams to the link and takes them back
/// (a Linux TUN interface; an in-memory port in tests). One reader thread, many writers.
/// </summary>
public interface IDatagramPort : IDisposable
{
    /// <summary>The interface name (e.g. <c>scsi0</c>).</summary>
    string Name { get; }

    /// <summary>Largest datagram the port hands out or takes.</summary>
    int Mtu { get; }

    /// <summary>
    /// Waits for the next datagram the IP stack sends and copies it into <paramref name="buffer"/> (at least
    /// <see cref="Mtu"/> bytes); returns its length. Throws <see cref="OperationCanceledException"/> once
    /// <paramref name="cancellationToken"/> is cancelled. Blocks the calling thread: call it from a thread of its own.
    /// </summary>
    int Receive(Span<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Hands a datagram to the IP stack; false when the stack would not take it now (counted, dropped).</summary>
    bool TrySend(ReadOnlySpan<byte> datagram);
}
