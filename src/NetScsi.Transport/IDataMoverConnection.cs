namespace NetScsi.Transport;

/// <summary>
/// One data mover connection under an iSCSI connection (RFC 5047 §7, after Solaris IDM's transport operations):
/// the operations both sides use. <see cref="ITargetDataMover"/> and <see cref="IInitiatorDataMover"/> add each
/// side's data operations and its receive side with the upcalls. Control PDUs flow through it from the first Login
/// PDU on, so a mover with no byte stream (RDMA) carries the whole connection.
/// </summary>
/// <remarks>
/// The sending operations are not thread-safe: the protocol engine serializes them (one writer at a time) and they
/// buffer until <see cref="FlushAsync"/>. Receiving runs on the mover's own loop (each side's <c>RunAsync</c>).
/// </remarks>
public interface IDataMoverConnection : IAsyncDisposable
{
    /// <summary>The transport's name ("tcp", "memory", ...).</summary>
    string Kind { get; }

    /// <summary>The peer's address without port ("192.0.2.7", "2001:db8::7", a MAC), for logs and per-address limits.</summary>
    string PeerAddress { get; }

    /// <summary>The connection as logs name it ("192.0.2.7:51234").</summary>
    string RemoteName { get; }

    /// <summary>What the login may negotiate over this mover (RFC 5047 key declarations).</summary>
    DataMoverCapabilities Capabilities { get; }

    /// <summary>Where the connection's task data buffers come from (RFC 5047 Allocate_Task_Resources).</summary>
    DataBufferPool BufferPool { get; }

    /// <summary>Counts the times input arrived; idle detection (NOP pings) compares it over time.</summary>
    long ReceiveCount { get; }

    /// <summary>
    /// Counts sends that completed or started after another completed (flushes, pieces sent from storage); a peer that
    /// stopped reading leaves it still while output waits (the target's output limit compares it over time).
    /// </summary>
    long SendCount { get; }

    /// <summary>RFC 5047 Send_Control: buffers one control PDU, its BHS (AHS included) encoded, with its data segment.</summary>
    void SendControl(ReadOnlySpan<byte> header, ReadOnlySpan<byte> data);

    /// <summary>Sends what the sending operations buffered. False when the connection can no longer send (closed).</summary>
    ValueTask<bool> FlushAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// RFC 5047 Notice_Key_Values and Enable_Datamover at the end of a successful login: <paramref name="negotiated"/>
    /// holds every key the login settled (for movers with keys of their own, RFC 7145 §6), <paramref name="parameters"/>
    /// what a mover needs. From the next PDU on, each side frames with these (digests, segment lengths).
    /// </summary>
    void EnableDatamover(in DataMoverParameters parameters, IReadOnlyList<KeyValuePair<string, string>> negotiated);

    /// <summary>RFC 5047 Connection_Terminate: tears the connection down now; pending I/O fails, the receive side ends.</summary>
    void Terminate();
}
