using System.Runtime.CompilerServices;
using NetScsi.Iscsi.Pdus;
using NetScsi.Iscsi.Session;
using NetScsi.Scsi;
using NetScsi.Transport;

namespace NetScsi.Iscsi.Target;

internal sealed partial class TargetConnection
{
    private uint ExpCmdSN => Session?.ExpCmdSN ?? _discoveryExpCmdSN;

    private uint MaxCmdSN => Session?.MaxCmdSN ?? _discoveryExpCmdSN;

    private uint _discoveryExpCmdSN;

    /// <summary>The sequence numbers a PDU that does not carry status goes out with (§4.2.2.2: StatSN not advanced).</summary>
    private TargetSequenceNumbers CurrentNumbers => new(_statSN, ExpCmdSN, MaxCmdSN);

    /// <summary>
    /// Waits for the send lock on behalf of a command's worker loop, with the command's own waiter: the
    /// wait allocates nothing however many commands queue, and because the loop awaits it (not an
    /// async method of ours) no state machine box is rented either.
    /// </summary>
    internal ValueTask WaitForSendLockAsync(SendLock.Waiter waiter) => _sendLock.WaitAsync(waiter);

    /// <summary>
    /// Sends the data and status of a finished SCSI command (RFC 7143 §11.4, §11.7) through the mover's Put_Data and
    /// Send_Control. The caller holds the send lock (<see cref="WaitForSendLockAsync"/>); it is released here.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendScsiResultAsync(TargetCommand command)
    {
        var task = command.Task;
        int expected = task.ExpectedDataTransferLength;
        int dataIn = task.Direction == DataDirection.Read ? Math.Min(task.DataInLength, expected) : 0;

        // RFC 7143 §11.4.5: residuals compare what the command wanted to move with EDTL.
        long wanted = task.CommandTransferLength >= 0
            ? task.CommandTransferLength
            : task.Direction == DataDirection.Read ? dataIn : expected;
        bool overflow = wanted > expected;
        bool underflow = wanted < expected;
        uint residual = (uint)Math.Min(uint.MaxValue, overflow ? wanted - expected : expected - wanted);

        // Status may ride on the last Data-In only when there is no sense data (§11.7.4).
        bool foldStatus = dataIn > 0 && task.Status is ScsiStatus.Good or ScsiStatus.ConditionMet && task.SenseLength == 0;

        try
        {
            if (_closed.IsCancellationRequested)
            {
                return;
            }
            if (dataIn > 0)
            {
                DataInSource data = task.StoredDataIn is { } stored
                    ? DataInSource.FromStorage(stored, dataIn)
                    : DataInSource.FromMemory(command.Buffer[..dataIn]);
                var numbers = new TargetSequenceNumbers(foldStatus ? _statSN++ : _statSN, ExpCmdSN, MaxCmdSN);
                DataInStatus? status = foldStatus ? new DataInStatus((byte)task.Status, overflow, underflow, residual) : null;
                await _mover.PutDataAsync(command, data, numbers, status).ConfigureAwait(false);
            }
            if (!foldStatus)
            {
                WriteScsiResponse(command, overflow, underflow, residual);
            }
            await _mover.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException)
        {
            OnSendFailed(e);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private void WriteScsiResponse(TargetCommand command, bool overflow, bool underflow, uint residual)
    {
        var task = command.Task;
        Span<byte> header = stackalloc byte[Bhs.Length];
        // §11.4.7: the data segment carries SenseLength (2 bytes) then the sense data.
        Span<byte> sense = stackalloc byte[2 + ScsiTask.MaxSenseLength];
        int senseLength = task.SenseLength;
        int dataLength = 0;
        if (senseLength > 0)
        {
            sense[0] = (byte)(senseLength >> 8);
            sense[1] = (byte)senseLength;
            task.Sense.CopyTo(sense[2..]);
            dataLength = 2 + senseLength;
        }
        var pdu = new ScsiResponsePdu
        {
            Response = 0,
            Status = (byte)task.Status,
            ResidualOverflow = overflow,
            ResidualUnderflow = underflow,
            ResidualCount = overflow || underflow ? residual : 0,
            DataSegmentLength = dataLength,
            InitiatorTaskTag = command.InitiatorTaskTag,
            StatSN = _statSN++,
            ExpCmdSN = ExpCmdSN,
            MaxCmdSN = MaxCmdSN,
            // §11.4.8: for reads, the number of Data-In PDUs sent; we report 0 like peers when unused.
            ExpDataSN = 0,
        };
        pdu.WriteTo(header);
        _mover.SendControl(header, sense[..dataLength]);
    }

    /// <summary>Writes PDUs under the send lock and flushes; a failed send closes the connection.</summary>
    private delegate void LockedWrite<TState>(TargetConnection connection, in TState state);

    /// <summary>
    /// The one way control PDUs leave: take the send lock (so StatSN follows wire order), write
    /// synchronously, flush, release. Nothing is sent once the connection is closing.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendLockedAsync<TState>(TState state, LockedWrite<TState> write)
    {
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_closed.IsCancellationRequested)
            {
                return;
            }
            write(this, state);
            await _mover.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException)
        {
            OnSendFailed(e);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>RFC 5047 Get_Data: the mover solicits a write's data (R2Ts over a stream; no StatSN advance, §4.2.2.2).</summary>
    private ValueTask SendR2TsAsync(TargetCommand command) => SendLockedAsync(command, static (c, in cmd) => c._mover.GetData(cmd, c.CurrentNumbers));

    /// <summary>Reject (RFC 7143 §11.17): the data segment echoes the offending header.</summary>
    private ValueTask SendRejectAsync(RejectReason reason, BhsBuffer rejected)
    {
        var data = new byte[Bhs.Length];
        ((ReadOnlySpan<byte>)rejected).CopyTo(data);
        return SendWithStatSNAsync(data, new RejectPdu { Reason = reason, DataSegmentLength = Bhs.Length });
    }

    /// <summary>Sends a status-bearing control PDU: StatSN is taken under the send lock so it matches wire order.</summary>
    private ValueTask SendWithStatSNAsync<TPdu>(ReadOnlyMemory<byte> data, TPdu pdu)
        where TPdu : struct, IStatusPdu
        => SendLockedAsync((data, pdu), static (c, in s) => c.WriteStatusPdu(s.data.Span, s.pdu));

    private void WriteStatusPdu<TPdu>(ReadOnlySpan<byte> data, TPdu pdu)
        where TPdu : struct, IStatusPdu
    {
        Span<byte> header = stackalloc byte[Bhs.Length];
        pdu.SetSequenceNumbers(_statSN++, ExpCmdSN, MaxCmdSN);
        pdu.WriteTo(header);
        _mover.SendControl(header, data);
    }

    /// <summary>§11.19.1: an unsolicited NOP-In (a ping) carries the current StatSN but does not advance it.</summary>
    private ValueTask SendPingAsync(uint tag) => SendLockedAsync(tag, static (c, in t) => c.WritePing(t));

    private void WritePing(uint tag)
    {
        Span<byte> header = stackalloc byte[Bhs.Length];
        new NopInPdu
        {
            InitiatorTaskTag = Bhs.ReservedTag,
            TargetTransferTag = tag,
            StatSN = _statSN,
            ExpCmdSN = ExpCmdSN,
            MaxCmdSN = MaxCmdSN,
        }.WriteTo(header);
        _mover.SendControl(header, []);
    }

    /// <summary>A Target Transfer Tag for our NOP-In pings (RFC 7143 §11.19), never the reserved value.</summary>
    private uint NextPingTag()
    {
        uint ttt = ++_nextPingTag;
        if (ttt == Bhs.ReservedTag)
        {
            ttt = ++_nextPingTag;
        }
        return ttt;
    }
}

internal sealed partial class TargetConnection
{
    /// <summary>Whether the connection is in full feature phase (asynchronous messages may be sent on it).</summary>
    public bool IsFullFeature => Volatile.Read(ref _fullFeature);

    /// <summary>
    /// Asynchronous Message, AsyncEvent 1 (RFC 7143 §11.9.1): asks the initiator to log out within
    /// <paramref name="seconds"/> (Parameter3). Nothing is sent before full feature phase or once closing.
    /// </summary>
    public ValueTask RequestLogoutAsync(int seconds) => !IsFullFeature ? default : SendWithStatSNAsync(ReadOnlyMemory<byte>.Empty, new AsyncMessagePdu
    {
        Event = AsyncEvent.RequestLogout,
        Parameter3 = (ushort)Math.Clamp(seconds, 0, ushort.MaxValue),
    });

    /// <summary>
    /// Asynchronous Message, AsyncEvent 2 (this connection) or 3 (all of the session's connections) (RFC 7143 §11.9.1):
    /// the target is about to drop it; Parameter1 names the CID (event 2), Parameter2 is Time2Wait, Parameter3 Time2Retain.
    /// </summary>
    public ValueTask AnnounceDropAsync(bool allConnections)
    {
        if (!IsFullFeature)
        {
            return default;
        }
        IscsiSessionParameters? parameters = Session?.Parameters;
        return SendWithStatSNAsync(ReadOnlyMemory<byte>.Empty, new AsyncMessagePdu
        {
            Event = allConnections ? AsyncEvent.DroppingAllConnections : AsyncEvent.DroppingConnection,
            Parameter1 = allConnections ? (ushort)0 : _cid,
            Parameter2 = (ushort)Math.Clamp(parameters?.DefaultTime2Wait ?? 2, 0, 3600),
            Parameter3 = (ushort)Math.Clamp(parameters?.DefaultTime2Retain ?? 0, 0, 3600),
        });
    }
}
