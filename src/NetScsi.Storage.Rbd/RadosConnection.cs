using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using NetScsi.Storage.Rbd.Interop;

namespace NetScsi.Storage.Rbd;

/// <summary>
/// A librados cluster handle connected to the monitors, and an I/O context on one pool. Opening blocks for at most the
/// connect timeout; every failure is an <see cref="RbdException"/> that says what is wrong.
/// </summary>
internal sealed unsafe class RadosConnection : IDisposable
{
    private nint _cluster;
    private nint _ioctx;

    private RadosConnection(nint cluster, nint ioctx, string fsid, long poolId)
    {
        _cluster = cluster;
        _ioctx = ioctx;
        Fsid = fsid;
        PoolId = poolId;
    }

    public nint IoContext => _ioctx;

    /// <summary>The cluster's fsid (a UUID): with the pool id and the image id, names an image uniquely.</summary>
    public string Fsid { get; }

    public long PoolId { get; }

    public static RadosConnection Open(string pool, string? configPath, string? clientId, TimeSpan connectTimeout, TimeSpan operationTimeout)
    {
        ArgumentException.ThrowIfNullOrEmpty(pool);
        string who = $"client.{clientId ?? "admin"}";
        nint cluster;
        int rc;
        try
        {
            rc = LibRados.Create(out cluster, clientId);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new RbdException(
                $"librados/librbd is not installed ({e.Message}); install the Ceph client libraries (Debian: apt-get install librbd1 librados2)", 0, e);
        }

        if (rc < 0)
        {
            throw new RbdException($"rados_create({who}) failed: {RbdErrors.Describe(-rc)} (errno {-rc})", -rc);
        }

        nint ioctx = 0;
        try
        {
            rc = LibRados.ConfReadFile(cluster, configPath);
            if (rc < 0)
            {
                throw new RbdException(configPath is null
                    ? $"no Ceph configuration found (looked at $CEPH_CONF, /etc/ceph/ceph.conf, ~/.ceph/config, ./ceph.conf; errno {-rc}); give one with conf=PATH"
                    : $"cannot read Ceph configuration '{configPath}': {RbdErrors.Describe(-rc)} (errno {-rc})", -rc);
            }

            _ = LibRados.ConfParseEnv(cluster, null); // CEPH_ARGS, as the ceph tools honour it
            // Connecting is ours to bound (librados waits 300 s by default); the I/O timeouts a configuration may set.
            _ = LibRados.ConfSet(cluster, "client_mount_timeout", Seconds(connectTimeout));
            SetUnlessConfigured(cluster, "rados_mon_op_timeout", operationTimeout);
            SetUnlessConfigured(cluster, "rados_osd_op_timeout", operationTimeout);

            rc = LibRados.Connect(cluster);
            if (rc < 0)
            {
                throw new RbdException(
                    $"cannot connect to the Ceph cluster as {who} (mon host {GetConf(cluster, "mon_host") ?? "?"}): {RbdErrors.Describe(-rc)} (errno {-rc})", -rc);
            }

            rc = LibRados.IoctxCreate(cluster, pool, out ioctx);
            if (rc < 0)
            {
                throw new RbdException(rc == -RbdErrors.ENOENT
                    ? $"the Ceph cluster has no pool '{pool}'"
                    : $"cannot open pool '{pool}': {RbdErrors.Describe(-rc)} (errno {-rc})", -rc);
            }

            byte* fsid = stackalloc byte[64];
            rc = LibRados.ClusterFsid(cluster, fsid, 64);
            string fsidText = rc > 0 ? Encoding.ASCII.GetString(fsid, rc) : "unknown";
            return new RadosConnection(cluster, ioctx, fsidText.TrimEnd('\0'), LibRados.IoctxGetId(ioctx));
        }
        catch
        {
            if (ioctx != 0)
            {
                LibRados.IoctxDestroy(ioctx);
            }

            LibRados.Shutdown(cluster);
            throw;
        }
    }

    /// <summary>A configuration value as librados resolved it, or null.</summary>
    public string? GetConf(string option) => GetConf(_cluster, option);

    public void Dispose()
    {
        nint ioctx = Interlocked.Exchange(ref _ioctx, 0);
        if (ioctx != 0)
        {
            LibRados.IoctxDestroy(ioctx);
        }

        nint cluster = Interlocked.Exchange(ref _cluster, 0);
        if (cluster != 0)
        {
            LibRados.Shutdown(cluster);
        }
    }

    private static void SetUnlessConfigured(nint cluster, string option, TimeSpan value)
    {
        // 0 is these options' built-in default (wait forever); anything else came from the configuration.
        string? current = GetConf(cluster, option);
        if (current is null || double.TryParse(current, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds == 0)
        {
            _ = LibRados.ConfSet(cluster, option, Seconds(value));
        }
    }

    private static string Seconds(TimeSpan value) => ((long)Math.Ceiling(value.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private static string? GetConf(nint cluster, string option)
    {
        byte* buffer = stackalloc byte[256];
        int rc = LibRados.ConfGet(cluster, option, buffer, 256);
        return rc < 0 ? null : Marshal.PtrToStringUTF8((nint)buffer);
    }
}
