using Microsoft.Extensions.Logging;
using NetScsi.Iscsi.Pdus;

namespace NetScsi.Iscsi.Initiator;

public sealed partial class IscsiSession
{
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(5);

    /// <summary>
    /// AsyncEvent 1 (RFC 7143 §11.9.1): queues a Logout (close the session) ahead of everything else, and once it is
    /// answered (or <paramref name="within"/> has passed) re-opens the session after DefaultTime2Wait, re-issuing
    /// whatever the target had not answered. Called on the receive loop. With several connections the whole session
    /// is logged out (the simplest correct answer at ERL 0): no connection takes new commands from here on.
    /// </summary>
    private void LogOutOnRequest(InitiatorConnection connection, TimeSpan within)
    {
        InitiatorCommand logout;
        short version;
        lock (_lock)
        {
            if (!connection.Attached || _state != IscsiSessionState.Running || connection.LogoutRequested)
            {
                return;
            }

            foreach (InitiatorConnection each in _connections)
            {
                each.LogoutRequested = true;
            }

            _reconnectDelay = TimeSpan.FromSeconds(Parameters.DefaultTime2Wait);
            logout = RentLocked(CommandKind.Logout);
            logout.Itt = AllocateIttLocked();
            logout.State = CommandState.Pending;
            version = logout.Version;
            connection.Controls.Enqueue(logout);
        }

        connection.SendSignal.Set();
        _ = Task.Run(() => ReopenAfterLogoutAsync(connection, logout, version, within));
    }

    private async Task ReopenAfterLogoutAsync(InitiatorConnection connection, InitiatorCommand logout, short version, TimeSpan within)
    {
        try
        {
            await new ValueTask<ScsiResult>(logout, version).AsTask().WaitAsync(within, _time).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or IOException or IscsiConnectionException or ObjectDisposedException)
        {
            LogLogoutFailed(_logger, e.Message);
        }

        OnConnectionFailed(connection, new IscsiConnectionException("The target asked for a logout; the session is re-opened after Time2Wait."));
    }

    /// <summary>Forces a session re-open (task management escalation, NOP timeout).</summary>
    private void ForceReconnect(InitiatorConnection connection, string reason) =>
        OnConnectionFailed(connection, new IscsiConnectionException(reason));

    /// <summary>
    /// A connection is gone: start session recovery once (RFC 7143 §6.3.5, ERL 0). With several connections, all of
    /// them go: at ERL 0 a connection's commands cannot move to another (§7.2), so the session is re-instated whole.
    /// </summary>
    private void OnConnectionFailed(InitiatorConnection connection, Exception error)
    {
        InitiatorConnection[] old;
        lock (_lock)
        {
            if (!connection.Attached || _state != IscsiSessionState.Running)
            {
                connection.BeginClose();
                if (connection.Attached && _state == IscsiSessionState.Closing && connection == (_logoutConnection ?? _connection))
                {
                    // Lost while logging out: nothing to recover. (The others may close first: the target ends them
                    // on a session Logout, §11.14.1.)
                    InitiatorConnection[] closing = DetachAllLocked();
                    _recovery = Task.Run(() => CloseLostAsync(closing, error));
                }
                else if (connection.Attached && _state == IscsiSessionState.Closing)
                {
                    connection.Attached = false;
                }

                return;
            }

            _state = IscsiSessionState.Recovering;
            Interlocked.Increment(ref _recoveries);
            old = DetachAllLocked();
            _recovery = Task.Run(() => RecoverAsync(old, error));
        }

        LogConnectionLost(_logger, connection.Cid, old.Length, error.Message);
    }

    private async Task CloseLostAsync(InitiatorConnection[] connections, Exception error)
    {
        await CloseAllAsync(connections).ConfigureAwait(false);
        FailAll(new IscsiConnectionException("The connection was lost during logout.", error));
    }

    private async Task RecoverAsync(InitiatorConnection[] old, Exception cause)
    {
        long lostAt = _time.GetTimestamp();
        await CloseAllAsync(old).ConfigureAwait(false);

        // The old loops have stopped: nothing else touches the ITT table's buffers now.
        List<InitiatorCommand> failNow = new();
        List<(InitiatorCommand Command, Exception Error)> timedOut = new();
        lock (_lock)
        {
            var reissue = new List<InitiatorCommand>();
            foreach (InitiatorCommand command in _active.Values)
            {
                if (command.Kind == CommandKind.Scsi)
                {
                    reissue.Add(command);
                }
                else
                {
                    failNow.Add(command);
                }
            }

            _active.Clear();
            foreach (List<InitiatorCommand> orphans in _lastDetached.Values)
            {
                foreach (InitiatorCommand command in orphans)
                {
                    if (command.State == CommandState.Detached)
                    {
                        reissue.Add(command);
                    }
                }
            }

            _lastDetached.Clear();
            failNow.AddRange(_immediate);
            _immediate.Clear();
            foreach (InitiatorCommand command in failNow)
            {
                command.State = CommandState.Done;
            }

            // Commands re-issue in their original order, ahead of those never sent.
            reissue.Sort(static (a, b) => a.SubmitSequence.CompareTo(b.SubmitSequence));
            var queued = _pending.ToArray();
            _pending.Clear();
            foreach (InitiatorCommand command in reissue)
            {
                if (command.FailOnReissue)
                {
                    command.State = CommandState.Done;
                    timedOut.Add((command, new IscsiCommandTimeoutException("The command timed out; ABORT TASK and LOGICAL UNIT RESET failed, so the session was re-opened.")));
                    continue;
                }

                command.State = CommandState.Pending;
                command.Connection = null;
                _pending.Enqueue(command);
            }

            foreach (InitiatorCommand command in queued)
            {
                _pending.Enqueue(command);
            }
        }

        foreach (InitiatorCommand command in failNow)
        {
            Complete(command, default, new IscsiConnectionException("The connection was lost before the target answered.", cause));
        }

        foreach (var (command, error) in timedOut)
        {
            Complete(command, default, error);
        }

        // RFC 7143 §11.9.1: after a logout the target asked for, or a drop it announced, wait its Time2Wait first.
        TimeSpan delay;
        lock (_lock)
        {
            delay = _reconnectDelay;
            _reconnectDelay = TimeSpan.Zero;
        }

        Exception last = cause;
        while (true)
        {
            TimeSpan elapsed = _time.GetElapsedTime(lostAt);
            TimeSpan remaining = _options.ReplacementTimeout - elapsed;
            if (remaining <= TimeSpan.Zero || _disposed.IsCancellationRequested)
            {
                GiveUp(_disposed.IsCancellationRequested
                    ? new ObjectDisposedException(nameof(IscsiSession), "The iSCSI session was closed during recovery.")
                    : new IscsiConnectionException(
                        $"The iSCSI session to {_options.TargetName} could not be re-established within the replacement timeout ({_options.ReplacementTimeout.TotalSeconds:0.#} s): {last.Message}", last));
                return;
            }

            if (delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(delay < remaining ? delay : remaining, _time, _disposed.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    continue;
                }
            }

            try
            {
                using var attempt = new CancellationTokenSource(remaining, _time);
                (InitiatorConnection connection, LoginOutcome login) = await ConnectAndLoginAsync(0, null, attempt.Token).ConfigureAwait(false);
                int generation;
                lock (_lock)
                {
                    if (_state != IscsiSessionState.Recovering)
                    {
                        connection.BeginClose();
                        _ = connection.CloseAsync();
                        return;
                    }

                    StartConnectionLocked(connection, login);
                    generation = _generation;
                }

                LogReinstated(_logger, _options.TargetName!, Isid, Tsih);

                // Then the extra connections again (MC/S); commands already flow on the leading one meanwhile.
                await AddConnectionsAsync(generation, _disposed.Token).ConfigureAwait(false);
                return;
            }
            catch (IscsiLoginException e) when (e.IsPermanent)
            {
                GiveUp(new IscsiConnectionException("Session recovery failed: " + e.Message, e));
                return;
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or IscsiLoginException or TimeoutException)
            {
                last = e;
                LogReconnectFailed(_logger, e.Message);
                delay = delay == TimeSpan.Zero ? TimeSpan.FromMilliseconds(100) : delay * 2;
                if (delay > s_maxBackoff)
                {
                    delay = s_maxBackoff;
                }
            }
        }
    }

    private void GiveUp(Exception reason)
    {
        lock (_lock)
        {
            if (_state == IscsiSessionState.Recovering)
            {
                _state = IscsiSessionState.Failed;
                _failure = reason;
            }
        }

        LogGaveUp(_logger, reason.Message);
        FailAll(reason);
    }

    /// <summary>
    /// Per-connection timers: our NOP-Out keepalive and its timeout, and command timeouts, checked a
    /// few times per interval. One long-lived loop; nothing is allocated per tick.
    /// </summary>
    private async Task WatchdogAsync()
    {
        TimeSpan tick = TimeSpan.FromMilliseconds(250);
        if (_options.NopInterval > TimeSpan.Zero)
        {
            tick = TimeSpan.FromTicks(Math.Clamp(Math.Min(_options.NopInterval.Ticks, _options.NopTimeout.Ticks) / 4, TimeSpan.TicksPerMillisecond * 20, tick.Ticks));
        }

        if (_options.CommandTimeout > TimeSpan.Zero)
        {
            tick = TimeSpan.FromTicks(Math.Clamp(_options.CommandTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 20, tick.Ticks));
        }

        using var timer = new PeriodicTimer(tick, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_disposed.Token).ConfigureAwait(false))
            {
                CheckTimers();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void CheckTimers()
    {
        InitiatorConnection? failed = null;
        string? reason = null;
        List<(InitiatorCommand Command, long IssueId, InitiatorConnection Connection)>? expired = null;
        lock (_lock)
        {
            InitiatorConnection? leading = _connection;
            if (leading is null || _state != IscsiSessionState.Running)
            {
                return;
            }

            long now = _time.GetTimestamp();
            // Keepalive per connection (each idle one is pinged on its own); an unanswered ping fails the session (ERL 0).
            foreach (InitiatorConnection connection in _options.NopInterval > TimeSpan.Zero ? _connections : [])
            {
                if (failed is not null)
                {
                    break;
                }

                if (connection.PingItt != Bhs.ReservedTag)
                {
                    if (_time.GetElapsedTime(connection.PingSentTimestamp, now) > _options.NopTimeout)
                    {
                        failed = connection;
                        reason = $"No answer to a NOP-Out ping within {_options.NopTimeout.TotalSeconds:0.#} s.";
                    }
                }
                else if (_time.GetElapsedTime(connection.LastReceived(now), now) >= _options.NopInterval)
                {
                    connection.PingItt = AllocateIttLocked();
                    connection.PingSentTimestamp = now;
                    connection.PingRequested = true;
                    connection.SendSignal.Set();
                }
            }

            if (failed is null && _options.CommandTimeout > TimeSpan.Zero)
            {
                foreach (InitiatorCommand command in _active.Values)
                {
                    if (command.Kind == CommandKind.Scsi && !command.Escalating
                        && _time.GetElapsedTime(command.SentTimestamp, now) > _options.CommandTimeout)
                    {
                        command.Escalating = true;
                        (expired ??= new()).Add((command, command.IssueId, command.Connection ?? leading));
                    }
                }
            }
        }

        if (failed is not null)
        {
            ForceReconnect(failed, reason!);
            return;
        }

        if (expired is not null)
        {
            foreach (var (command, issueId, connection) in expired)
            {
                LogCommandTimeout(_logger, command.Itt);
                _ = EscalateAsync(command, issueId, connection);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection CID {Cid} lost: {Reason}; recovering the session ({Count} connection(s) closed)")]
    private static partial void LogConnectionLost(ILogger logger, int cid, int count, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session to {Target} re-established (ISID {Isid:x12}, TSIH {Tsih})")]
    private static partial void LogReinstated(ILogger logger, string target, ulong isid, ushort tsih);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconnect failed: {Message}")]
    private static partial void LogReconnectFailed(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "Giving up on the session: {Message}")]
    private static partial void LogGaveUp(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Command ITT 0x{Itt:x8} timed out; aborting it")]
    private static partial void LogCommandTimeout(ILogger logger, uint itt);
}
