using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace NetScsi.Storage.Rbd.Tests;

/// <summary>
/// A throwaway one-node Ceph cluster (one monitor, one memstore OSD, auth off, 127.0.0.1 only) started by
/// tests/ceph/ceph-one-node.sh in its own directory and on its own monitor ports, for the tests of one run; removed at the end.
/// </summary>
public sealed class CephCluster : IDisposable
{
    private readonly string _script;
    private readonly Dictionary<string, string> _environment;

    public CephCluster()
    {
        _script = Path.Combine(AppContext.BaseDirectory, "ceph", "ceph-one-node.sh");
        Directory = Path.Combine(Path.GetTempPath(), $"netscsi-ceph-tests-{Environment.ProcessId}");
        int port = FreePortPair();
        _environment = new Dictionary<string, string>
        {
            ["CEPH_DIR"] = Directory,
            ["MON_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["IMAGE_MB"] = "64",
            ["MEMSTORE_BYTES"] = (2L << 30).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        ConfigPath = Path.Combine(Directory, "ceph.conf");
        Run("start", TimeSpan.FromSeconds(120));
    }

    /// <summary>The cluster's directory (data, logs, pid files).</summary>
    public string Directory { get; }

    /// <summary>ceph.conf for clients (auth off: no keyring).</summary>
    public string ConfigPath { get; }

    /// <summary>The pool every image of these tests lives in.</summary>
    public string Pool => "rbd";

    public RbdImageOptions Image(string name, bool readOnly = false, int blockSize = 512) => new()
    {
        Pool = Pool,
        Image = name,
        ConfigPath = ConfigPath,
        ReadOnly = readOnly,
        BlockSize = blockSize,
    };

    public void Dispose() => Run("cleanup", TimeSpan.FromSeconds(60));

    /// <summary>Stops the OSD (SIGSTOP): it keeps its connections but answers nothing, as a hung or cut-off OSD.</summary>
    public void PauseOsd() => Signal("STOP");

    /// <summary>Lets a paused OSD run again.</summary>
    public void ResumeOsd() => Signal("CONT");

    private void Signal(string signal)
    {
        string pid = File.ReadAllText(Path.Combine(Directory, "run", "osd.0.pid")).Trim();
        using Process process = Process.Start("kill", ["-" + signal, pid])!;
        process.WaitForExit();
    }

    /// <summary>Runs the rbd tool against this cluster (e.g. to change an image from outside, as an administrator would).</summary>
    public void Rbd(params string[] arguments)
    {
        var start = new ProcessStartInfo("rbd", arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["CEPH_CONF"] = ConfigPath;
        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"rbd {string.Join(' ', arguments)} failed: {error.Result}");
        }
    }

    private void Run(string verb, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("bash", [_script, verb])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach ((string key, string value) in _environment)
        {
            start.Environment[key] = value;
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"ceph-one-node.sh {verb} did not finish within {timeout}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ceph-one-node.sh {verb} exited {process.ExitCode}:\n{output.Result}\n{error.Result}");
        }
    }

    /// <summary>A port p with p and p + 1 free (the monitor's msgr2 and msgr1 ports).</summary>
    private static int FreePortPair()
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            using var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            first.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)first.LocalEndPoint!).Port;
            if (port >= 65535)
            {
                continue;
            }

            try
            {
                using var second = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                second.Bind(new IPEndPoint(IPAddress.Loopback, port + 1));
                return port;
            }
            catch (SocketException)
            {
            }
        }

        throw new InvalidOperationException("no two consecutive free TCP ports on 127.0.0.1");
    }
}

[CollectionDefinition(Name)]
public sealed class CephCollection : ICollectionFixture<CephCluster>
{
    public const string Name = "ceph";
}
