using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;
using static NetScsi.Scsi.Tests.Emulation.LuHarness;

namespace NetScsi.Scsi.Tests.Emulation;

/// <summary>WRITE SAME and COMPARE AND WRITE on a device that does them itself (as the RBD device does with librbd).</summary>
public sealed class BlockLogicalUnitNativeDeviceOpsTests
{
    private static byte[] CompareAndWrite(ulong lba, byte blocks)
    {
        byte[] cdb = Cdbs.Rw16(ScsiOpcode.CompareAndWrite, lba, 0);
        cdb[13] = blocks;
        return cdb;
    }

    private static async Task<(NativeOpsDevice Device, BlockLogicalUnit Unit)> CreateAsync(bool atomic = true)
    {
        var device = new NativeOpsDevice(new MemoryBlockDevice(1024 * 512), atomic);
        var unit = new BlockLogicalUnit(device, new LogicalUnitOptions());
        await RunAsync(unit, Cdbs.TestUnitReady()); // the power-on unit attention
        return (device, unit);
    }

    private static async Task<ScsiTask> RunAsync(BlockLogicalUnit unit, byte[] cdb, byte[]? dataOut = null)
    {
        ScsiTask task = NewTask(cdb, dataOut: dataOut);
        await unit.ExecuteAsync(task, CancellationToken.None);
        return task;
    }

    [Fact]
    public async Task CompareAndWrite_OnAnAtomicDevice_IsTheDevicesAndItsMismatchOffsetIsTheInformationField()
    {
        (NativeOpsDevice device, BlockLogicalUnit unit) = await CreateAsync();
        device.NextMismatch = 123;

        ScsiTask task = await RunAsync(unit, CompareAndWrite(5, 1), new byte[1024]);

        AssertCheckCondition(task, SenseKey.Miscompare, Asc.MiscompareDuringVerifyOperation);
        Assert.True(SenseData.TryGetInformation(task.Sense, out ulong offset));
        Assert.Equal(123UL, offset);
        Assert.Equal(1, device.CompareAndWrites);
        Assert.Equal(0, device.Reads);
    }

    [Fact]
    public async Task CompareAndWrite_OnAnAtomicDevice_DoesNotWaitForAnOlderWriteToOtherBlocks()
    {
        (NativeOpsDevice device, BlockLogicalUnit unit) = await CreateAsync();
        device.HoldWrites();
        ValueTask older = unit.ExecuteAsync(NewTask(Cdbs.Write10(100, 1), dataOut: new byte[512]), CancellationToken.None);

        Task<ScsiTask> caw = RunAsync(unit, CompareAndWrite(5, 1), new byte[1024]);

        Assert.Same(caw, await Task.WhenAny(caw, Task.Delay(TimeSpan.FromSeconds(10))));
        AssertGood(await caw);
        device.ReleaseWrites();
        await older;
    }

    [Fact]
    public async Task CompareAndWrite_WhenTheDeviceCannotDoTheRangeAtomically_WaitsForOlderCommands_AndIsReadComparedAndWritten()
    {
        (NativeOpsDevice device, BlockLogicalUnit unit) = await CreateAsync(atomic: false);
        device.HoldWrites();
        ValueTask older = unit.ExecuteAsync(NewTask(Cdbs.Write10(100, 1), dataOut: new byte[512]), CancellationToken.None);

        Task<ScsiTask> caw = RunAsync(unit, CompareAndWrite(5, 1), new byte[1024]);

        Assert.NotSame(caw, await Task.WhenAny(caw, Task.Delay(TimeSpan.FromMilliseconds(300))));
        device.ReleaseWrites();
        await older;
        AssertGood(await caw);
        Assert.Equal(0, device.CompareAndWrites);
        Assert.Equal(1, device.Reads);
    }

    [Fact]
    public async Task WriteSame_OnADeviceThatRepeatsTheBlock_HandsItTheRangeAndThePatternOnce()
    {
        (NativeOpsDevice device, BlockLogicalUnit unit) = await CreateAsync();
        byte[] pattern = new byte[512];
        pattern.AsSpan().Fill(0x5C);

        AssertGood(await RunAsync(unit, Cdbs.Rw16(ScsiOpcode.WriteSame16, 10, 300), pattern));

        Assert.Equal([(10L, 300L)], device.WriteSames);
        byte[] back = new byte[300 * 512];
        await device.ReadAsync(10, back);
        Assert.All(back, b => Assert.Equal(0x5C, b));
    }

    private sealed class NativeOpsDevice(MemoryBlockDevice inner, bool atomic) : IWriteSameBlockDevice, ICompareAndWriteBlockDevice
    {
        private TaskCompletionSource? _held;

        public long NextMismatch { get; set; } = -1;

        public int CompareAndWrites { get; private set; }

        public int Reads { get; private set; }

        public List<(long Lba, long Blocks)> WriteSames { get; } = [];

        public int BlockSize => inner.BlockSize;

        public long BlockCount => inner.BlockCount;

        public bool IsReadOnly => false;

        public bool SupportsUnmap => inner.SupportsUnmap;

        public bool UnmappedReadsZero => inner.UnmappedReadsZero;

        public string Identity => inner.Identity;

        public void HoldWrites() => _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void ReleaseWrites() => _held?.TrySetResult();

        public bool CanCompareAndWrite(long lba, int blockCount) => atomic;

        public ValueTask<long> CompareAndWriteAsync(long lba, ReadOnlyMemory<byte> compare, ReadOnlyMemory<byte> write, bool forceUnitAccess, CancellationToken cancellationToken = default)
        {
            CompareAndWrites++;
            return ValueTask.FromResult(NextMismatch);
        }

        public async ValueTask WriteSameAsync(long lba, long blockCount, ReadOnlyMemory<byte> block, bool forceUnitAccess, CancellationToken cancellationToken = default)
        {
            WriteSames.Add((lba, blockCount));
            for (long i = 0; i < blockCount; i++)
            {
                await inner.WriteAsync(lba + i, block, forceUnitAccess, cancellationToken);
            }
        }

        public ValueTask ReadAsync(long lba, Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Reads++;
            return inner.ReadAsync(lba, buffer, cancellationToken);
        }

        public async ValueTask WriteAsync(long lba, ReadOnlyMemory<byte> buffer, bool forceUnitAccess, CancellationToken cancellationToken = default)
        {
            if (_held is { } held)
            {
                await held.Task;
            }
            await inner.WriteAsync(lba, buffer, forceUnitAccess, cancellationToken);
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public ValueTask UnmapAsync(long lba, long blockCount, CancellationToken cancellationToken = default) => inner.UnmapAsync(lba, blockCount, cancellationToken);

        public ValueTask<AllocationExtent> GetAllocationStatusAsync(long lba, CancellationToken cancellationToken = default) => inner.GetAllocationStatusAsync(lba, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
