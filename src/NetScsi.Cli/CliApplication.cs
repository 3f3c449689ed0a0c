using System.CommandLine;
using System.CommandLine.Parsing;
using NetScsi.Cli.Commands;
using NetScsi.Cli.Hosting;
using NetScsi.Cli.Parsing;

namespace NetScsi.Cli;

/// <summary>The <c>netscsi</c> command tree and its entry point (in-process callable for tests).</summary>
internal static class CliApplication
{
    public static RootCommand CreateRootCommand(CliContext context) => new("netscsi: an iSCSI target and tools")
    {
        TargetCommand.Create(context),
        new DiscoverCommand(context).Command,
        new LsCommand(context).Command,
        new InquiryCommand(context).Command,
        new CapacityCommand(context).Command,
        new ReadCommand(context).Command,
        new WriteCommand(context).Command,
        new UnmapCommand(context).Command,
        new CopyCommand(context).Command,
        new BenchCommand(context).Command,
        NodeCommand.Create(context),
        IpCommand.Create(context),
        MpiCommand.Create(context),
    };

    public static Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default) =>
        RunAsync(
            args,
            new CliContext(Console.Out, Console.Error, new DefaultTargetRunnerFactory()) { OutputIsTerminal = !Console.IsOutputRedirected },
            cancellationToken);

    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        var root = CreateRootCommand(context);
        var parseResult = root.Parse(args);

        // System.CommandLine exits 1 on parse errors; usage errors are 2 here, like other Unix tools,
        // so scripts can tell "you called me wrong" from "it failed". One line: the first real error
        // and where to read more.
        if (parseResult.Errors.Count > 0)
        {
            await context.Error.WriteLineAsync(
                $"netscsi: error: {ParseErrorMessages.Describe(parseResult)} (see '{CommandPath(parseResult)} --help')").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration
        {
            Output = context.Output,
            Error = context.Error,

            // The host's console lifetime handles SIGINT/SIGTERM (graceful stop); two handlers would race.
            ProcessTerminationTimeout = null,
        };
        return await parseResult.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
    }

    // "netscsi target serve" for the command the user was typing.
    internal static string CommandPath(ParseResult parseResult)
    {
        var names = new List<string>();
        for (SymbolResult? result = parseResult.CommandResult; result is CommandResult command; result = command.Parent)
        {
            names.Insert(0, command.Parent is null ? "netscsi" : command.Command.Name);
        }

        return string.Join(' ', names);
    }
}
