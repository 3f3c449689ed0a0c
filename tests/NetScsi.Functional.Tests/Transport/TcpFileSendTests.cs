using System.Net;
using System.Net.Sockets;
using NetScsi.Transport.Tcp;

namespace NetScsi.Functional.Tests.Transport;

/// <summary><see cref="TcpStream.SendFileAsync"/> (sendfile under the TCP target mover): header, then a file range, byte for byte, also when the peer is slow.</summary>
public sealed class TcpFileSendTests : IAsyncLifetime
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "netscsi-sendfile-" + Guid.NewGuid().ToString("N"));
    private TcpDataMoverListener _listener = null!;
    private TcpStream _server = null!;
    private Socket _client = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _listener = TcpDataMoverListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var accept = _listener.AcceptAsync().AsTask();
        _client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await _client.ConnectAsync(_listener.EndPoint);
        _server = ((TcpTargetDataMover)(await accept.WaitAsync(s_timeout))!).Stream;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        await _listener.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private string CreateFile(int length, int seed, out byte[] contents)
    {
        contents = new byte[length];
        new Random(seed).NextBytes(contents);
        string path = Path.Combine(_directory, $"data-{seed}.bin");
        File.WriteAllBytes(path, contents);
        return path;
    }

    private async Task<byte[]> ReceiveAsync(int length)
    {
        var received = new byte[length];
        int total = 0;
        while (total < length)
        {
            int n = await _client.ReceiveAsync(received.AsMemory(total), SocketFlags.None).AsTask().WaitAsync(s_timeout);
            Assert.True(n > 0, $"connection closed after {total} of {length} bytes");
            total += n;
        }
        return received;
    }

    [Fact]
    public async Task SendFile_HeaderThenRange_ArriveInOrder()
    {
        string path = CreateFile(1 << 20, seed: 1, out byte[] contents);
        using var file = File.OpenHandle(path);
        byte[] header = [.. Enumerable.Range(0, 48).Select(i => (byte)(0xA0 + i))];

        TcpStream sender = _server;
        await sender.SendFileAsync(header, file, offset: 4096, length: 65536).AsTask().WaitAsync(s_timeout);
        await sender.SendFileAsync(header.AsMemory(0, 8), file, offset: 0, length: 512).AsTask().WaitAsync(s_timeout);

        byte[] received = await ReceiveAsync(48 + 65536 + 8 + 512);
        Assert.Equal(header, received[..48]);
        Assert.Equal(contents.AsSpan(4096, 65536), received.AsSpan(48, 65536));
        Assert.Equal(header.AsSpan(0, 8), received.AsSpan(48 + 65536, 8));
        Assert.Equal(contents.AsSpan(0, 512), received.AsSpan(48 + 65536 + 8));
    }

    [Fact]
    public async Task SendFile_PeerNotReading_WaitsForRoomThenDeliversEveryByte()
    {
        // More than loopback's send and receive buffers hold: sendfile runs out of room and the
        // send must wait for the peer, then resume, without losing or reordering a byte.
        const int length = 32 << 20;
        string path = CreateFile(length, seed: 2, out byte[] contents);
        using var file = File.OpenHandle(path);
        byte[] header = new byte[52];
        header.AsSpan().Fill(0x5A);

        Task send = _server.SendFileAsync(header, file, 0, length).AsTask();
        await Task.Delay(300);
        Assert.False(send.IsCompleted, "32 MiB cannot fit in the socket buffers of a peer that does not read");

        byte[] received = await ReceiveAsync(header.Length + length);
        await send.WaitAsync(s_timeout);
        Assert.Equal(header, received[..header.Length]);
        Assert.True(contents.AsSpan().SequenceEqual(received.AsSpan(header.Length)), "file bytes differ");
    }

    [Fact]
    public async Task SendFile_RangeBeyondEndOfFile_ThrowsIOException()
    {
        string path = CreateFile(8192, seed: 3, out _);
        using var file = File.OpenHandle(path);
        var error = await Assert.ThrowsAsync<IOException>(() => _server.SendFileAsync(new byte[48], file, 4096, 8192).AsTask().WaitAsync(s_timeout));
        Assert.Contains("8192", error.Message);
    }
}
