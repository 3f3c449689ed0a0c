using Microsoft.Extensions.Logging.Abstractions;
using NetScsi.Cli.Hosting;
using NetScsi.Cli.Parsing;
using NetScsi.Scsi.Storage;

namespace NetScsi.Functional.Tests.Cli;

/// <summary>The test/diagnostic LUN option <c>delay-control=PATH</c> and its control file.</summary>
public sealed class DelayControlTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("netscsi-delay-control-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void LunSpec_DelayControl_ParsesPath()
    {
        Assert.True(LunSpecParser.TryParse("memory:16M,delay-control=/tmp/ctl,lun=3", out var lun, out var error), error);
        Assert.Equal("/tmp/ctl", lun!.DelayControlPath);
        Assert.Equal(3, lun.Number);
        Assert.False(LunSpecParser.TryParse("file:a.img,delay-control", out _, out error));
        Assert.Contains("needs a value", error);
    }

    [Theory]
    [InlineData("", 0, 0, false)]
    [InlineData("write=40000", 0, 40000, false)]
    [InlineData("# a comment\nread=5 write=7 ignore-abort # why\n", 5, 7, true)]
    [InlineData("WRITE=1\nwrite=2", 0, 2, false)]
    public void ControlFile_Parses(string text, int readMs, int writeMs, bool ignoreAbort)
    {
        Assert.True(DelayControlledBlockDevice.TryParseControl(text, out var read, out var write, out bool ignore, out var error), error);
        Assert.Equal(TimeSpan.FromMilliseconds(readMs), read);
        Assert.Equal(TimeSpan.FromMilliseconds(writeMs), write);
        Assert.Equal(ignoreAbort, ignore);
    }

    [Theory]
    [InlineData("write 40000")]
    [InlineData("write=-1")]
    [InlineData("write=1s")]
    [InlineData("ignore-abort=1")]
    public void ControlFile_Rejects(string text)
    {
        Assert.False(DelayControlledBlockDevice.TryParseControl(text, out _, out _, out _, out var error));
        Assert.Contains("expected read=MS, write=MS or ignore-abort", error);
    }

    [Fact]
    public async Task Device_FollowsTheControlFile_AndAbortStopsADelayedWrite()
    {
        string ctl = Path.Combine(_work, "ctl");
        await File.WriteAllTextAsync(ctl, "write=600000");
        await using var device = new DelayControlledBlockDevice(new MemoryBlockDevice(1 << 20), 0, ctl, NullLogger.Instance);

        // Applied at start: the write is held until its task is aborted (the token fires).
        using var abort = new CancellationTokenSource();
        var held = device.WriteAsync(0, new byte[512], false, abort.Token).AsTask();
        await Task.Delay(100);
        Assert.False(held.IsCompleted);
        abort.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held);

        // Cleared through the file: writes are immediate again (the target polls it every 200 ms).
        File.Delete(ctl);
        using var stragglers = new CancellationTokenSource();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var write = device.WriteAsync(0, new byte[512], false, stragglers.Token).AsTask();
            if (await Task.WhenAny(write, Task.Delay(50)) == write)
            {
                await write;
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, "the device did not pick up the cleared control file");
            await Task.Delay(200);
        }

        stragglers.Cancel(); // writes started before the change was seen
    }
}
