namespace NetScsi.Storage.Rbd;

/// <summary>Where an RBD image is and how to reach it: <c>rbd:POOL/IMAGE[,conf=PATH][,id=CLIENT][,readonly]</c>.</summary>
public sealed class RbdImageOptions
{
    /// <summary>The pool holding the image.</summary>
    public required string Pool { get; init; }

    /// <summary>The image's name.</summary>
    public required string Image { get; init; }

    /// <summary>ceph.conf to read; null = librados' search ($CEPH_CONF, /etc/ceph/ceph.conf, ~/.ceph/config, ./ceph.conf).</summary>
    public string? ConfigPath { get; init; }

    /// <summary>The cephx client id without "client." (e.g. "iscsi"); null = "admin". Its keyring is found through the config.</summary>
    public string? ClientId { get; init; }

    /// <summary>Open the image read-only: no exclusive lock is taken and writes are refused.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Logical block size the LUN reports, 512 or 4096.</summary>
    public int BlockSize { get; init; } = 512;

    /// <summary>How long connecting to the monitors may take before the open fails (client_mount_timeout).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long one I/O may wait for the cluster before it fails with NOT READY (rados_osd_op_timeout); 0 waits forever.
    /// A value in the configuration file wins.
    /// </summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>"POOL/IMAGE", for messages.</summary>
    public override string ToString() => $"{Pool}/{Image}";
}
