using System.Runtime.InteropServices;

namespace NetScsi.Transport.Rdma.Verbs;

/// <summary>
/// libibverbs' exported functions. The guest and Debian hosts have only the versioned <c>libibverbs.so.1</c> (no -dev
/// package), so the library is named with its soname. The data-path verbs (post_send, post_recv, poll_cq,
/// req_notify_cq) are static inline in the C header and have no symbol: <see cref="VerbsOps"/> calls them through the
/// context's ops table.
/// </summary>
internal static unsafe partial class VerbsNative
{
    public const string Library = "libibverbs.so.1";

    [LibraryImport(Library, EntryPoint = "ibv_get_device_list")]
    public static partial nint* GetDeviceList(out int count);

    [LibraryImport(Library, EntryPoint = "ibv_free_device_list")]
    public static partial void FreeDeviceList(nint* list);

    [LibraryImport(Library, EntryPoint = "ibv_get_device_name")]
    public static partial nint GetDeviceName(nint device);

    [LibraryImport(Library, EntryPoint = "ibv_alloc_pd")]
    public static partial nint AllocateProtectionDomain(nint context);

    [LibraryImport(Library, EntryPoint = "ibv_dealloc_pd")]
    public static partial int DeallocateProtectionDomain(nint pd);

    [LibraryImport(Library, EntryPoint = "ibv_reg_mr")]
    public static partial nint RegisterMemory(nint pd, void* address, nuint length, IbvAccess access);

    [LibraryImport(Library, EntryPoint = "ibv_dereg_mr")]
    public static partial int DeregisterMemory(nint mr);

    [LibraryImport(Library, EntryPoint = "ibv_create_comp_channel")]
    public static partial nint CreateCompletionChannel(nint context);

    [LibraryImport(Library, EntryPoint = "ibv_destroy_comp_channel")]
    public static partial int DestroyCompletionChannel(nint channel);

    [LibraryImport(Library, EntryPoint = "ibv_create_cq")]
    public static partial nint CreateCompletionQueue(nint context, int entries, nint cqContext, nint channel, int vector);

    [LibraryImport(Library, EntryPoint = "ibv_destroy_cq")]
    public static partial int DestroyCompletionQueue(nint cq);

    /// <summary>Blocks until the completion channel reports a CQ event (after req_notify_cq armed it).</summary>
    [LibraryImport(Library, EntryPoint = "ibv_get_cq_event")]
    public static partial int GetCompletionQueueEvent(nint channel, out nint cq, out nint cqContext);

    [LibraryImport(Library, EntryPoint = "ibv_ack_cq_events")]
    public static partial void AcknowledgeCompletionQueueEvents(nint cq, uint count);
}
