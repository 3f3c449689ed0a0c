using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using NetScsi.Scsi.Storage;

namespace NetScsi.Scsi.Tests.Storage;

public class FileBlockDeviceTests : BlockDeviceContractTests, IDisposable
{
    // xunit makes one instance per test, so every test gets its own directory.
    private readonly string _directory;

    public FileBlockDeviceTests()
        : this(Path.GetTempPath())
    {
    }

    protected FileBlockDeviceTests(string root)
    {
        _directory = Path.Combine(root, "netscsi-storage-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathFor(string name) => Path.Combine(_directory, name);

    protected override async ValueTask<IBlockDevice> CreateDeviceAsync(long sizeBytes, int blockSize, bool readOnly = false)
    {
        string path = PathFor("lun.img");
        FileBlockDevice device = FileBlockDevice.Open(path, sizeBytes, blockSize);
        if (!readOnly)
        {
            return device;
        }

        await device.DisposeAsync();
        return FileBlockDevice.Open(path, sizeBytes: null, blockSize, readOnly: true);
    }

    [Fact]
    public async Task Resize_GrowsAndShrinksTheFile_AndTheNewTailReadsZeros()
    {
        string path = PathFor("resize.img");
        await using var device = FileBlockDevice.Open(path, 64 * 512);
        await device.WriteAsync(63, Enumerable.Repeat((byte)7, 512).ToArray(), forceUnitAccess: false);

        await device.ResizeAsync(128);

        Assert.Equal(128, device.BlockCount);
        Assert.Equal(128 * 512, new FileInfo(path).Length);
        byte[] block = new byte[512];
        await device.ReadAsync(127, block);
        Assert.All(block, b => Assert.Equal(0, b));
        await device.ReadAsync(63, block);
        Assert.All(block, b => Assert.Equal(7, b));

        await device.ResizeAsync(32);

        Assert.Equal(32, device.BlockCount);
        Assert.Equal(32 * 512, new FileInfo(path).Length);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await device.ReadAsync(32, block));
    }

    [Fact]
    public async Task Resize_ReadOnlyFile_IsRefused()
    {
        string path = PathFor("ro.img");
        await (await Task.FromResult(FileBlockDevice.Open(path, 8 * 512))).DisposeAsync();
        await using var device = FileBlockDevice.Open(path, sizeBytes: null, readOnly: true);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await device.ResizeAsync(16));
        Assert.Equal(8, device.BlockCount);
    }

    [Fact]
    public async Task Reopen_PreservesData()
    {
        string path = PathFor("lun.img");
        byte[] data = Pattern(8 * 512, seed: 1);
        string identity;
        await using (FileBlockDevice device = FileBlockDevice.Open(path, 4 * Mib))
        {
            await device.WriteAsync(77, data, forceUnitAccess: false);
            identity = device.Identity;
        }

        await using FileBlockDevice reopened = FileBlockDevice.Open(path, sizeBytes: null);

        Assert.Equal(4L * Mib / 512, reopened.BlockCount);
        Assert.Equal(data, await ReadAsync(reopened, 77, 8));
        Assert.Equal(identity, reopened.Identity);
    }

    [Fact]
    public void Open_MissingFileWithoutSize_Throws()
    {
        string path = PathFor("missing.img");

        var error = Assert.Throws<FileNotFoundException>(() => FileBlockDevice.Open(path, sizeBytes: null));

        Assert.Contains("give a size", error.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Open_MissingFileReadOnly_Throws()
    {
        string path = PathFor("missing.img");

        Assert.Throws<FileNotFoundException>(() => FileBlockDevice.Open(path, Mib, readOnly: true));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Open_SizeSmallerThanExistingFile_Throws()
    {
        string path = PathFor("lun.img");
        await FileBlockDevice.Open(path, 2 * Mib).DisposeAsync();

        var error = Assert.Throws<ArgumentException>(() => FileBlockDevice.Open(path, Mib));

        Assert.Contains("smaller than the existing backing file", error.Message);
        Assert.Equal(2L * Mib, new FileInfo(path).Length);
    }

    [Fact]
    public async Task Open_LargerSize_ExtendsSparsely()
    {
        string path = PathFor("lun.img");
        byte[] data = Pattern(512, seed: 2);
        await using (FileBlockDevice small = FileBlockDevice.Open(path, Mib))
        {
            await small.WriteAsync(0, data, forceUnitAccess: false);
        }

        await using FileBlockDevice large = FileBlockDevice.Open(path, 4 * Mib);

        Assert.Equal(4L * Mib, new FileInfo(path).Length);
        Assert.Equal(data, await ReadAsync(large, 0, 1));
        Assert.Equal(new AllocationExtent(Mib / 512, 3 * Mib / 512, Mapped: false), await large.GetAllocationStatusAsync(Mib / 512));
    }

    [Fact]
    public void Open_FileLengthNotMultipleOfBlockSize_Throws()
    {
        string path = PathFor("odd.img");
        File.WriteAllBytes(path, new byte[1000]);

        var error = Assert.Throws<ArgumentException>(() => FileBlockDevice.Open(path, sizeBytes: null));

        Assert.Contains("not a positive multiple of the 512-byte block size", error.Message);
    }

    [Fact]
    public void Open_SizeNotMultipleOfBlockSize_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => FileBlockDevice.Open(PathFor("lun.img"), 4096 + 512, blockSize: 4096));

    [Fact]
    public async Task Open_InAMissingDirectory_ThrowsAndCreatesNothing()
    {
        // Creating directories is the caller's decision (the CLI's create-dirs): a typo must not grow a tree.
        string path = Path.Combine(_directory, "a", "b", "lun.img");

        Assert.Throws<DirectoryNotFoundException>(() => FileBlockDevice.Open(path, Mib));

        Assert.False(Directory.Exists(Path.Combine(_directory, "a")));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Open_WhileOpenForWriting_Throws()
    {
        string path = PathFor("lun.img");
        await using FileBlockDevice device = FileBlockDevice.Open(path, Mib);

        // The exclusive lock keeps a second writer (another target) off the same file.
        Assert.ThrowsAny<IOException>(() => FileBlockDevice.Open(path, sizeBytes: null));
    }

    [Fact]
    public async Task NewFile_IsSparse()
    {
        string path = PathFor("lun.img");
        await FileBlockDevice.Open(path, 64 * Mib).DisposeAsync();

        Assert.Equal(64L * Mib, new FileInfo(path).Length);
        Assert.Null(FirstDataOffset(path));
    }

    [Fact]
    public async Task Unmap_PunchesHoleInFile()
    {
        string path = PathFor("lun.img");
        await using (FileBlockDevice device = FileBlockDevice.Open(path, 4 * Mib))
        {
            await device.WriteAsync(Mib / 512, Pattern(2 * Mib, seed: 3), forceUnitAccess: false);
        }

        // Checked between opens: the device's exclusive lock keeps even a reader's handle out meanwhile.
        Assert.Equal(Mib, FirstDataOffset(path));
        await using (FileBlockDevice device = FileBlockDevice.Open(path, sizeBytes: null))
        {
            await device.UnmapAsync(Mib / 512, 2 * Mib / 512);
            Assert.True(device.SupportsUnmap);
        }

        Assert.Null(FirstDataOffset(path));
        Assert.Equal(4L * Mib, new FileInfo(path).Length);
    }

    [Fact]
    public async Task AllocationStatus_FollowsDataAndHolesInBlocks()
    {
        // 4 KiB pieces line up with the filesystem's blocks (ext4, xfs, tmpfs), so the layout is exact.
        await using FileBlockDevice device = FileBlockDevice.Open(PathFor("lun.img"), Mib);
        await device.WriteAsync(0, Pattern(4096, seed: 4), forceUnitAccess: false);
        await device.WriteAsync(8, Pattern(4096, seed: 5), forceUnitAccess: false);
        await device.WriteAsync(24, Pattern(4096, seed: 6), forceUnitAccess: false);

        Assert.Equal(new AllocationExtent(0, 16, Mapped: true), await device.GetAllocationStatusAsync(0));
        Assert.Equal(new AllocationExtent(5, 11, Mapped: true), await device.GetAllocationStatusAsync(5));
        Assert.Equal(new AllocationExtent(16, 8, Mapped: false), await device.GetAllocationStatusAsync(16));
        Assert.Equal(new AllocationExtent(24, 8, Mapped: true), await device.GetAllocationStatusAsync(24));
        Assert.Equal(new AllocationExtent(32, device.BlockCount - 32, Mapped: false), await device.GetAllocationStatusAsync(32));
    }

    [Fact]
    public async Task Unmap_WithoutHolePunching_WritesZeros()
    {
        await using FileBlockDevice device = FileBlockDevice.Open(PathFor("lun.img"), 2 * Mib);
        byte[] data = Pattern(Mib, seed: 7);
        await device.WriteAsync(0, data, forceUnitAccess: false);
        device.DisableHolePunching();

        await device.UnmapAsync(8, 1024);

        Assert.False(device.SupportsUnmap);
        byte[] expected = (byte[])data.Clone();
        expected.AsSpan(8 * 512, 1024 * 512).Clear();
        Assert.Equal(expected, await ReadAsync(device, 0, Mib / 512));
    }

    [Fact]
    public async Task ReadOnlyDevice_FlushIsNoOp()
    {
        await using IBlockDevice device = await CreateDeviceAsync(Mib, 512, readOnly: true);

        await device.FlushAsync();
    }

    /// <summary>Asks the kernel directly (SEEK_DATA from 0): null when the file holds no data at all (ENXIO).</summary>
    private static long? FirstDataOffset(string path)
    {
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        long offset = LinuxFileInterop.Lseek((int)handle.DangerousGetHandle(), 0, LinuxFileInterop.SEEK_DATA);
        if (offset >= 0)
        {
            return offset;
        }

        Assert.Equal(LinuxFileInterop.ENXIO, Marshal.GetLastPInvokeError());
        return null;
    }
}

/// <summary>
/// Every file device test again with the file on tmpfs, where reads and writes are done inline (no pool thread)
/// and large reads can be left in the file for sendfile. Where /dev/shm is not tmpfs this repeats the disk case.
/// </summary>
public sealed class FileBlockDeviceOnTmpfsTests : FileBlockDeviceTests
{
    public FileBlockDeviceOnTmpfsTests()
        : base(MemoryFileSystemFactAttribute.IsMemoryFileSystem(MemoryFileSystemFactAttribute.Directory) ? MemoryFileSystemFactAttribute.Directory : Path.GetTempPath())
    {
    }
}
