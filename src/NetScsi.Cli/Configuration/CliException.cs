namespace NetScsi.Cli.Configuration;

/// <summary>
/// A failure the user can act on: the message is printed as is (no stack trace) and the process
/// exits with <see cref="ExitCode"/>.
/// </summary>
internal sealed class CliException : Exception
{
    public CliException(int exitCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ExitCode = exitCode;
    }

    public int ExitCode { get; }

    public static CliException Usage(string message) => new(ExitCodes.Usage, message);

    public static CliException Runtime(string message, Exception? innerException = null) =>
        new(ExitCodes.RuntimeFailure, message, innerException);
}
