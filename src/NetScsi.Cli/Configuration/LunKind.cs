namespace NetScsi.Cli.Configuration;

internal enum LunKind
{
    /// <summary>A (sparse) file on disk; created when missing, reused when present.</summary>
    File,

    /// <summary>Process memory; contents vanish when the target stops.</summary>
    Memory,

    /// <summary>A Ceph RBD image, through librbd (NetScsi.Storage.Rbd).</summary>
    Rbd,
}
