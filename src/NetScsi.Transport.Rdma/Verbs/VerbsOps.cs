namespace NetScsi.Transport.Rdma.Verbs;

/// <summary>
/// The data-path verbs, called through <c>ibv_context.ops</c>: ibv_post_send, ibv_post_recv, ibv_poll_cq and
/// ibv_req_notify_cq are static inline in &lt;infiniband/verbs.h&gt; (they read the provider's function pointer from
/// the object's context), so there is no symbol to import. Each object (QP, CQ) starts with its context pointer.
/// </summary>
internal static unsafe class VerbsOps
{
    private static nint Op(nint verbsObject, int offset)
    {
        nint context = *(nint*)(verbsObject + VerbsOffsets.ObjectContext);
        return *(nint*)(context + offset);
    }

    /// <summary>ibv_post_send: 0, or an errno (the failing request in <paramref name="bad"/>).</summary>
    public static int PostSend(nint qp, IbvSendWr* wr, out IbvSendWr* bad)
    {
        var post = (delegate* unmanaged<nint, IbvSendWr*, IbvSendWr**, int>)Op(qp, VerbsOffsets.OpsPostSend);
        IbvSendWr* failed = null;
        int rc = post(qp, wr, &failed);
        bad = failed;
        return rc;
    }

    /// <summary>ibv_post_recv: 0, or an errno (ENOMEM when more receives are posted than max_recv_wr).</summary>
    public static int PostReceive(nint qp, IbvRecvWr* wr, out IbvRecvWr* bad)
    {
        var post = (delegate* unmanaged<nint, IbvRecvWr*, IbvRecvWr**, int>)Op(qp, VerbsOffsets.OpsPostRecv);
        IbvRecvWr* failed = null;
        int rc = post(qp, wr, &failed);
        bad = failed;
        return rc;
    }

    /// <summary>ibv_poll_cq: completions taken (≥ 0), or negative on error. Never blocks.</summary>
    public static int PollCompletionQueue(nint cq, int entries, IbvWc* completions)
    {
        var poll = (delegate* unmanaged<nint, int, IbvWc*, int>)Op(cq, VerbsOffsets.OpsPollCq);
        return poll(cq, entries, completions);
    }

    /// <summary>ibv_req_notify_cq: arms the CQ so its next completion wakes the completion channel.</summary>
    public static int RequestNotify(nint cq, bool solicitedOnly)
    {
        var notify = (delegate* unmanaged<nint, int, int>)Op(cq, VerbsOffsets.OpsReqNotifyCq);
        return notify(cq, solicitedOnly ? 1 : 0);
    }
}
