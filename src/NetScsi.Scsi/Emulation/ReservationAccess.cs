namespace NetScsi.Scsi.Emulation;

/// <summary>How a command meets a persistent reservation another I_T nexus holds (SPC-4 §5.13.1, table 47).</summary>
internal enum ReservationAccess
{
    /// <summary>Runs under every reservation type.</summary>
    Allowed,

    /// <summary>Reads: runs under the write-exclusive types, conflicts under the exclusive-access types.</summary>
    Read,

    /// <summary>Conflicts under every reservation type.</summary>
    Write,
}
