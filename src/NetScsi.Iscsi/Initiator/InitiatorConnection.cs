using System.IO.Pipelines;
using NetScsi.Iscsi.Pdus;
using NetScsi.Iscsi.Session;
using NetScsi.Transport;

namespace NetScsi.Iscsi.Initiator;

/// <summary>One TCP (or in-memory) connection of an <see cref="IscsiSession"/> in full-feature phase.</summary>
internal sealed class InitiatorConnection
{
    private int _closing;
    private readonly CancellationTokenSource _closingSource = new();

    public InitiatorConnection(IDataMoverConnection transport, LoginOutcome login, long now)
    {
        Transport = transport;
        DirectReceiver = transport as IDirectReceiver;
        Poller = transport as IPollingReceiver;
        Input = transport.Transport.Input;
        Output = transport.Transport.Output;
        Parameters = login.Parameters;
        HeaderDigest = login.Parameters.HeaderDigest;
        DataDigest = login.Parameters.DataDigest;
        MaxRecvDataSegmentLength = login.Parameters.InitiatorMaxRecvDataSegmentLength;
        TargetMaxRecvDataSegmentLength = login.Parameters.TargetMaxRecvDataSegmentLength;
        ExpStatSN = login.ExpStatSN;
        LastReceiveTimestamp = now;
    }

    public IDataMoverConnection Transport { get; }

    /// <summary>The mover's direct receive path, when it has one: large Data-In goes straight into the command's buffer.</summary>
    public IDirectReceiver? DirectReceiver { get; }

    /// <summary>The mover's polling reads, when it has them: the answer to a lone command is taken without a wake-up.</summary>
    public IPollingReceiver? Poller { get; }

    /// <summary>Whether to poll for the answer to a lone command before waiting for it.</summary>
    public PollBackoff LoneAnswerPoll;

    /// <summary>Whether to poll for the rest of a large Data-In whose start has arrived before waiting for it.</summary>
    public PollBackoff DataInPoll;

    /// <summary>Cancelled when the connection starts closing: ends a direct receive, which the pipe's cancellation does not reach.</summary>
    public CancellationToken Closing => _closingSource.Token;

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    public IscsiSessionParameters Parameters { get; }

    public bool HeaderDigest { get; }

    public bool DataDigest { get; }

    /// <summary>Ours: the largest data segment we accept.</summary>
    public int MaxRecvDataSegmentLength { get; }

    /// <summary>The target's: the largest data segment we may send.</summary>
    public int TargetMaxRecvDataSegmentLength { get; }

    public AsyncSignal SendSignal { get; } = new();

    /// <summary>1 while a thread (the send loop, or the receive loop sending inline) writes to <see cref="Output"/>.</summary>
    public int Sending;

    /// <summary>
    /// A flush the receive loop started but could not finish without waiting: the send loop awaits it, and
    /// owns <see cref="Sending"/> (left at 1 for it) from then on.
    /// </summary>
    public Task<FlushResult>? HandedOverFlush;

    /// <summary>Written by the receive loop, read by the sender (RFC 7143 §4.2.2.2).</summary>
    public uint ExpStatSN;

    public long LastReceiveTimestamp;

    /// <summary>ITT of our outstanding NOP-Out ping, or 0xffffffff.</summary>
    public uint PingItt = Bhs.ReservedTag;

    public long PingSentTimestamp;

    public bool PingRequested;

    public Task ReceiveLoop { get; set; } = Task.CompletedTask;

    public Task SendLoop { get; set; } = Task.CompletedTask;

    /// <summary>True once we decided to close it (logout, recovery, dispose): its loops end quietly.</summary>
    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    /// <summary>Stops both loops; true the first time.</summary>
    public bool BeginClose()
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return false;
        }

        try
        {
            Input.CancelPendingRead();
            Output.CancelPendingFlush();
        }
        catch (InvalidOperationException)
        {
        }

        _closingSource.Cancel();

        SendSignal.Set();
        return true;
    }

    /// <summary>Closes the connection and waits for its loops.</summary>
    public async Task CloseAsync()
    {
        BeginClose();
        try
        {
            await Task.WhenAll(ReceiveLoop, SendLoop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException)
        {
        }

        Transport.Abort();
        await Transport.DisposeAsync().ConfigureAwait(false);
    }
}
