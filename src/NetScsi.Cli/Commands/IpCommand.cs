using System.CommandLine;

namespace NetScsi.Cli.Commands;

/// <summary><c>netscsi ip ...</c>: IP over SCSI (RFC 2143) interfaces.</summary>
internal static class IpCommand
{
    public static Command Create(CliContext context) => new("ip", "IP over SCSI (RFC 2143): a TUN interface whose datagrams travel as SEND MESSAGE(10) between hosts")
    {
        new IpUpCommand(context).Command,
        new IpShowCommand(context).Command,
    };

    /// <summary>Where a running <c>ip up</c> writes its state for <c>ip show</c>, unless told otherwise.</summary>
    public const string StatusDirectory = "/run/netscsi/ip";
}
