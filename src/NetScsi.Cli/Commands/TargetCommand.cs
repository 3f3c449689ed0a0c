using System.CommandLine;

namespace NetScsi.Cli.Commands;

/// <summary><c>netscsi target ...</c>: run an iSCSI target.</summary>
internal static class TargetCommand
{
    public static Command Create(CliContext context) => new("target", "Run an iSCSI target")
    {
        new TargetServeCommand(context).Command,
        new TargetStatsCommand(context).Command,
    };
}
