namespace NetScsi.Interop.Tests;

/// <summary>QEMU's iscsi:// block driver (qemu-utils + qemu-block-extra, built on libiscsi) against
/// the real target process.</summary>
public sealed class QemuTests(InteropTargetFixture target) : IClassFixture<InteropTargetFixture>, IDisposable
{
    private const int MiB = 1024 * 1024;
    private const int ImageBytes = 32 * MiB;
    private static readonly TimeSpan TransferTimeout = TimeSpan.FromSeconds(60);

    private readonly string _scratch = Directory.CreateTempSubdirectory("netscsi-interop-qemu-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public async Task QemuImgConvertAndCompare_RoundTripsAnImage()
    {
        string local = Path.Combine(_scratch, "local.img");
        byte[] image = MakeImage();
        await File.WriteAllBytesAsync(local, image);
        string lun0 = target.LunUrl(0);

        // Make the zero regions meaningful: the LUN's first 32 MiB start out non-zero, so convert has to
        // really zero them (WRITE SAME / UNMAP / zero-filled WRITE). The part beyond the image is zeroed
        // explicitly, because `qemu-img compare` accepts a larger second image only if the excess reads
        // as zeros (without -s; with -s a size mismatch alone is a difference).
        (await ToolRunner.RunAsync("qemu-io", TransferTimeout,
            "-f", "raw", "-c", $"write -P 0x5a 0 {ImageBytes}", "-c", $"write -z {ImageBytes} {InteropTargetFixture.Lun0Bytes - ImageBytes}", lun0)).AssertSuccess();

        // -n: the target exists; don't try to create it.
        (await ToolRunner.RunAsync("qemu-img", TransferTimeout, "convert", "-f", "raw", "-O", "raw", "-n", local, lun0)).AssertSuccess();

        // Exit 0 = identical, 1 = different, 2 = error.
        var compare = await ToolRunner.RunAsync("qemu-img", TransferTimeout, "compare", "-f", "raw", "-F", "raw", local, lun0);
        Assert.True(compare.ExitCode == 0 && compare.Stdout.Contains("Images are identical.", StringComparison.Ordinal),
            $"`{compare.CommandLine}` exited {compare.ExitCode}\n{compare.Describe()}");

        // And back: the LUN's first 32 MiB read through a separate session are the image, byte for byte.
        string back = Path.Combine(_scratch, "back.img");
        (await ToolRunner.RunAsync("qemu-img", TransferTimeout, "convert", "-f", "raw", "-O", "raw", lun0, back)).AssertSuccess();
        byte[] readBack = await File.ReadAllBytesAsync(back);
        Assert.Equal(InteropTargetFixture.Lun0Bytes, readBack.LongLength);
        AssertSameBytes(image, readBack.AsSpan(0, ImageBytes));
        int nonZero = readBack.AsSpan(ImageBytes).IndexOfAnyExcept((byte)0);
        Assert.True(nonZero < 0, $"the LUN beyond the image is not zero at offset {ImageBytes + nonZero}");
    }

    [Fact]
    public async Task QemuIo_WritePatternThenReadVerify()
    {
        string lun1 = target.LunUrl(1);

        // qemu-io's `read -P` fails (non-zero exit, "Pattern verification failed") on any mismatching byte.
        var result = (await ToolRunner.RunAsync("qemu-io", TransferTimeout,
            "-f", "raw",
            "-c", "write -P 0xab 0 1M",
            "-c", "write -P 0xcd 15M 1M",
            "-c", "read -P 0xab 0 1M",
            "-c", "read -P 0xcd 15M 1M",
            lun1)).AssertSuccess();
        Assert.DoesNotContain("verification failed", result.Stdout + result.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("read 1048576/1048576 bytes at offset 15728640", result.Stdout);

        // A new session (a new qemu-io process) sees the same data.
        (await ToolRunner.RunAsync("qemu-io", TransferTimeout, "-f", "raw", "-c", "read -P 0xab 0 1M", "-c", "read -P 0xcd 15M 1M", lun1)).AssertSuccess();
    }

    /// <summary>32 MiB of seeded random bytes with zero regions: whole MiBs, a run crossing a MiB
    /// boundary, and short runs at odd block-aligned offsets.</summary>
    private static byte[] MakeImage()
    {
        byte[] image = new byte[ImageBytes];
        new Random(20261121).NextBytes(image);
        image.AsSpan(3 * MiB, 2 * MiB).Clear();
        image.AsSpan(17 * MiB, MiB).Clear();
        image.AsSpan(20 * MiB - 96 * 1024, 160 * 1024).Clear();
        image.AsSpan(25 * MiB + 4096, 4096).Clear();
        image.AsSpan(ImageBytes - 512, 512).Clear();
        return image;
    }

    private static void AssertSameBytes(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        int mismatch = expected.CommonPrefixLength(actual);
        Assert.True(mismatch == expected.Length,
            $"read-back differs from the image at offset {mismatch}: expected 0x{(mismatch < expected.Length ? expected[mismatch] : 0):x2}, got 0x{(mismatch < actual.Length ? actual[mismatch] : 0):x2}");
    }
}
