namespace NetScsi.Cli;

internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The target could not run: port in use, backing file unreadable, ...</summary>
    public const int RuntimeFailure = 1;

    /// <summary>Bad command line or config file; nothing was started.</summary>
    public const int Usage = 2;
}
