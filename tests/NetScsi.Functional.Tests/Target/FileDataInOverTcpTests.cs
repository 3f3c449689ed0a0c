using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Target;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;
using NetScsi.Transport;
using NetScsi.Transport.Tcp;

namespace NetScsi.Functional.Tests.Target;

/// <summary>
/// Reads of a file LUN on tmpfs over real TCP, where the target sends Data-In with sendfile: every size and
/// segmentation arrives byte for byte, with and without digests (a data digest takes the copying path).
/// </summary>
public sealed class FileDataInOverTcpTests : IAsyncLifetime
{
    private const string TargetName = "iqn.2026-11.org.netscsi:sendfile";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    private readonly string _path = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"netscsi-sendfile-{Guid.NewGuid():N}.img");
    private readonly byte[] _contents = new byte[8 << 20];
    private IscsiTargetServer _server = null!;
    private Portal _portal = null!;

    public async Task InitializeAsync()
    {
        new Random(11).NextBytes(_contents);
        await File.WriteAllBytesAsync(_path, _contents);
        var options = new IscsiTargetOptions();
        var target = new TargetDefinition { Name = TargetName };
        target.Luns.Add(new LunMapping(0, new BlockLogicalUnit(FileBlockDevice.Open(_path, null), new LogicalUnitOptions())));
        options.Targets.Add(target);
        _server = new IscsiTargetServer(options, NullLoggerFactory.Instance);
        var listener = TcpDataMoverListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _portal = listener.Portal;
        _server.AddListener(listener);
        await _server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _server.StopAsync(cts.Token);
        await _server.DisposeAsync();
        File.Delete(_path);
    }

    private Task<IscsiSession> ConnectAsync(bool headerDigest, bool dataDigest, int maxRecvDataSegmentLength) =>
        IscsiSession.ConnectAsync(new IscsiSessionOptions
        {
            Portal = _portal,
            Connector = new TcpDataMoverConnector(),
            TargetName = TargetName,
            InitiatorName = "iqn.2026-11.org.netscsi:sendfile-initiator",
            HeaderDigest = headerDigest,
            DataDigest = dataDigest,
            MaxRecvDataSegmentLength = maxRecvDataSegmentLength,
        }, new CancellationTokenSource(s_timeout).Token);

    [Theory]
    [InlineData(false, false, 262144)]
    [InlineData(true, false, 262144)]
    [InlineData(false, false, 8192)]   // every read splits into many Data-In PDUs
    [InlineData(true, true, 65536)]    // data digest: the target copies and checksums instead
    public async Task Reads_OfEverySize_ArriveByteForByte(bool headerDigest, bool dataDigest, int maxRecvDataSegmentLength)
    {
        await using IscsiSession session = await ConnectAsync(headerDigest, dataDigest, maxRecvDataSegmentLength);
        await session.TestUnitReadyAsync(0).AsTask().WaitAsync(s_timeout); // the power-on unit attention
        uint[] sizes = [8, 32, 128, 129, 512, 2048];
        var reads = new List<(uint Lba, uint Blocks, byte[] Buffer, Task Read)>();
        uint lba = 3;
        foreach (uint blocks in sizes)
        {
            for (int copy = 0; copy < 4; copy++)
            {
                var buffer = new byte[blocks * 512];
                reads.Add((lba, blocks, buffer, session.ReadAsync(0, lba, blocks, buffer).AsTask()));
                lba += blocks + 5;
            }
        }
        await Task.WhenAll(reads.Select(r => r.Read)).WaitAsync(s_timeout);
        foreach (var (start, blocks, buffer, _) in reads)
        {
            Assert.True(_contents.AsSpan((int)start * 512, (int)blocks * 512).SequenceEqual(buffer), $"LBA {start} x {blocks} differs");
        }
    }

    [Fact]
    public async Task WriteThenRead_TheSameBlocks_ReturnsTheNewData()
    {
        await using IscsiSession session = await ConnectAsync(false, false, 262144);
        await session.TestUnitReadyAsync(0).AsTask().WaitAsync(s_timeout);
        byte[] data = new byte[256 * 512];
        new Random(12).NextBytes(data);
        for (int round = 0; round < 8; round++)
        {
            data[round] ^= 0xFF;
            await session.WriteAsync(0, 1000, data).AsTask().WaitAsync(s_timeout);
            var back = new byte[data.Length];
            await session.ReadAsync(0, 1000, 256, back).AsTask().WaitAsync(s_timeout);
            Assert.Equal(data, back);
        }
    }
}
