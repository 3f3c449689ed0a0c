using NetScsi.Iscsi.Pdus;

namespace NetScsi.Transport;

/// <summary>The upcalls a target's protocol engine takes from its mover (RFC 5047 §8).</summary>
public interface ITargetDataMoverHandler : IDataMoverHandler
{
    /// <summary>The task a Data-Out names, if it exists on this connection (its data phase may have ended).</summary>
    DataTask? FindDataOutTask(uint initiatorTaskTag);

    /// <summary>RFC 5047 Data_Completion_Notify: all of the task's write data is in its buffer.</summary>
    void OnDataOutComplete(DataTask task);

    /// <summary>An R2T's sequence is complete and more data is to be solicited: take the send side and call GetData.</summary>
    ValueTask OnMoreDataWantedAsync(DataTask task);

    /// <summary>
    /// A Data-Out the mover cannot place (<paramref name="error"/> says why; <paramref name="task"/> is null when no
    /// task has its tag). False ends the connection.
    /// </summary>
    ValueTask<bool> OnDataOutRejectedAsync(DataTask? task, PduFrame frame, DataOutError error);
}
