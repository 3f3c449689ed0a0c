using System.Runtime.InteropServices;

namespace NetScsi.Transport.Rdma.Verbs;

/// <summary>
/// librdmacm, the RDMA connection manager: listen, resolve, connect, accept and disconnect by IP address, with events
/// on an event channel. <c>librdmacm.so.1</c> by soname, as for <see cref="VerbsNative"/>.
/// </summary>
internal static unsafe partial class RdmaCmNative
{
    public const string Library = "librdmacm.so.1";

    [LibraryImport(Library, EntryPoint = "rdma_create_event_channel")]
    public static partial nint CreateEventChannel();

    [LibraryImport(Library, EntryPoint = "rdma_destroy_event_channel")]
    public static partial void DestroyEventChannel(nint channel);

    [LibraryImport(Library, EntryPoint = "rdma_create_id", SetLastError = true)]
    public static partial int CreateId(nint channel, out nint id, nint context, int portSpace);

    [LibraryImport(Library, EntryPoint = "rdma_destroy_id", SetLastError = true)]
    public static partial int DestroyId(nint id);

    [LibraryImport(Library, EntryPoint = "rdma_bind_addr", SetLastError = true)]
    public static partial int BindAddress(nint id, byte* sockaddr);

    [LibraryImport(Library, EntryPoint = "rdma_listen", SetLastError = true)]
    public static partial int Listen(nint id, int backlog);

    [LibraryImport(Library, EntryPoint = "rdma_resolve_addr", SetLastError = true)]
    public static partial int ResolveAddress(nint id, byte* source, byte* destination, int timeoutMs);

    [LibraryImport(Library, EntryPoint = "rdma_resolve_route", SetLastError = true)]
    public static partial int ResolveRoute(nint id, int timeoutMs);

    [LibraryImport(Library, EntryPoint = "rdma_create_qp", SetLastError = true)]
    public static partial int CreateQueuePair(nint id, nint pd, IbvQpInitAttr* attributes);

    [LibraryImport(Library, EntryPoint = "rdma_destroy_qp")]
    public static partial void DestroyQueuePair(nint id);

    [LibraryImport(Library, EntryPoint = "rdma_connect", SetLastError = true)]
    public static partial int Connect(nint id, RdmaConnParam* parameters);

    [LibraryImport(Library, EntryPoint = "rdma_accept", SetLastError = true)]
    public static partial int Accept(nint id, RdmaConnParam* parameters);

    [LibraryImport(Library, EntryPoint = "rdma_reject", SetLastError = true)]
    public static partial int Reject(nint id, void* privateData, byte privateDataLength);

    [LibraryImport(Library, EntryPoint = "rdma_disconnect", SetLastError = true)]
    public static partial int Disconnect(nint id);

    /// <summary>Blocks until the next CM event on the channel (its fd can be made non-blocking and polled).</summary>
    [LibraryImport(Library, EntryPoint = "rdma_get_cm_event", SetLastError = true)]
    public static partial int GetEvent(nint channel, out nint cmEvent);

    [LibraryImport(Library, EntryPoint = "rdma_ack_cm_event")]
    public static partial int AcknowledgeEvent(nint cmEvent);
}
