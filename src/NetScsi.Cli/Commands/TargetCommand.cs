using System.CommandLine;

namespace NetScsi.Cli.Commands;

/// <summary><c>netscsi target ...</c>: run an iSCSI target.</summary>
internal static class TargetCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("target", "Run an iSCSI target, and change a running one")
        {
            new TargetServeCommand(context).Command,
            new TargetStatsCommand(context).Command,
        };
        foreach (var control in new TargetControlCommands(context).Create())
        {
            command.Add(control);
        }

        return command;
    }
}
