namespace NetScsi.Cli.Initiator;

/// <summary>Runs an initiator command body: every failure becomes one <c>netscsi: error:</c> line and an exit code.</summary>
internal static class CommandRunner
{
    public static async Task<int> RunAsync(CliContext context, Func<Task<int>> body, CancellationToken cancellationToken)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var failure = InitiatorErrors.Operation(e, null, cancellationToken);
            await context.Error.WriteLineAsync($"netscsi: error: {failure.Message}").ConfigureAwait(false);
            return failure.ExitCode;
        }
    }
}
