namespace NetScsi.Transport.Rdma.Loopback;

/// <summary>
/// An in-process RDMA fabric: <see cref="CreatePair"/> gives two connected queue pairs whose SENDs, RDMA WRITEs and
/// RDMA READs are carried out by memory copies when posted, with the completions and errors a reliable connected queue
/// pair would report. It lets the iSER mover's state machine and framing run without a device or a VM.
/// </summary>
public static class LoopbackRdmaFabric
{
    /// <summary>Two connected queue pairs, each with its own protection domain.</summary>
    public static (LoopbackQueuePair Initiator, LoopbackQueuePair Target) CreatePair()
    {
        var initiator = new LoopbackQueuePair(new LoopbackMemoryRegistrar(0x1000));
        var target = new LoopbackQueuePair(new LoopbackMemoryRegistrar(0x8000));
        initiator.Connect(target);
        target.Connect(initiator);
        return (initiator, target);
    }
}
