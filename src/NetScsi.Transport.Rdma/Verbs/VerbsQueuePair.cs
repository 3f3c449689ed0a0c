using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using NetScsi.Transport.Rdma.Iser;
using NetScsi.Transport.Rdma.Memory;

namespace NetScsi.Transport.Rdma.Verbs;

/// <summary>
/// <see cref="IRdmaQueuePair"/> over librdmacm and libibverbs: an active-side (initiator) connection with one
/// protection domain, one completion queue for sends and receives, and a completion channel to sleep on.
/// </summary>
/// <remarks>
/// Not yet done: the passive side (listen/accept), cancelling a wait blocked in ibv_get_cq_event, and an
/// allocation-free wait (each sleep runs on a thread-pool thread).
/// </remarks>
public sealed class VerbsQueuePair : IRdmaQueuePair
{
    private const int AddressFamilyInet = 2;
    private const int ResolveTimeoutMs = 5000;

    private readonly Queue<RdmaCompletion> _pending = new();
    private readonly nint _eventChannel;
    private readonly nint _id;
    private readonly nint _protectionDomain;
    private readonly nint _completionChannel;
    private readonly nint _completionQueue;
    private readonly nint _queuePair;
    private readonly IRdmaMemoryRegistrar _registrar;
    private bool _error;
    private bool _disposed;

    private VerbsQueuePair(nint eventChannel, nint id, nint pd, nint completionChannel, nint cq, nint qp)
    {
        _eventChannel = eventChannel;
        _id = id;
        _protectionDomain = pd;
        _completionChannel = completionChannel;
        _completionQueue = cq;
        _queuePair = qp;
        _registrar = new VerbsMemoryRegistrar(pd);
    }

    public IRdmaMemoryRegistrar Registrar => _registrar;

    public bool IsInError => _error;

    /// <summary>The CM private data the peer accepted with (iSER CM header), once connected.</summary>
    public IserCmPrivateData PeerPrivateData { get; private set; }

    /// <summary>
    /// Resolves <paramref name="endpoint"/>, creates the queue pair, lets <paramref name="beforeConnect"/> post its
    /// receives (the peer may SEND as soon as it accepts), and connects with the iSER CM header.
    /// </summary>
    /// <exception cref="RdmaUnavailableException">No RDMA device or library.</exception>
    /// <exception cref="IOException">Resolution or connection failed (the CM event says which).</exception>
    public static unsafe VerbsQueuePair Connect(IPEndPoint endpoint, int sendDepth, int receiveDepth, Action<VerbsQueuePair> beforeConnect)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(beforeConnect);
        if (endpoint.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("Only IPv4 RDMA endpoints are supported so far.", nameof(endpoint));
        }

        RdmaDevices.Require();
        nint channel = RdmaCmNative.CreateEventChannel();
        if (channel == 0)
        {
            throw new IOException($"rdma_create_event_channel failed: {Marshal.GetLastPInvokeErrorMessage()}");
        }

        nint id = 0;
        try
        {
            Check(RdmaCmNative.CreateId(channel, out id, 0, VerbsOffsets.PortSpaceTcp), "rdma_create_id");
            byte* sockaddr = stackalloc byte[16];
            WriteSockaddr(endpoint, new Span<byte>(sockaddr, 16));
            Check(RdmaCmNative.ResolveAddress(id, null, sockaddr, ResolveTimeoutMs), "rdma_resolve_addr");
            Expect(channel, RdmaCmEventType.AddressResolved, out _);
            Check(RdmaCmNative.ResolveRoute(id, ResolveTimeoutMs), "rdma_resolve_route");
            Expect(channel, RdmaCmEventType.RouteResolved, out _);

            nint context = *(nint*)(id + VerbsOffsets.CmIdVerbs);
            nint pd = VerbsNative.AllocateProtectionDomain(context);
            nint completionChannel = VerbsNative.CreateCompletionChannel(context);
            nint cq = VerbsNative.CreateCompletionQueue(context, sendDepth + receiveDepth, 0, completionChannel, 0);
            if (pd == 0 || completionChannel == 0 || cq == 0)
            {
                throw new IOException($"ibv_alloc_pd/ibv_create_comp_channel/ibv_create_cq failed: {Marshal.GetLastPInvokeErrorMessage()}");
            }

            var attributes = new IbvQpInitAttr
            {
                SendCq = cq,
                RecvCq = cq,
                MaxSendWr = (uint)sendDepth,
                MaxRecvWr = (uint)receiveDepth,
                MaxSendSge = 1,
                MaxRecvSge = 1,
                QpType = VerbsOffsets.QpTypeReliableConnected,
            };
            Check(RdmaCmNative.CreateQueuePair(id, pd, &attributes), "rdma_create_qp");
            var queuePair = new VerbsQueuePair(channel, id, pd, completionChannel, cq, *(nint*)(id + VerbsOffsets.CmIdQp));
            id = 0;
            channel = 0;
            try
            {
                beforeConnect(queuePair);
                queuePair.ConnectNow();
                return queuePair;
            }
            catch
            {
                queuePair.Dispose();
                throw;
            }
        }
        finally
        {
            if (id != 0)
            {
                RdmaCmNative.DestroyId(id);
            }

            if (channel != 0)
            {
                RdmaCmNative.DestroyEventChannel(channel);
            }
        }
    }

    private unsafe void ConnectNow()
    {
        byte* privateData = stackalloc byte[IserCmPrivateData.Length];
        new IserCmPrivateData(IserCmPrivateData.ZeroBasedVirtualAddressNotSupported | IserCmPrivateData.SendWithInvalidateNotSupported)
            .WriteTo(new Span<byte>(privateData, IserCmPrivateData.Length));
        var parameters = new RdmaConnParam
        {
            PrivateData = (nint)privateData,
            PrivateDataLength = IserCmPrivateData.Length,
            ResponderResources = 4, // RDMA READs of our write data the target may have outstanding
            InitiatorDepth = 4,
            RetryCount = 7,
            RnrRetryCount = 7,
        };
        Check(RdmaCmNative.Connect(_id, &parameters), "rdma_connect");
        Expect(_eventChannel, RdmaCmEventType.Established, out IserCmPrivateData peer);
        PeerPrivateData = peer;
        Check(VerbsOps.RequestNotify(_completionQueue, solicitedOnly: false), "ibv_req_notify_cq");
    }

    public unsafe void PostReceive(ulong workRequestId, nint address, int length, uint localKey)
    {
        IbvSge sge = new() { Address = (ulong)address, Length = (uint)length, LocalKey = localKey };
        IbvRecvWr wr = new() { WorkRequestId = workRequestId, ScatterGatherList = &sge, ScatterGatherCount = 1 };
        Check(VerbsOps.PostReceive(_queuePair, &wr, out _), "ibv_post_recv");
    }

    public void PostSend(ulong workRequestId, nint address, int length, uint localKey) =>
        Post(workRequestId, IbvWrOpcode.Send, address, length, localKey, 0, 0);

    public void PostRdmaWrite(ulong workRequestId, nint address, int length, uint localKey, ulong remoteAddress, uint remoteKey) =>
        Post(workRequestId, IbvWrOpcode.RdmaWrite, address, length, localKey, remoteAddress, remoteKey);

    public void PostRdmaRead(ulong workRequestId, nint address, int length, uint localKey, ulong remoteAddress, uint remoteKey) =>
        Post(workRequestId, IbvWrOpcode.RdmaRead, address, length, localKey, remoteAddress, remoteKey);

    private unsafe void Post(ulong workRequestId, IbvWrOpcode opcode, nint address, int length, uint localKey, ulong remoteAddress, uint remoteKey)
    {
        IbvSge sge = new() { Address = (ulong)address, Length = (uint)length, LocalKey = localKey };
        IbvSendWr wr = new()
        {
            WorkRequestId = workRequestId,
            ScatterGatherList = &sge,
            ScatterGatherCount = 1,
            Opcode = opcode,
            SendFlags = IbvSendFlags.Signaled,
            RemoteAddress = remoteAddress,
            RemoteKey = remoteKey,
        };
        Check(VerbsOps.PostSend(_queuePair, &wr, out _), "ibv_post_send");
    }

    public unsafe int PollCompletions(Span<RdmaCompletion> completions)
    {
        int n = 0;
        while (n < completions.Length && _pending.TryDequeue(out RdmaCompletion pending))
        {
            completions[n++] = pending;
        }

        IbvWc* batch = stackalloc IbvWc[16];
        while (n < completions.Length)
        {
            int got = VerbsOps.PollCompletionQueue(_completionQueue, Math.Min(16, completions.Length - n), batch);
            if (got < 0)
            {
                throw new IOException($"ibv_poll_cq failed: {got}");
            }

            for (int i = 0; i < got; i++)
            {
                completions[n++] = ToCompletion(batch[i]);
            }

            if (got == 0)
            {
                break;
            }
        }

        return n;
    }

    public async ValueTask WaitForCompletionAsync(CancellationToken cancellationToken)
    {
        if (_pending.Count > 0 || TakeReady())
        {
            return;
        }

        // Armed (at connect and after every event) and empty: sleep on the channel until the CQ has news.
        await Task.Run(WaitForEvent, cancellationToken).ConfigureAwait(false);
        Check(VerbsOps.RequestNotify(_completionQueue, solicitedOnly: false), "ibv_req_notify_cq");
        TakeReady(); // completions that arrived between the event and re-arming
    }

    private void WaitForEvent()
    {
        Check(VerbsNative.GetCompletionQueueEvent(_completionChannel, out nint cq, out _), "ibv_get_cq_event");
        VerbsNative.AcknowledgeCompletionQueueEvents(cq, 1);
    }

    private unsafe bool TakeReady()
    {
        IbvWc* batch = stackalloc IbvWc[16];
        int got = VerbsOps.PollCompletionQueue(_completionQueue, 16, batch);
        for (int i = 0; i < got; i++)
        {
            _pending.Enqueue(ToCompletion(batch[i]));
        }

        return got > 0;
    }

    private RdmaCompletion ToCompletion(in IbvWc wc)
    {
        var status = (RdmaCompletionStatus)wc.Status;
        if (status != RdmaCompletionStatus.Success)
        {
            _error = true;
        }

        return new RdmaCompletion(wc.WorkRequestId, (RdmaCompletionOpcode)wc.Opcode, status, (int)wc.ByteLength);
    }

    public void Disconnect()
    {
        _error = true;
        RdmaCmNative.Disconnect(_id);
    }

    /// <summary>Destroys the queue pair and its resources. Dispose buffer pools registered here first.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        RdmaCmNative.DestroyQueuePair(_id);
        VerbsNative.DestroyCompletionQueue(_completionQueue);
        VerbsNative.DestroyCompletionChannel(_completionChannel);
        VerbsNative.DeallocateProtectionDomain(_protectionDomain);
        RdmaCmNative.DestroyId(_id);
        RdmaCmNative.DestroyEventChannel(_eventChannel);
    }

    private static void WriteSockaddr(IPEndPoint endpoint, Span<byte> sockaddr)
    {
        sockaddr.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(sockaddr, AddressFamilyInet);
        BinaryPrimitives.WriteUInt16BigEndian(sockaddr[2..], (ushort)endpoint.Port);
        endpoint.Address.TryWriteBytes(sockaddr[4..8], out _);
    }

    private static unsafe void Expect(nint channel, RdmaCmEventType wanted, out IserCmPrivateData privateData)
    {
        Check(RdmaCmNative.GetEvent(channel, out nint cmEvent), "rdma_get_cm_event");
        var type = (RdmaCmEventType)(*(int*)(cmEvent + VerbsOffsets.CmEventType));
        int status = *(int*)(cmEvent + VerbsOffsets.CmEventStatus);
        privateData = default;
        nint data = *(nint*)(cmEvent + VerbsOffsets.CmEventPrivateData);
        byte length = *(byte*)(cmEvent + VerbsOffsets.CmEventPrivateDataLength);
        if (data != 0)
        {
            IserCmPrivateData.TryRead(new ReadOnlySpan<byte>((void*)data, length), out privateData);
        }

        RdmaCmNative.AcknowledgeEvent(cmEvent);
        if (type != wanted)
        {
            throw new IOException($"RDMA CM: expected {wanted}, got {type} (status {status}).");
        }
    }

    private static void Check(int rc, string call)
    {
        if (rc != 0)
        {
            throw new IOException($"{call} failed: {(rc == -1 ? Marshal.GetLastPInvokeErrorMessage() : "errno " + rc)}");
        }
    }
}
