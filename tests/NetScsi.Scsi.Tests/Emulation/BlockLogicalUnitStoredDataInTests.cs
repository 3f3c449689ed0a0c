using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;
using static NetScsi.Scsi.Tests.Emulation.LuHarness;

namespace NetScsi.Scsi.Tests.Emulation;

/// <summary>
/// Reads whose data stays in a memory-resident backing file for the transport to send (sendfile): when the
/// unit does that, and that the task keeps its place in the task set until the transport releases it.
/// </summary>
public sealed class BlockLogicalUnitStoredDataInTests : IAsyncLifetime
{
    private const int BlockSize = 512;
    private static readonly string s_memoryDirectory = MemoryFileSystemFactAttribute.IsMemoryFileSystem(MemoryFileSystemFactAttribute.Directory)
        ? MemoryFileSystemFactAttribute.Directory
        : Path.GetTempPath();

    private readonly string _name = "netscsi-filedatain-" + Guid.NewGuid().ToString("N") + ".img";
    private readonly List<string> _paths = [];
    private FileBlockDevice _device = null!;
    private BlockLogicalUnit _unit = null!;
    private byte[] _contents = null!;

    public async Task InitializeAsync()
    {
        _device = Open(s_memoryDirectory);
        _contents = new byte[1 << 20];
        new Random(7).NextBytes(_contents);
        await _device.WriteAsync(0, _contents, forceUnitAccess: false);
        _unit = new BlockLogicalUnit(_device, new LogicalUnitOptions());
        await Run(Cdbs.TestUnitReady(), 0); // the power-on unit attention
    }

    public async Task DisposeAsync()
    {
        await _device.DisposeAsync();
        foreach (string path in _paths)
        {
            File.Delete(path);
        }
    }

    private FileBlockDevice Open(string directory)
    {
        string path = Path.Combine(directory, _name);
        _paths.Add(path);
        return FileBlockDevice.Open(path, 4L << 20, BlockSize);
    }

    private static bool OnMemoryFileSystem(string directory) => MemoryFileSystemFactAttribute.IsMemoryFileSystem(directory);

    private async Task<ScsiTask> Run(byte[] cdb, int dataIn, bool acceptsFile = true, TaskAttribute attribute = TaskAttribute.Simple, byte[]? dataOut = null)
    {
        ScsiTask task = NewTask(cdb, dataIn, dataOut, attribute: attribute);
        task.AcceptsStoredDataIn = acceptsFile;
        await _unit.ExecuteAsync(task, CancellationToken.None);
        return task;
    }

    [Fact]
    public async Task TryGetStoredData_OffersTheFileOnlyOnAMemoryFileSystem()
    {
        Assert.Equal(OnMemoryFileSystem(s_memoryDirectory), _device.TryGetStoredData(8, 16, out StoredData data));
        Assert.Same(_device, data.Source);
        Assert.Equal(8 * BlockSize, data.Offset);
        Assert.Equal(16 * BlockSize, data.Length);
        var block = new byte[BlockSize];
        data.Source.Read(data.Offset, block);
        Assert.Equal(_contents.AsSpan(8 * BlockSize, BlockSize).ToArray(), block);
        var fromFile = new byte[BlockSize];
        RandomAccess.Read(((IFileDataSource)data.Source).File, fromFile, data.Offset);
        Assert.Equal(block, fromFile);

        string diskDirectory = AppContext.BaseDirectory;
        await using FileBlockDevice onDisk = Open(diskDirectory);
        Assert.Equal(OnMemoryFileSystem(diskDirectory), onDisk.TryGetStoredData(0, 1, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => onDisk.TryGetStoredData(onDisk.BlockCount, 1, out _));
    }

    [MemoryFileSystemFact]
    public async Task LargeRead_LeavesDataInTheFile_AtTheBlocksOffset()
    {
        ScsiTask task = await Run(Cdbs.Read10(64, 128), dataIn: 128 * BlockSize);

        AssertGood(task);
        StoredData stored = Assert.NotNull(task.StoredDataIn);
        Assert.Equal(64 * BlockSize, stored.Offset);
        Assert.Equal(128 * BlockSize, stored.Length);
        Assert.Equal(128 * BlockSize, task.DataInLength);
        var sent = new byte[task.DataInLength];
        stored.Source.Read(stored.Offset, sent);
        Assert.Equal(_contents.AsSpan(64 * BlockSize, 128 * BlockSize).ToArray(), sent);
        Assert.All(task.Buffer.ToArray(), b => Assert.Equal(0, b)); // nothing was copied
        task.ReleaseDataIn();
        Assert.Null(task.StoredDataIn);
    }

    [Theory]
    [InlineData(8, 8 * BlockSize, true)]            // 4 KiB: below the threshold, copying is cheaper
    [InlineData(128, 128 * BlockSize, false)]       // the transport cannot send files (e.g. data digest)
    [InlineData(128, 128 * BlockSize - 100, true)]  // EDTL ends inside a block: the tail goes through the buffer
    public async Task Read_ThatCannotOrShouldNotUseTheFile_FillsTheBuffer(int blocks, int edtl, bool acceptsFile)
    {
        ScsiTask task = await Run(Cdbs.Read10(64, (ushort)blocks), dataIn: edtl, acceptsFile: acceptsFile);

        AssertGood(task);
        Assert.Null(task.StoredDataIn);
        Assert.Equal(edtl, task.DataInLength);
        Assert.Equal(_contents.AsSpan(64 * BlockSize, edtl), DataIn(task));
    }

    [MemoryFileSystemFact]
    public async Task OrderedWrite_AfterFileRead_WaitsUntilTheTransportReleasesTheData()
    {
        ScsiTask read = await Run(Cdbs.Read10(0, 64), dataIn: 64 * BlockSize);
        StoredData stored = Assert.NotNull(read.StoredDataIn);

        byte[] newData = Enumerable.Repeat((byte)0xEE, 64 * BlockSize).ToArray();
        Task<ScsiTask> write = Run(Cdbs.Write10(0, 64), 0, attribute: TaskAttribute.Ordered, dataOut: newData);
        await Task.Delay(100);
        Assert.False(write.IsCompleted, "the ORDERED write must not overtake the read whose data is still unsent");
        var unsent = new byte[read.DataInLength];
        stored.Source.Read(stored.Offset, unsent);
        Assert.Equal(_contents.AsSpan(0, 64 * BlockSize).ToArray(), unsent);

        read.ReleaseDataIn();
        AssertGood(await write.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [MemoryFileSystemFact]
    public async Task Reset_OfATaskHoldingFileData_ReleasesItsPlaceInTheTaskSet()
    {
        ScsiTask read = await Run(Cdbs.Read10(0, 64), dataIn: 64 * BlockSize);
        Task<ScsiTask> ordered = Run(Cdbs.TestUnitReady(), 0, attribute: TaskAttribute.Ordered);
        await Task.Delay(50);
        Assert.False(ordered.IsCompleted);

        read.Reset();
        AssertGood(await ordered.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Null(read.StoredDataIn);
    }
}
