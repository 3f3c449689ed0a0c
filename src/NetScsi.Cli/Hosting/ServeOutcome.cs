namespace NetScsi.Cli.Hosting;

/// <summary>
/// How the serve run ended. The hosted service records a start-up failure here and asks the host to
/// stop, instead of throwing: a throw from StartAsync makes the host log the exception with its stack
/// trace, and the user should see one clear line.
/// </summary>
internal sealed class ServeOutcome
{
    public Exception? Failure { get; set; }
}
