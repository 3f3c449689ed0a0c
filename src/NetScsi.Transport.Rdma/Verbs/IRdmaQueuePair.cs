using NetScsi.Transport.Rdma.Memory;

namespace NetScsi.Transport.Rdma.Verbs;

/// <summary>
/// One connected reliable queue pair with its completion queue: the verbs the iSER mover is written against, so that
/// its state machine and framing run over the in-process loopback fake as over libibverbs. Buffers are named by
/// address and local key of a registration made with <see cref="Registrar"/>; remote buffers by address and STag.
/// </summary>
/// <remarks>
/// Posting never blocks and never waits for the peer. Each work request completes exactly once (success, error or
/// flush); receives only when a SEND lands or the queue pair is flushed.
/// </remarks>
public interface IRdmaQueuePair : IDisposable
{
    /// <summary>Registers memory in this queue pair's protection domain.</summary>
    IRdmaMemoryRegistrar Registrar { get; }

    /// <summary>Posts a buffer for the peer's next SEND (ibv_post_recv).</summary>
    void PostReceive(ulong workRequestId, nint address, int length, uint localKey);

    /// <summary>SENDs [address, address + length) to the peer's oldest posted receive (ibv_post_send, IBV_WR_SEND).</summary>
    void PostSend(ulong workRequestId, nint address, int length, uint localKey);

    /// <summary>RDMA WRITEs local bytes into the peer's registered memory (Put_Data).</summary>
    void PostRdmaWrite(ulong workRequestId, nint address, int length, uint localKey, ulong remoteAddress, uint remoteKey);

    /// <summary>RDMA READs the peer's registered memory into local bytes (Get_Data).</summary>
    void PostRdmaRead(ulong workRequestId, nint address, int length, uint localKey, ulong remoteAddress, uint remoteKey);

    /// <summary>Takes completions that are ready (ibv_poll_cq); never blocks.</summary>
    int PollCompletions(Span<RdmaCompletion> completions);

    /// <summary>
    /// Waits until a completion is ready (arm, re-poll, then sleep on the completion channel: no busy polling).
    /// Returns at once if one already is.
    /// </summary>
    ValueTask WaitForCompletionAsync(CancellationToken cancellationToken);

    /// <summary>Whether the connection is down (disconnected by either side, or a fatal completion error).</summary>
    bool IsInError { get; }

    /// <summary>rdma_disconnect: both sides' queue pairs go to the error state and flush what is posted.</summary>
    void Disconnect();
}
