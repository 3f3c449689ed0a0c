using System.CommandLine;

namespace NetScsi.Cli.Commands;

/// <summary><c>netscsi mpi ...</c>: message passing over SCSI (docs/messaging.md).</summary>
internal static class MpiCommand
{
    public static Command Create(CliContext context) => new("mpi", "Message passing over SCSI: launch ranks, measure latency and bandwidth")
    {
        new MpiRunCommand(context).Command,
        new MpiBenchCommand(context).Command,
    };
}
