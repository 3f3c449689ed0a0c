using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Target;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;
using NetScsi.Transport.Tcp;

namespace NetScsi.Interop.Tests;

/// <summary>How a peer target authenticates initiators.</summary>
public enum PeerAuth
{
    None,
    Chap,
    MutualChap,
}

/// <summary>
/// A target for the initiator interop tests: three target nodes (no authentication, CHAP, mutual
/// CHAP), each with a 64 MiB LUN 1, on a loopback portal.
/// </summary>
public interface IInitiatorPeer
{
    const string ChapUser = "interop-user";
    const string ChapSecret = "interop-secret-1";
    const string TargetUser = "interop-target";
    const string TargetSecret = "interop-target-secret-2";
    const long LunBytes = 64L * 1024 * 1024;
    const ulong Lun = 1;

    string Name { get; }

    int Port { get; }

    string TargetName(PeerAuth auth);

    /// <summary>True when WRITE SAME(16) with the UNMAP bit leaves blocks that read as zeros.</summary>
    bool WriteSameUnmapSupported { get; }

    /// <summary>True when UNMAP is supported.</summary>
    bool UnmapSupported { get; }

    /// <summary>CHAP_A values to offer.</summary>
    IReadOnlyList<NetScsi.Iscsi.Login.ChapAlgorithm> ChapAlgorithms { get; }

    IscsiSessionOptions Options(PeerAuth auth) => new()
    {
        Portal = new TcpPortal("127.0.0.1", Port),
        Connector = new TcpTransport(),
        TargetName = TargetName(auth),
        InitiatorName = "iqn.2026-11.org.netscsi:interop-initiator",
        ChapUser = auth == PeerAuth.None ? null : ChapUser,
        ChapSecret = auth == PeerAuth.None ? null : ChapSecret,
        MutualChapUser = auth == PeerAuth.MutualChap ? TargetUser : null,
        MutualChapSecret = auth == PeerAuth.MutualChap ? TargetSecret : null,
        ChapAlgorithms = ChapAlgorithms,
        CommandTimeout = TimeSpan.FromSeconds(20),
        ReplacementTimeout = TimeSpan.FromSeconds(10),
    };

    internal static int FreeTcpPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>
/// Linux tgt (<c>tgtd</c>, Debian package tgt) on its own free portal and control port, configured with
/// <c>tgtadm</c>: file-backed thin LUN 1 on a temporary file per target, bound to ALL initiators,
/// CHAP accounts bound per target (<c>--outgoing</c> for the mutual one). Killed on dispose.
/// Missing tgtd fails the tests with "install tgt"; nothing is skipped.
/// </summary>
public sealed class TgtPeer : IInitiatorPeer, IAsyncLifetime
{
    private const string Hint = "install tgt (apt-get install -y tgt): tgtd and tgtadm must be on PATH";

    private readonly string _directory = Directory.CreateTempSubdirectory("netscsi-tgt-").FullName;
    private readonly System.Text.StringBuilder _output = new();
    private Process? _tgtd;
    private int _controlPort;

    public string Name => "tgt";

    public int Port { get; private set; }

    public bool WriteSameUnmapSupported => true;

    public bool UnmapSupported => true;

    /// <summary>
    /// MD5 only: tgt (1.0.85, iscsi/chap.c) takes CHAP_A=7 to mean SHA-1, where RFC 7143 §12.1.3 / IANA assign
    /// 6 = SHA-1 and 7 = SHA-256. Offered our default list (7,6,5) it picks 7, expects a 20-byte CHAP_R and
    /// fails the login with "initiator error" when our SHA-256 answer is 32 bytes.
    /// </summary>
    public IReadOnlyList<NetScsi.Iscsi.Login.ChapAlgorithm> ChapAlgorithms => [NetScsi.Iscsi.Login.ChapAlgorithm.Md5];

    public string TargetName(PeerAuth auth) => auth switch
    {
        PeerAuth.None => "iqn.2026-11.org.netscsi:tgt-open",
        PeerAuth.Chap => "iqn.2026-11.org.netscsi:tgt-chap",
        _ => "iqn.2026-11.org.netscsi:tgt-mutual",
    };

    public async Task InitializeAsync()
    {
        string tgtd = Find("tgtd") ?? throw new InvalidOperationException(Hint);
        Assert.True(Find("tgtadm") is not null, Hint);
        Port = IInitiatorPeer.FreeTcpPort();
        // The control "port" names a unix socket, /var/run/tgtd/socket.N: pick one no other tgtd uses.
        do
        {
            _controlPort = Random.Shared.Next(10000, 30000); // tgtd accepts 0..32767
        }
        while (File.Exists($"/var/run/tgtd/socket.{_controlPort}"));

        var start = new ProcessStartInfo(tgtd) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-f", "--iscsi", $"portal=127.0.0.1:{Port}", "-C", _controlPort.ToString() })
        {
            start.ArgumentList.Add(a);
        }

        _tgtd = Process.Start(start) ?? throw new InvalidOperationException("could not start tgtd");
        _tgtd.OutputDataReceived += (_, e) => Log(e.Data);
        _tgtd.ErrorDataReceived += (_, e) => Log(e.Data);
        _tgtd.BeginOutputReadLine();
        _tgtd.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while ((await ToolRunner.RunAsync("tgtadm", "-C", _controlPort.ToString(), "--lld", "iscsi", "--op", "show", "--mode", "target")).ExitCode != 0)
        {
            Assert.True(DateTime.UtcNow < deadline && !_tgtd.HasExited, $"tgtd did not start answering tgtadm within 15 s (exited: {_tgtd.HasExited})\n{Output}");
            await Task.Delay(100);
        }

        int tid = 1;
        foreach (var auth in new[] { PeerAuth.None, PeerAuth.Chap, PeerAuth.MutualChap })
        {
            string file = Path.Combine(_directory, $"lun{tid}.img");
            await using (var f = File.Create(file))
            {
                f.SetLength(IInitiatorPeer.LunBytes);
            }

            await AdmAsync("--op", "new", "--mode", "target", "--tid", $"{tid}", "-T", TargetName(auth));
            await AdmAsync("--op", "new", "--mode", "logicalunit", "--tid", $"{tid}", "--lun", "1", "-b", file, "--bstype", "rdwr");
            await AdmAsync("--op", "update", "--mode", "logicalunit", "--tid", $"{tid}", "--lun", "1", "--params", "thin_provisioning=1");
            await AdmAsync("--op", "bind", "--mode", "target", "--tid", $"{tid}", "-I", "ALL");
            // tgt offers HeaderDigest/DataDigest=None only unless told otherwise.
            await AdmAsync("--op", "update", "--mode", "target", "--tid", $"{tid}", "-n", "HeaderDigest", "-v", "CRC32C,None");
            await AdmAsync("--op", "update", "--mode", "target", "--tid", $"{tid}", "-n", "DataDigest", "-v", "CRC32C,None");
            tid++;
        }

        await AdmAsync("--op", "new", "--mode", "account", "--user", IInitiatorPeer.ChapUser, "--password", IInitiatorPeer.ChapSecret);
        await AdmAsync("--op", "new", "--mode", "account", "--user", IInitiatorPeer.TargetUser, "--password", IInitiatorPeer.TargetSecret);
        await AdmAsync("--op", "bind", "--mode", "account", "--tid", "2", "--user", IInitiatorPeer.ChapUser);
        await AdmAsync("--op", "bind", "--mode", "account", "--tid", "3", "--user", IInitiatorPeer.ChapUser);
        await AdmAsync("--op", "bind", "--mode", "account", "--tid", "3", "--user", IInitiatorPeer.TargetUser, "--outgoing");
    }

    public async Task DisposeAsync()
    {
        if (_tgtd is { HasExited: false })
        {
            _tgtd.Kill(entireProcessTree: true);
            await _tgtd.WaitForExitAsync();
        }

        _tgtd?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    private void Log(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private Task AdmAsync(params string[] arguments) =>
        ToolRunner.RunAsync("tgtadm", ["-C", _controlPort.ToString(), "--lld", "iscsi", .. arguments]).ContinueWith(t => t.Result.AssertSuccess(), TaskScheduler.Default);

    private static string? Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin"])
            .Select(d => Path.Combine(d, tool))
            .FirstOrDefault(File.Exists);
}

/// <summary>NetScsi's own target, in-process on a loopback TCP portal, with the same three nodes (memory LUNs).</summary>
public sealed class NetScsiPeer : IInitiatorPeer, IAsyncLifetime
{
    private IscsiTargetServer? _server;

    public string Name => "netscsi";

    public int Port { get; private set; }

    public bool WriteSameUnmapSupported => true;

    public bool UnmapSupported => true;

    public IReadOnlyList<NetScsi.Iscsi.Login.ChapAlgorithm> ChapAlgorithms => [NetScsi.Iscsi.Login.ChapAlgorithm.Sha256, NetScsi.Iscsi.Login.ChapAlgorithm.Sha1, NetScsi.Iscsi.Login.ChapAlgorithm.Md5];

    public string TargetName(PeerAuth auth) => auth switch
    {
        PeerAuth.None => "iqn.2026-11.org.netscsi:peer-open",
        PeerAuth.Chap => "iqn.2026-11.org.netscsi:peer-chap",
        _ => "iqn.2026-11.org.netscsi:peer-mutual",
    };

    public async Task InitializeAsync()
    {
        var options = new IscsiTargetOptions();
        options.Portals.Add(new TcpPortal(new IPEndPoint(IPAddress.Loopback, 0)));
        options.Transports.Add(new TcpTransport());
        foreach (var auth in new[] { PeerAuth.None, PeerAuth.Chap, PeerAuth.MutualChap })
        {
            var target = new TargetDefinition
            {
                Name = TargetName(auth),
                Chap = auth == PeerAuth.None ? null : new ChapCredentials(IInitiatorPeer.ChapUser, IInitiatorPeer.ChapSecret),
                MutualChap = auth == PeerAuth.MutualChap ? new ChapCredentials(IInitiatorPeer.TargetUser, IInitiatorPeer.TargetSecret) : null,
            };
            target.Luns.Add(new LunMapping(0, new BlockLogicalUnit(new MemoryBlockDevice(1L << 20, 512), new LogicalUnitOptions())));
            target.Luns.Add(new LunMapping(1, new BlockLogicalUnit(new MemoryBlockDevice(IInitiatorPeer.LunBytes, 512), new LogicalUnitOptions())));
            options.Targets.Add(target);
        }

        _server = new IscsiTargetServer(options, NullLoggerFactory.Instance);
        await _server.StartAsync();
        Port = ((TcpPortal)_server.ListeningPortals[0]).Port;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _server.StopAsync(cts.Token);
            await _server.DisposeAsync();
        }
    }
}
