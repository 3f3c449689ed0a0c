namespace NetScsi.Cli.Configuration;

/// <summary>One logical unit and its backing store.</summary>
internal sealed class LunConfig
{
    public const int DefaultBlockSize = 512;

    /// <summary>LUN number as initiators see it; null = the next free number in the target.</summary>
    public int? Number { get; set; }

    public LunKind Kind { get; set; }

    /// <summary>Backing file (file LUNs only), as given; relative paths are against the working directory.</summary>
    public string? Path { get; set; }

    /// <summary>RBD LUNs: the pool and the image in it.</summary>
    public string? RbdPool { get; set; }

    /// <summary>RBD LUNs: the image's name.</summary>
    public string? RbdImage { get; set; }

    /// <summary>RBD LUNs: ceph.conf to read; null = librados' default search ($CEPH_CONF, /etc/ceph/ceph.conf, ...).</summary>
    public string? RbdConfigPath { get; set; }

    /// <summary>RBD LUNs: the cephx client id (without "client."); null = admin.</summary>
    public string? RbdClientId { get; set; }

    /// <summary>
    /// Bytes. Memory LUNs: required. File LUNs: the size a missing file is created with;
    /// an existing file keeps its own size.
    /// </summary>
    public long? SizeBytes { get; set; }

    /// <summary>Logical block size: 512 or 4096.</summary>
    public int BlockSize { get; set; } = DefaultBlockSize;

    public bool ReadOnly { get; set; }

    /// <summary>Reported as removable medium (INQUIRY RMB).</summary>
    public bool Removable { get; set; }

    /// <summary>File LUNs: create the backing file's missing parent directories (otherwise a missing one is an error).</summary>
    public bool CreateDirectories { get; set; }

    /// <summary>
    /// Memory LUNs: allow a size larger than this machine's memory (RAM + swap). Memory is taken on first write
    /// either way; without it such a LUN is refused, because filling it would end the process.
    /// </summary>
    public bool Sparse { get; set; }

    /// <summary>
    /// Test and diagnostic feature: a control file the target polls for I/O delays to inject into this
    /// LUN (<see cref="Hosting.DelayControlledBlockDevice"/>); null = none.
    /// </summary>
    public string? DelayControlPath { get; set; }

    /// <summary>The AoE slot (minor address, 0..254) the LUN answers as on <c>aoe:</c> portals; null = its LUN number.</summary>
    public int? AoeSlot { get; set; }

    /// <summary>The slot's initial AoE MAC Mask List: null or empty = every initiator; else only these MACs see it.</summary>
    public IReadOnlyList<Transport.Ethernet.MacAddress>? AoeMacMask { get; set; }

    /// <summary>The slot's initial AoE config string (at most 1024 bytes); null = empty.</summary>
    public string? AoeConfigString { get; set; }

    /// <summary>How the user wrote it (spec string or config location), for error messages.</summary>
    public string? Source { get; set; }
}
