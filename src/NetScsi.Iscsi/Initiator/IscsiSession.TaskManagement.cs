using Microsoft.Extensions.Logging;
using NetScsi.Iscsi.Pdus;
using NetScsi.Scsi;

namespace NetScsi.Iscsi.Initiator;

public sealed partial class IscsiSession
{
    private static readonly TimeSpan s_taskManagementTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// ABORT TASK (RFC 7143 §11.5.1) for the command with this ITT. The aborted command, if this
    /// session still tracks it, fails with <see cref="OperationCanceledException"/>. Cancelling the
    /// token passed to <see cref="ExecuteAsync"/> is the usual way to abort one command.
    /// </summary>
    /// <param name="lun">The command's LUN.</param>
    /// <param name="initiatorTaskTag">The command's ITT.</param>
    /// <param name="cancellationToken">Stops waiting for the answer.</param>
    public async Task<TaskManagementResponse> AbortTaskAsync(ulong lun, uint initiatorTaskTag, CancellationToken cancellationToken = default)
    {
        uint refCmdSN = 0;
        lock (_lock)
        {
            if (_active.TryGetValue(initiatorTaskTag, out InitiatorCommand? command))
            {
                refCmdSN = command.CmdSN;
            }
        }

        var (response, detached) = await TaskManagementAsync(TaskManagementFunction.AbortTask, lun, initiatorTaskTag, refCmdSN, cancellationToken).ConfigureAwait(false);
        FailDetached(detached, static () => new OperationCanceledException("The command was aborted by ABORT TASK."));
        return response;
    }

    /// <summary>
    /// LOGICAL UNIT RESET (RFC 7143 §11.5.1). Commands of this LUN that the reset ended are re-issued.
    /// </summary>
    /// <param name="lun">The logical unit.</param>
    /// <param name="cancellationToken">Stops waiting for the answer.</param>
    public async Task<TaskManagementResponse> LogicalUnitResetAsync(ulong lun, CancellationToken cancellationToken = default)
    {
        var (response, detached) = await TaskManagementAsync(TaskManagementFunction.LogicalUnitReset, lun, Bhs.ReservedTag, 0, cancellationToken).ConfigureAwait(false);
        Requeue(detached);
        return response;
    }

    /// <summary>TARGET WARM RESET (RFC 7143 §11.5.1). Commands the reset ended are re-issued.</summary>
    /// <param name="cancellationToken">Stops waiting for the answer.</param>
    public async Task<TaskManagementResponse> TargetWarmResetAsync(CancellationToken cancellationToken = default)
    {
        var (response, detached) = await TaskManagementAsync(TaskManagementFunction.TargetWarmReset, 0, Bhs.ReservedTag, 0, cancellationToken).ConfigureAwait(false);
        Requeue(detached);
        return response;
    }

    /// <summary>Sends one task management request (immediate) and waits for the response.</summary>
    private async Task<(TaskManagementResponse Response, List<InitiatorCommand>? Detached)> TaskManagementAsync(
        TaskManagementFunction function, ulong lun, uint referencedTag, uint refCmdSN, CancellationToken cancellationToken)
    {
        InitiatorCommand request;
        InitiatorConnection? connection;
        lock (_lock)
        {
            if (_state != IscsiSessionState.Running)
            {
                throw new IscsiConnectionException($"Task management needs a logged-in session (state {_state}).");
            }

            request = RentLocked(CommandKind.TaskManagement);
            request.Function = function;
            request.LunField = ScsiTargetDevice.EncodeLun((int)lun);
            request.ReferencedTag = referencedTag;
            request.RefCmdSN = refCmdSN;
            request.Itt = AllocateIttLocked();
            request.State = CommandState.Pending;
            // RFC 7143 §7: task management may go on any connection of the session; the leading one is woken, and
            // whichever sender looks first takes it.
            _immediate.Enqueue(request);
            connection = _connection;
        }

        connection?.SendSignal.Set();
        Task<ScsiResult> wait = new ValueTask<ScsiResult>(request, request.Version).AsTask();
        ScsiResult result = await wait.WaitAsync(s_taskManagementTimeout, _time, cancellationToken).ConfigureAwait(false);
        List<InitiatorCommand>? detached = null;
        if (result.ResidualCount != 0)
        {
            lock (_lock)
            {
                _lastDetached.Remove(result.ResidualCount, out detached);
            }
        }

        return ((TaskManagementResponse)result.Response, detached);
    }

    /// <summary>Detached victims of finished task management, keyed by a token carried in the result.</summary>
    private readonly Dictionary<uint, List<InitiatorCommand>> _lastDetached = new();
    private uint _nextDetachToken;

    /// <summary>
    /// Task Management Function Response (RFC 7143 §11.6). When the function completed, the tasks it
    /// ended will never be answered: they leave the ITT table here, in the receive loop, so no late
    /// PDU can touch them; the requester then fails or re-issues them.
    /// </summary>
    private void HandleTaskManagementResponse(InitiatorConnection connection, ReadOnlySpan<byte> bhs)
    {
        var pdu = TaskManagementResponsePdu.Parse(bhs);
        AdvanceStatSN(connection, pdu.StatSN);
        InitiatorCommand? request = null;
        uint token = 0;
        lock (_lock)
        {
            UpdateWindowLocked(pdu.ExpCmdSN, pdu.MaxCmdSN);
            if (!_active.TryGetValue(pdu.InitiatorTaskTag, out InitiatorCommand? found) || found.Kind != CommandKind.TaskManagement)
            {
                return;
            }

            _active.Remove(pdu.InitiatorTaskTag);
            found.State = CommandState.Done;
            request = found;
            bool ended = pdu.Response == TaskManagementResponse.FunctionComplete
                || (found.Function == TaskManagementFunction.AbortTask && pdu.Response == TaskManagementResponse.TaskDoesNotExist);
            if (ended)
            {
                List<InitiatorCommand>? victims = null;
                foreach (InitiatorCommand command in _active.Values)
                {
                    if (command.Kind != CommandKind.Scsi)
                    {
                        continue;
                    }

                    bool hit = found.Function switch
                    {
                        TaskManagementFunction.AbortTask => command.Itt == found.ReferencedTag,
                        TaskManagementFunction.AbortTaskSet or TaskManagementFunction.ClearTaskSet or TaskManagementFunction.LogicalUnitReset => command.LunField == found.LunField,
                        TaskManagementFunction.TargetWarmReset or TaskManagementFunction.TargetColdReset => true,
                        _ => false,
                    };
                    if (hit)
                    {
                        (victims ??= new()).Add(command);
                    }
                }

                if (victims is not null)
                {
                    foreach (InitiatorCommand victim in victims)
                    {
                        _active.Remove(victim.Itt);
                        ReleaseConnectionLocked(victim);
                        victim.State = CommandState.Detached;
                    }

                    token = ++_nextDetachToken;
                    _lastDetached[token] = victims;
                }
            }
        }

        Complete(request, new ScsiResult((byte)pdu.Response, ScsiStatus.Good, ReadOnlyMemory<byte>.Empty, 0, false, false, token), null);
    }

    private void FailDetached(List<InitiatorCommand>? detached, Func<Exception> error)
    {
        if (detached is null)
        {
            return;
        }

        foreach (InitiatorCommand command in detached)
        {
            bool mine;
            lock (_lock)
            {
                mine = command.State == CommandState.Detached;
                if (mine)
                {
                    command.State = CommandState.Done;
                }
            }

            if (mine)
            {
                Complete(command, default, command.CancellationToken.IsCancellationRequested ? new OperationCanceledException(command.CancellationToken) : error());
            }
        }
    }

    /// <summary>Re-issues commands a reset ended (new ITT and CmdSN), ahead of queued ones.</summary>
    private void Requeue(List<InitiatorCommand>? detached)
    {
        if (detached is null)
        {
            return;
        }

        lock (_lock)
        {
            detached.Sort(static (a, b) => a.SubmitSequence.CompareTo(b.SubmitSequence));
            var queued = _pending.ToArray();
            _pending.Clear();
            foreach (InitiatorCommand command in detached)
            {
                if (command.State == CommandState.Detached)
                {
                    command.State = CommandState.Pending;
                    _pending.Enqueue(command);
                }
            }

            foreach (InitiatorCommand command in queued)
            {
                _pending.Enqueue(command);
            }

            LeastLoadedLocked()?.SendSignal.Set();
        }
    }

    /// <summary>The caller's token fired: drop a queued command, or ABORT TASK a sent one.</summary>
    internal void OnCommandCanceled(InitiatorCommand command)
    {
        long issueId;
        uint itt;
        ulong lunField;
        lock (_lock)
        {
            if (command.State == CommandState.Pending)
            {
                // The sender skips it and completes it as cancelled.
                LeastLoadedLocked()?.SendSignal.Set();
                return;
            }

            if (command.State != CommandState.Active || command.Escalating)
            {
                return;
            }

            command.Escalating = true;
            issueId = command.IssueId;
            itt = command.Itt;
            lunField = command.LunField;
        }

        _ = AbortForCancelAsync(command, issueId, itt, lunField);
    }

    private async Task AbortForCancelAsync(InitiatorCommand command, long issueId, uint itt, ulong lunField)
    {
        try
        {
            ScsiTargetDevice.TryDecodeLun(lunField, out int lun);
            await AbortTaskAsync((ulong)lun, itt).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or TimeoutException or OperationCanceledException)
        {
            LogAbortFailed(_logger, itt, e.Message);
        }

        lock (_lock)
        {
            if (command.IssueId == issueId && command.State == CommandState.Active)
            {
                command.Escalating = false; // still running: the command timeout may still escalate it
            }
        }
    }

    /// <summary>
    /// A command timed out: ABORT TASK; if that fails, LOGICAL UNIT RESET (its other victims are
    /// re-issued); if that fails too, the session is re-opened and the command fails.
    /// </summary>
    private async Task EscalateAsync(InitiatorCommand command, long issueId, InitiatorConnection connection)
    {
        uint itt;
        ulong lunField;
        lock (_lock)
        {
            if (command.IssueId != issueId || command.State != CommandState.Active)
            {
                return;
            }

            itt = command.Itt;
            lunField = command.LunField;
        }

        ScsiTargetDevice.TryDecodeLun(lunField, out int lunNumber);
        ulong lun = (ulong)lunNumber;
        static Exception Timeout() => new IscsiCommandTimeoutException("The command timed out and was aborted.");
        try
        {
            uint refCmdSN = command.CmdSN;
            var (response, detached) = await TaskManagementAsync(TaskManagementFunction.AbortTask, lun, itt, refCmdSN, CancellationToken.None).ConfigureAwait(false);
            if (response is TaskManagementResponse.FunctionComplete or TaskManagementResponse.TaskDoesNotExist)
            {
                FailDetached(detached, Timeout);
                return;
            }
        }
        catch (Exception e) when (e is IOException or TimeoutException or OperationCanceledException)
        {
            LogAbortFailed(_logger, itt, e.Message);
        }

        try
        {
            var (response, detached) = await TaskManagementAsync(TaskManagementFunction.LogicalUnitReset, lun, Bhs.ReservedTag, 0, CancellationToken.None).ConfigureAwait(false);
            if (response == TaskManagementResponse.FunctionComplete)
            {
                List<InitiatorCommand>? others = null;
                if (detached is not null)
                {
                    foreach (InitiatorCommand victim in detached)
                    {
                        if (victim == command && victim.IssueId == issueId)
                        {
                            FailDetached([victim], Timeout);
                        }
                        else
                        {
                            (others ??= new()).Add(victim);
                        }
                    }
                }

                Requeue(others);
                return;
            }
        }
        catch (Exception e) when (e is IOException or TimeoutException or OperationCanceledException)
        {
            LogAbortFailed(_logger, itt, e.Message);
        }

        lock (_lock)
        {
            if (command.IssueId == issueId && command.State == CommandState.Active)
            {
                command.FailOnReissue = true;
            }
        }

        ForceReconnect(connection, "Task management could not end a timed-out command; re-opening the session.");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task management for ITT 0x{Itt:x8} failed: {Message}")]
    private static partial void LogAbortFailed(ILogger logger, uint itt, string message);
}
