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
/// A compare-and-write is awaited as a <see cref="ValueTask{Int64}"/>: -1 when written, else the range offset of
/// the first differing byte (librbd writes it into a native slot the operation owns for its lifetime).
/// </summary>
internal sealed unsafe class RbdOperation : IValueTaskSource, IValueTaskSource<long>
{
    private readonly RbdBlockDevice _device;
    private readonly GCHandle _self;
    private readonly ulong* _mismatch;
    private ManualResetValueTaskSourceCore<long> _core;
    private MemoryHandle _pin;
    private MemoryHandle _secondPin;
    private long _length;
    private long _expectedBytes;
    private RbdOperationKind _kind;
    private long _offset;

    public RbdOperation(RbdBlockDevice device)
    {
        _device = device;
        _self = GCHandle.Alloc(this, GCHandleType.Normal);
        _mismatch = (ulong*)NativeMemory.AllocZeroed(sizeof(ulong));
        _core.RunContinuationsAsynchronously = true;
    }

    /// <summary>Where librbd puts a compare-and-write's mismatch offset.</summary>
    public ulong* MismatchSlot => _mismatch;

    public short Version => _core.Version;

    /// <summary>
    /// Makes a completion for the call about to be issued; <paramref name="pin"/> (the caller's buffer) stays pinned until
    /// the call completes. <paramref name="expectedBytes"/>: the byte count a read returns when whole, -1 for none.
    /// </summary>
    public nint Prepare(RbdOperationKind kind, long offset, MemoryHandle pin, long expectedBytes) =>
        Prepare(kind, offset, 0, pin, default, expectedBytes);

    /// <summary>As the other overload, for a call with two buffers (compare-and-write: <paramref name="length"/> bytes each).</summary>
    public nint Prepare(RbdOperationKind kind, long offset, long length, MemoryHandle pin, MemoryHandle secondPin, long expectedBytes)
    {
        _kind = kind;
        _offset = offset;
        _length = length;
        _pin = pin;
        _secondPin = secondPin;
        _expectedBytes = expectedBytes;
        int rc = LibRbd.AioCreateCompletion(GCHandle.ToIntPtr(_self), &OnComplete, out nint completion);
        if (rc < 0)
        {
            ReleasePins();
            throw RbdErrors.ToException(rc, $"rbd_aio_create_completion for {kind}", _device.Name);
        }

        return completion;
    }

    /// <summary>The call could not be issued (librbd refused it synchronously): the completion is released here.</summary>
    public Exception FailToSubmit(nint completion, int rc)
    {
        LibRbd.AioRelease(completion);
        ReleasePins();
        return RbdErrors.ToException(rc, Describe(), _device.Name);
    }

    public void FreeHandle()
    {
        _self.Free();
        NativeMemory.Free(_mismatch);
    }

    private void ReleasePins()
    {
        _pin.Dispose();
        _pin = default;
        _secondPin.Dispose();
        _secondPin = default;
    }

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
        ReleasePins();
        _device.OnOperationCompleted();
        if (_kind == RbdOperationKind.CompareAndWrite && rc == -RbdErrors.EILSEQ)
        {
            _core.SetResult(_device.MismatchInRange(_offset, _length, *_mismatch));
        }
        else if (rc < 0)
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
            _core.SetResult(-1);
        }
    }

    private string Describe() => _kind switch
    {
        RbdOperationKind.Read => $"rbd_aio_read at byte {_offset}",
        RbdOperationKind.Write => $"rbd_aio_write at byte {_offset}",
        RbdOperationKind.WriteZeroes => $"rbd_aio_write_zeroes at byte {_offset}",
        RbdOperationKind.Discard => $"rbd_aio_discard at byte {_offset}",
        RbdOperationKind.WriteSame => $"rbd_aio_writesame at byte {_offset}",
        RbdOperationKind.CompareAndWrite => $"rbd_aio_compare_and_write at byte {_offset}",
        _ => "rbd_aio_flush",
    };

    void IValueTaskSource.GetResult(short token) => ((IValueTaskSource<long>)this).GetResult(token);

    long IValueTaskSource<long>.GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
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

    ValueTaskSourceStatus IValueTaskSource<long>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<long>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}

internal enum RbdOperationKind
{
    Read,
    Write,
    WriteZeroes,
    Discard,
    WriteSame,
    CompareAndWrite,
    Flush,
}
