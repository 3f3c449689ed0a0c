namespace NetScsi.IpOverScsi.Tests.Networks;

/// <summary>A TCP stream from one host to another (python3 sockets), received into a file to compare byte for byte.</summary>
internal static class TcpTransfer
{
    private const string Server = """
        import socket, sys
        address, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((address, port))
        s.listen(1)
        s.settimeout(60)
        c, _ = s.accept()
        c.settimeout(60)
        with open(path, "wb") as f:
            while True:
                d = c.recv(1 << 20)
                if not d:
                    break
                f.write(d)
        c.close()
        """;

    private const string Client = """
        import socket, sys, time
        address, port = sys.argv[1], int(sys.argv[2])
        data = sys.stdin.buffer.read()
        for attempt in range(200):
            try:
                c = socket.create_connection((address, port), timeout=60)
                break
            except OSError:
                time.sleep(0.05)
        else:
            sys.exit("server never listened")
        c.sendall(data)
        c.shutdown(socket.SHUT_WR)
        c.recv(1)
        c.close()
        """;

    /// <summary>Sends <paramref name="data"/> from <paramref name="fromNs"/> to <paramref name="toAddress"/>:5001 in <paramref name="toNs"/>; returns what arrived.</summary>
    public static async Task<byte[]> RunAsync(TestNetwork network, string fromNs, string toNs, string toAddress, byte[] data)
    {
        string path = Path.Combine(Path.GetTempPath(), $"netscsi-ip-rx-{Guid.NewGuid():N}");
        try
        {
            Task<CommandResult> server = network.ExecAsync(toNs, "python3", "-c", Server, toAddress, "5001", path);
            CommandResult client = await network.ExecAsync(fromNs, data, "python3", "-c", Client, toAddress, "5001");
            client.AssertSuccess();
            (await server).AssertSuccess();
            return await File.ReadAllBytesAsync(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
