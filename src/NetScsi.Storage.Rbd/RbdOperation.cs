using System.Buffers;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;
using NetScsi.Storage.Rbd.Interop;

namespace NetScsi.Storage.Rbd;

/// <summary>
/// One asynchronous librbd call in flight, awaited as a <see cref="ValueTask"/>. Pooled by its device and reused, with
/// one GCHandle for its lifetime (the callback argument librbd hands back), so an I/O allocates nothing in steady
/// state: no task, no delegate, no thread. librbd's completion callback runs on one of librbd's threads; the
/// awaiting code continues on the thread pool, never on librbd's thread, which must not be held up.
/// </summary>
internal sealed unsafe class RbdOperation : IValueTaskSource
{
    private readonly RbdBlockDevice _device;
    private readonly GCHandle _self;
    private ManualResetValueTaskSourceCore<bool> _core;
    private MemoryHandle _pin;
    private long _expectedBytes;
    private RbdOperationKind _kind;
    private long _offset;

    public RbdOperation(RbdBlockDevice device)
    {
        _device = device;
        _self = GCHandle.Alloc(this, GCHandleType.Normal);
        _core.RunContinuationsAsynchronously = true;
    }

    public short Version => _core.Version;

    /// <summary>
    /// Makes a completion for the call about to be issued; <paramref name="pin"/> (the caller's buffer) stays pinned until
    /// the call completes. <paramref name="expectedBytes"/>: the byte count a read returns when whole, -1 for none.
    /// </summary>
    public nint Prepare(RbdOperationKind kind, long offset, MemoryHandle pin, long expectedBytes)
    {
        _kind = kind;
        _offset = offset;
        _pin = pin;
        _expectedBytes = expectedBytes;
        int rc = LibRbd.AioCreateCompletion(GCHandle.ToIntPtr(_self), &OnComplete, out nint completion);
        if (rc < 0)
        {
            _pin.Dispose();
            throw RbdErrors.ToException(rc, $"rbd_aio_create_completion for {kind}", _device.Name);
        }

        return completion;
    }

    /// <summary>The call could not be issued (librbd refused it synchronously): the completion is released here.</summary>
    public Exception FailToSubmit(nint completion, int rc)
    {
        LibRbd.AioRelease(completion);
        _pin.Dispose();
        _pin = default;
        return RbdErrors.ToException(rc, Describe(), _device.Name);
    }

    public void FreeHandle() => _self.Free();

    [UnmanagedCallersOnly]
    private static void OnComplete(nint completion, nint arg)
    {
        // Nothing may escape into librbd's thread: an exception here would end the process.
        try
        {
            long rc = LibRbd.AioGetReturnValue(completion);
            LibRbd.AioRelease(completion);
            var operation = (RbdOperation)GCHandle.FromIntPtr(arg).Target!;
            operation.Complete(rc);
        }
        catch (Exception e)
        {
            Environment.FailFast("RBD completion callback failed", e);
        }
    }

    private void Complete(long rc)
    {
        _pin.Dispose();
        _pin = default;
        _device.OnOperationCompleted();
        if (rc < 0)
        {
            _core.SetException(RbdErrors.ToException((int)rc, Describe(), _device.Name));
        }
        else if (_expectedBytes >= 0 && rc != _expectedBytes)
        {
            // A read returns the whole length or an error; a short count inside the image means the image shrank.
            _core.SetException(new IOException($"{Describe()} on RBD image {_device.Name} moved {rc} of {_expectedBytes} bytes; was the image shrunk?"));
        }
        else
        {
            _core.SetResult(true);
        }
    }

    private string Describe() => _kind switch
    {
        RbdOperationKind.Read => $"rbd_aio_read at byte {_offset}",
        RbdOperationKind.Write => $"rbd_aio_write at byte {_offset}",
        RbdOperationKind.WriteZeroes => $"rbd_aio_write_zeroes at byte {_offset}",
        RbdOperationKind.Discard => $"rbd_aio_discard at byte {_offset}",
        _ => "rbd_aio_flush",
    };

    void IValueTaskSource.GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
            _device.Return(this);
        }
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}

internal enum RbdOperationKind
{
    Read,
    Write,
    WriteZeroes,
    Discard,
    Flush,
}
