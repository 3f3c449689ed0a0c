using System.CommandLine;

namespace NetScsi.Cli.Commands;

/// <summary>
/// <c>netscsi mpi run -n N [--transport tcp] -- PROGRAM ARGS</c>: N ranks of a program on this host, their output
/// prefixed with their rank; exits with the first failed rank's code (the others killed), 0 when all succeed.
/// </summary>
internal sealed class MpiRunCommand
{
    private readonly CliContext _context;

    private readonly Option<int> _ranks = new("-n", "--ranks")
    {
        Description = "How many ranks to start, 1..256",
        HelpName = "N",
        Required = true,
    };

    private readonly Option<string> _transport = new("--transport")
    {
        Description = "How ranks reach each other: tcp (loopback) [default: tcp]",
        HelpName = "tcp",
    };

    private readonly Argument<string[]> _command = new("command")
    {
        Description = "The program and its arguments (after --)",
        Arity = ArgumentArity.OneOrMore,
    };

    public MpiRunCommand(CliContext context)
    {
        _context = context;
        Command = new Command("run", "Run N ranks of a message-passing program on this host (rank, size and peers in NETSCSI_MPI_* variables)")
        {
            _ranks, _transport, _command,
        };
        Command.SetAction(ExecuteAsync);
    }

    public Command Command { get; }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        int ranks = parseResult.GetValue(_ranks);
        if (ranks is < 1 or > 256)
        {
            await _context.Error.WriteLineAsync("netscsi: error: -n: expected 1..256 ranks").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        string transport = parseResult.GetValue(_transport) ?? "tcp";
        if (transport != "tcp")
        {
            await _context.Error.WriteLineAsync($"netscsi: error: --transport: '{transport}' is not supported by mpi run yet (only tcp)").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        string[] command = parseResult.GetValue(_command) ?? [];
        try
        {
            return await new MpiLauncher(_context).RunAsync(ranks, command[0], command[1..], cancellationToken).ConfigureAwait(false);
        }
        catch (Configuration.CliException e)
        {
            await _context.Error.WriteLineAsync("netscsi: error: " + e.Message).ConfigureAwait(false);
            return e.ExitCode;
        }
    }
}
