namespace NetScsi.Cli;

/// <summary>Process exit codes; scripts rely on them (docs/initiator-cli.md lists them).</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The target could not run (port in use, backing file unreadable), a local file could not be read or written, or an unexpected error.</summary>
    public const int RuntimeFailure = 1;

    /// <summary>Bad command line, URL, node name or config file; nothing was started.</summary>
    public const int Usage = 2;

    /// <summary>The portal could not be reached: name not resolved, connection refused or timed out, connection lost for good.</summary>
    public const int ConnectFailure = 3;

    /// <summary>The target refused the login: authentication failed, unknown target, not authorized, or mutual CHAP failed.</summary>
    public const int LoginFailure = 4;

    /// <summary>A SCSI command failed (CHECK CONDITION and friends: out of range, write protected, medium error).</summary>
    public const int ScsiError = 5;

    /// <summary><c>copy --verify</c> read back different data.</summary>
    public const int DataMismatch = 6;

    /// <summary>The target broke the iSCSI protocol or stopped answering commands (timeout, reject, malformed PDU).</summary>
    public const int TargetMisbehaved = 7;

    /// <summary>Interrupted (SIGINT), as shells report 128 + 2.</summary>
    public const int Interrupted = 130;
}
