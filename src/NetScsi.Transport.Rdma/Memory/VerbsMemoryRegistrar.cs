using System.Runtime.InteropServices;
using NetScsi.Transport.Rdma.Verbs;

namespace NetScsi.Transport.Rdma.Memory;

/// <summary>Registers memory with a protection domain through ibv_reg_mr.</summary>
internal sealed unsafe class VerbsMemoryRegistrar(nint protectionDomain) : IRdmaMemoryRegistrar
{
    public RdmaMemoryRegion Register(nint address, nuint length)
    {
        nint mr = VerbsNative.RegisterMemory(protectionDomain, (void*)address, length,
            IbvAccess.LocalWrite | IbvAccess.RemoteWrite | IbvAccess.RemoteRead);
        if (mr == 0)
        {
            throw new IOException($"ibv_reg_mr of {length} bytes failed: {Marshal.GetLastPInvokeErrorMessage()}");
        }

        return new RdmaMemoryRegion(mr, *(uint*)(mr + VerbsOffsets.MrLocalKey), *(uint*)(mr + VerbsOffsets.MrRemoteKey));
    }

    public void Deregister(RdmaMemoryRegion region)
    {
        int rc = VerbsNative.DeregisterMemory(region.Handle);
        if (rc != 0)
        {
            throw new IOException($"ibv_dereg_mr failed: errno {rc}");
        }
    }
}
