using System.Runtime.InteropServices;

namespace NetScsi.Transport.Rdma.Verbs;

// libibverbs' wire-up structures, x86-64, rdma-core 44 (Debian 12, the rdma-guest's and this host's version). The
// offsets were measured with offsetof() against <infiniband/verbs.h> (see docs/iser.md); the tests assert the sizes.
// Only the fields the mover uses are declared; the rest stay zero.

/// <summary><c>struct ibv_sge</c>: one piece of registered memory in a work request.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal struct IbvSge
{
    [FieldOffset(0)] public ulong Address;
    [FieldOffset(8)] public uint Length;
    [FieldOffset(12)] public uint LocalKey;
}

/// <summary><c>struct ibv_send_wr</c>: a SEND, RDMA WRITE or RDMA READ.</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal unsafe struct IbvSendWr
{
    [FieldOffset(0)] public ulong WorkRequestId;
    [FieldOffset(8)] public IbvSendWr* Next;
    [FieldOffset(16)] public IbvSge* ScatterGatherList;
    [FieldOffset(24)] public int ScatterGatherCount;
    [FieldOffset(28)] public IbvWrOpcode Opcode;
    [FieldOffset(32)] public IbvSendFlags SendFlags;
    [FieldOffset(36)] public uint InvalidateRemoteKey;
    [FieldOffset(40)] public ulong RemoteAddress;
    [FieldOffset(48)] public uint RemoteKey;
}

/// <summary><c>struct ibv_recv_wr</c>: a buffer posted for the peer's next SEND.</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
internal unsafe struct IbvRecvWr
{
    [FieldOffset(0)] public ulong WorkRequestId;
    [FieldOffset(8)] public IbvRecvWr* Next;
    [FieldOffset(16)] public IbvSge* ScatterGatherList;
    [FieldOffset(24)] public int ScatterGatherCount;
}

/// <summary><c>struct ibv_wc</c>: one work completion.</summary>
[StructLayout(LayoutKind.Explicit, Size = 48)]
internal struct IbvWc
{
    [FieldOffset(0)] public ulong WorkRequestId;
    [FieldOffset(8)] public int Status;
    [FieldOffset(12)] public IbvWcOpcode Opcode;
    [FieldOffset(16)] public uint VendorError;
    [FieldOffset(20)] public uint ByteLength;
    [FieldOffset(28)] public uint QueuePairNumber;
}

/// <summary><c>struct ibv_qp_init_attr</c> with its <c>struct ibv_qp_cap</c> at +32.</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal struct IbvQpInitAttr
{
    [FieldOffset(0)] public nint QpContext;
    [FieldOffset(8)] public nint SendCq;
    [FieldOffset(16)] public nint RecvCq;
    [FieldOffset(24)] public nint SharedReceiveQueue;
    [FieldOffset(32)] public uint MaxSendWr;
    [FieldOffset(36)] public uint MaxRecvWr;
    [FieldOffset(40)] public uint MaxSendSge;
    [FieldOffset(44)] public uint MaxRecvSge;
    [FieldOffset(48)] public uint MaxInlineData;
    [FieldOffset(52)] public int QpType;
    [FieldOffset(56)] public int SignalAll;
}

/// <summary><c>struct rdma_conn_param</c> (librdmacm): private data and the RDMA READ depths of connect and accept.</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
internal struct RdmaConnParam
{
    [FieldOffset(0)] public nint PrivateData;
    [FieldOffset(8)] public byte PrivateDataLength;
    [FieldOffset(9)] public byte ResponderResources;
    [FieldOffset(10)] public byte InitiatorDepth;
    [FieldOffset(11)] public byte FlowControl;
    [FieldOffset(12)] public byte RetryCount;
    [FieldOffset(13)] public byte RnrRetryCount;
    [FieldOffset(14)] public byte Srq;
    [FieldOffset(16)] public uint QpNumber;
}

/// <summary><c>enum ibv_wr_opcode</c> (the ones iSER uses).</summary>
internal enum IbvWrOpcode
{
    RdmaWrite = 0,
    Send = 2,
    RdmaRead = 4,
    SendWithInvalidate = 9,
}

/// <summary><c>enum ibv_wc_opcode</c> (the ones iSER sees).</summary>
internal enum IbvWcOpcode
{
    Send = 0,
    RdmaWrite = 1,
    RdmaRead = 2,
    Receive = 128,
}

[Flags]
internal enum IbvSendFlags
{
    None = 0,
    Signaled = 2,
}

[Flags]
internal enum IbvAccess
{
    LocalWrite = 1,
    RemoteWrite = 2,
    RemoteRead = 4,
}

/// <summary><c>enum rdma_cm_event_type</c>.</summary>
internal enum RdmaCmEventType
{
    AddressResolved = 0,
    AddressError = 1,
    RouteResolved = 2,
    RouteError = 3,
    ConnectRequest = 4,
    ConnectResponse = 5,
    ConnectError = 6,
    Unreachable = 7,
    Rejected = 8,
    Established = 9,
    Disconnected = 10,
    DeviceRemoval = 11,
    MulticastJoin = 12,
    MulticastError = 13,
    AddressChange = 14,
    TimeWaitExit = 15,
}

/// <summary>Offsets into librdmacm and libibverbs objects the mover reads (rdma-core 44, x86-64).</summary>
internal static class VerbsOffsets
{
    /// <summary><c>rdma_cm_id.verbs</c>: the device context.</summary>
    public const int CmIdVerbs = 0;

    /// <summary><c>rdma_cm_id.qp</c>, set by rdma_create_qp.</summary>
    public const int CmIdQp = 24;

    public const int CmEventId = 0;
    public const int CmEventListenId = 8;
    public const int CmEventType = 16;
    public const int CmEventStatus = 20;
    public const int CmEventPrivateData = 24;
    public const int CmEventPrivateDataLength = 32;

    /// <summary><c>ibv_context.ops</c> entries, the inline verbs' function pointers.</summary>
    public const int OpsPollCq = 96;
    public const int OpsReqNotifyCq = 104;
    public const int OpsPostSend = 208;
    public const int OpsPostRecv = 216;

    /// <summary><c>ibv_cq.context</c> and <c>ibv_qp.context</c>: the device context, first in both.</summary>
    public const int ObjectContext = 0;

    public const int MrLocalKey = 36;
    public const int MrRemoteKey = 40;

    /// <summary><c>RDMA_PS_TCP</c>: the port space iSER connects in.</summary>
    public const int PortSpaceTcp = 0x0106;

    /// <summary><c>IBV_QPT_RC</c>: reliable connected.</summary>
    public const int QpTypeReliableConnected = 2;
}
