namespace NetScsi.Transport.Rdma.Memory;

/// <summary>
/// A registration of memory with the RDMA device (an <c>ibv_mr</c>): the local key that work requests name it by, and
/// the remote key (STag) a peer names it by in RDMA READ and WRITE.
/// </summary>
/// <param name="Handle">The registration (the <c>ibv_mr*</c>, or a fake's id).</param>
/// <param name="LocalKey">lkey.</param>
/// <param name="RemoteKey">rkey: the STag the iSER header advertises.</param>
public readonly record struct RdmaMemoryRegion(nint Handle, uint LocalKey, uint RemoteKey);
