using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Login;
using NetScsi.Iscsi.Target;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;
using NetScsi.Transport;
using NetScsi.Transport.Tcp;

namespace NetScsi.Functional.Tests.Target;

/// <summary>
/// <see cref="IscsiTargetLimits"/> at the accept loop and at session creation, over loopback TCP (limits per
/// initiator address need real addresses), and the accept loop's backoff when accept itself fails.
/// </summary>
public sealed class ConnectionLimitTests
{
    private const string First = "iqn.2026-11.org.netscsi:limits-first";
    private const string Second = "iqn.2026-11.org.netscsi:limits-second";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task AcceptFailingWithTooManyOpenFiles_BacksOffInsteadOfSpinning()
    {
        await using var server = new IscsiTargetServer(new IscsiTargetOptions(), NullLoggerFactory.Instance);
        var listener = new FailingListener(SocketError.TooManyOpenSockets);
        server.AddListener(listener);

        await Task.Delay(TimeSpan.FromSeconds(1.5));

        // 10 ms doubling to 1 s: about 8 attempts in 1.5 s. Retrying at once made hundreds of thousands.
        Assert.InRange(listener.Attempts, 2, 20);
    }

    [Fact]
    public async Task ConnectionsInLogin_OverTheLimitAreClosed_AndRoomReturnsWhenOneLeaves()
    {
        await using var server = await StartAsync(limits => limits.MaxConnectionsInLogin = 2);
        int port = Port(server);
        using var idle1 = await ConnectRawAsync(port);
        using var idle2 = await ConnectRawAsync(port);

        Assert.True(await IsRefusedAsync(port), "a third connection in login should be closed at accept");

        idle1.Dispose();
        await using var session = await ConnectEventuallyAsync(port, First);
        Assert.Equal(512, (await session.ReadCapacityAsync(0)).BlockSize);
    }

    [Fact]
    public async Task LoggedInConnections_DoNotCountAsInLogin()
    {
        await using var server = await StartAsync(limits => limits.MaxConnectionsInLogin = 1);
        int port = Port(server);
        await using var a = await ConnectAsync(port, First);
        await using var b = await ConnectAsync(port, First);
        await a.ReadCapacityAsync(0);
        await b.ReadCapacityAsync(0);
    }

    [Fact]
    public async Task SessionsPerTarget_OverTheLimitGetOutOfResources_AndALogoutMakesRoom()
    {
        await using var server = await StartAsync(limits => limits.MaxSessionsPerTarget = 1);
        int port = Port(server);
        var a = await ConnectAsync(port, First);

        var refused = await Assert.ThrowsAsync<IscsiLoginException>(() => ConnectAsync(port, First));
        Assert.Equal(LoginStatusCode.OutOfResources, refused.Status);
        await using (var other = await ConnectAsync(port, Second))
        {
            // The limit is per target: the other target still takes a session.
            await other.ReadCapacityAsync(0);
        }

        await a.LogoutAsync();
        await a.DisposeAsync();
        await using var c = await ConnectEventuallyAsync(port, First);
        await c.ReadCapacityAsync(0);
    }

    [Fact]
    public async Task SessionsPerInitiatorAddress_CountAcrossTargets()
    {
        await using var server = await StartAsync(limits => limits.MaxSessionsPerInitiatorAddress = 1);
        int port = Port(server);
        await using var a = await ConnectAsync(port, First);

        var refused = await Assert.ThrowsAsync<IscsiLoginException>(() => ConnectAsync(port, Second));
        Assert.Equal(LoginStatusCode.OutOfResources, refused.Status);
        await a.ReadCapacityAsync(0);
    }

    [Fact]
    public async Task ConnectionsPerInitiatorAddress_OverTheLimitAreClosed()
    {
        await using var server = await StartAsync(limits => limits.MaxConnectionsPerInitiatorAddress = 1);
        int port = Port(server);
        await using var a = await ConnectAsync(port, First);
        Assert.True(await IsRefusedAsync(port), "a second connection from the address should be closed at accept");
        await a.ReadCapacityAsync(0);
    }

    private static async Task<IscsiTargetServer> StartAsync(Action<IscsiTargetLimits> limits)
    {
        var options = new IscsiTargetOptions();
        options.Portals.Add(new TcpPortal(new IPEndPoint(IPAddress.Loopback, 0)));
        options.Transports.Add(new TcpTransport());
        foreach (var name in (string[])[First, Second])
        {
            var target = new TargetDefinition { Name = name };
            target.Luns.Add(new LunMapping(0, new BlockLogicalUnit(new MemoryBlockDevice(1 << 20, 512), new LogicalUnitOptions())));
            options.Targets.Add(target);
        }

        limits(options.Limits);
        var server = new IscsiTargetServer(options, NullLoggerFactory.Instance);
        await server.StartAsync();
        return server;
    }

    private static int Port(IscsiTargetServer server) => ((TcpPortal)server.ListeningPortals[0]).Port;

    private static async Task<IscsiSession> ConnectAsync(int port, string target)
    {
        using var cts = new CancellationTokenSource(s_timeout);
        return await IscsiSession.ConnectAsync(
            new IscsiSessionOptions
            {
                Portal = new TcpPortal("127.0.0.1", port),
                Connector = new TcpTransport(),
                TargetName = target,
                InitiatorName = "iqn.2026-11.org.netscsi:limits-initiator",
                LoginTimeout = TimeSpan.FromSeconds(5),
            },
            cts.Token);
    }

    // The target counts a closed connection once its receive loop sees the close: retry briefly.
    private static async Task<IscsiSession> ConnectEventuallyAsync(int port, string target)
    {
        var deadline = DateTime.UtcNow + s_timeout;
        while (true)
        {
            try
            {
                return await ConnectAsync(port, target);
            }
            catch (Exception e) when (e is IOException or SocketException or IscsiLoginException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    private static async Task<Socket> ConnectRawAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return socket;
    }

    // Connects and waits for the target to close the connection (the kernel completes the handshake before
    // the target sees it, so a refusal shows as a reset or end of stream, at connect or at the first read).
    private static async Task<bool> IsRefusedAsync(int port)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            using var socket = await ConnectRawAsync(port);
            return await socket.ReceiveAsync(new byte[1], SocketFlags.None, cts.Token) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    // accept(2) failing as it does when the process is out of descriptors.
    private sealed class FailingListener(SocketError error) : IDataMoverListener
    {
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        public Portal Portal { get; } = new TcpPortal("127.0.0.1", 1);

        public async ValueTask<ITargetDataMover?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _attempts);
            await Task.Yield();
            // A mover reports accept failures as IOException, the socket error inside (as the TCP listener does).
            return cancellationToken.IsCancellationRequested ? null : throw new IOException("accept failed", new SocketException((int)error));
        }

        public string? FormatTargetAddress(IDataMoverConnection via) => null;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
