using NetScsi.Transport.Rdma.Memory;
using NetScsi.Transport.Rdma.Verbs;

namespace NetScsi.Transport.Rdma.Loopback;

/// <summary>
/// One end of a <see cref="LoopbackRdmaFabric"/> connection. Both ends share one lock, so a post and the peer's view
/// of it are atomic. Errors behave as on a reliable connected queue pair: the failing work request completes with
/// its error, the connection goes to the error state, and everything still posted on both sides completes flushed.
/// </summary>
public sealed class LoopbackQueuePair : IRdmaQueuePair
{
    private readonly LoopbackMemoryRegistrar _registrar;
    private readonly Queue<PostedReceive> _receives = new();
    private readonly Queue<RdmaCompletion> _completions = new();
    private readonly SemaphoreSlim _ready = new(0);
    private Lock _lock = new();
    private LoopbackQueuePair? _peer;
    private bool _error;
    private bool _disposed;

    internal LoopbackQueuePair(LoopbackMemoryRegistrar registrar) => _registrar = registrar;

    public IRdmaMemoryRegistrar Registrar => _registrar;

    /// <summary>The fake protection domain, for leak checks.</summary>
    public LoopbackMemoryRegistrar Memory => _registrar;

    public bool IsInError
    {
        get
        {
            lock (_lock)
            {
                return _error;
            }
        }
    }

    /// <summary>Receives posted and not yet consumed.</summary>
    public int PostedReceives
    {
        get
        {
            lock (_lock)
            {
                return _receives.Count;
            }
        }
    }

    internal void Connect(LoopbackQueuePair peer)
    {
        _peer = peer;
        if (peer._peer == this)
        {
            // The second end adopts the first's lock: one lock for the connection.
            _lock = peer._lock;
        }
    }

    public void PostReceive(ulong workRequestId, nint address, int length, uint localKey)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_error)
            {
                Complete(new RdmaCompletion(workRequestId, RdmaCompletionOpcode.Receive, RdmaCompletionStatus.Flushed, 0));
                return;
            }

            if (!_registrar.Covers(localKey, (ulong)address, length))
            {
                Fail(new RdmaCompletion(workRequestId, RdmaCompletionOpcode.Receive, RdmaCompletionStatus.LocalProtectionError, 0));
                return;
            }

            _receives.Enqueue(new PostedReceive(workRequestId, address, length));
        }
    }

    public void PostSend(ulong workRequestId, nint address, int length, uint localKey)
    {
        lock (_lock)
        {
            if (!BeginPost(workRequestId, RdmaCompletionOpcode.Send, address, length, localKey))
            {
                return;
            }

            LoopbackQueuePair peer = _peer!;
            if (!peer._receives.TryDequeue(out PostedReceive receive))
            {
                // RC retries receiver-not-ready NAKs, then gives up: the peer broke flow control.
                Fail(new RdmaCompletion(workRequestId, RdmaCompletionOpcode.Send, RdmaCompletionStatus.ReceiverNotReady, 0));
                return;
            }

            if (length > receive.Length)
            {
                peer.Complete(new RdmaCompletion(receive.WorkRequestId, RdmaCompletionOpcode.Receive, RdmaCompletionStatus.LocalLengthError, 0));
                Fail(new RdmaCompletion(workRequestId, RdmaCompletionOpcode.Send, RdmaCompletionStatus.Flushed, 0));
                return;
            }

            Copy(address, receive.Address, length);
            peer.Complete(new RdmaCompletion(receive.WorkRequestId, RdmaCompletionOpcode.Receive, RdmaCompletionStatus.Success, length));
            Complete(new RdmaCompletion(workRequestId, RdmaCompletionOpcode.Send, RdmaCompletionStatus.Success, 0));
        }
    }

    public void PostRdmaWrite(ulong workRequestId, nint address, int length, uint localKey, ulong remoteAddress, uint remoteKey)
    {
        lock (_lock)
        {
            if (!BeginPost(workRequestId, RdmaCompletionOpcode.RdmaWrite, address, length, localKey))
            {
                return;
            }

            if (!_peer!._registrar.Covers(remoteKey, remoteAddress, length))
            {
                Fail(new RdmaCompletion(workRequestId, RdmaCompletionOpcode.RdmaWrite, RdmaCompletionStatus.RemoteAccessError, 0));
                return;
            }

            Copy(address, (nint)remoteAddress, length);
            Complete(new RdmaCompletion(workRequestId, RdmaCompletionOpcode.RdmaWrite, RdmaCompletionStatus.Success, 0));
        }
    }

    public void PostRdmaRead(ulong workRequestId, nint address, int length, uint localKey, ulong remoteAddress, uint remoteKey)
    {
        lock (_lock)
        {
            if (!BeginPost(workRequestId, RdmaCompletionOpcode.RdmaRead, address, length, localKey))
            {
                return;
            }

            if (!_peer!._registrar.Covers(remoteKey, remoteAddress, length))
            {
                Fail(new RdmaCompletion(workRequestId, RdmaCompletionOpcode.RdmaRead, RdmaCompletionStatus.RemoteAccessError, 0));
                return;
            }

            Copy((nint)remoteAddress, address, length);
            Complete(new RdmaCompletion(workRequestId, RdmaCompletionOpcode.RdmaRead, RdmaCompletionStatus.Success, length));
        }
    }

    public int PollCompletions(Span<RdmaCompletion> completions)
    {
        lock (_lock)
        {
            int n = 0;
            while (n < completions.Length && _completions.TryDequeue(out RdmaCompletion completion))
            {
                completions[n++] = completion;
                _ready.Wait(0); // one count per queued completion: never blocks here
            }

            return n;
        }
    }

    public async ValueTask WaitForCompletionAsync(CancellationToken cancellationToken)
    {
        // The semaphore counts completions queued (PollCompletions takes them off); taking one and putting it back
        // waits without consuming, as an armed completion channel does.
        await _ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        _ready.Release();
    }

    public void Disconnect()
    {
        lock (_lock)
        {
            if (!_error)
            {
                EnterError();
            }
        }
    }

    /// <summary>Disconnects and drops the queue pair; registrations stay with their owner (the buffer pool).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            if (!_error)
            {
                EnterError();
            }

            _disposed = true;
        }
    }

    private bool BeginPost(ulong workRequestId, RdmaCompletionOpcode opcode, nint address, int length, uint localKey)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_error)
        {
            Complete(new RdmaCompletion(workRequestId, opcode, RdmaCompletionStatus.Flushed, 0));
            return false;
        }

        if (!_registrar.Covers(localKey, (ulong)address, length))
        {
            Fail(new RdmaCompletion(workRequestId, opcode, RdmaCompletionStatus.LocalProtectionError, 0));
            return false;
        }

        return true;
    }

    /// <summary>The work request fails with its error and the connection goes down on both ends.</summary>
    private void Fail(RdmaCompletion completion)
    {
        Complete(completion);
        EnterError();
    }

    private void EnterError()
    {
        Flush();
        _peer?.Flush();
    }

    private void Flush()
    {
        _error = true;
        while (_receives.TryDequeue(out PostedReceive receive))
        {
            Complete(new RdmaCompletion(receive.WorkRequestId, RdmaCompletionOpcode.Receive, RdmaCompletionStatus.Flushed, 0));
        }
    }

    private void Complete(RdmaCompletion completion)
    {
        _completions.Enqueue(completion);
        _ready.Release();
    }

    private static unsafe void Copy(nint from, nint to, int length) =>
        new ReadOnlySpan<byte>((void*)from, length).CopyTo(new Span<byte>((void*)to, length));

    private readonly record struct PostedReceive(ulong WorkRequestId, nint Address, int Length);
}
