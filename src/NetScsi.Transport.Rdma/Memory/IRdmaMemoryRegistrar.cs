namespace NetScsi.Transport.Rdma.Memory;

/// <summary>
/// Registers memory with one protection domain: the verbs (ibv_reg_mr) or the in-process loopback fake. The memory
/// is native and stays where it is until deregistered; GC memory must never be registered (it may move).
/// </summary>
public interface IRdmaMemoryRegistrar
{
    /// <summary>Registers [address, address + length) for local writes and remote reads and writes.</summary>
    /// <exception cref="IOException">The device refused (out of registrations or pinnable memory).</exception>
    RdmaMemoryRegion Register(nint address, nuint length);

    void Deregister(RdmaMemoryRegion region);
}
