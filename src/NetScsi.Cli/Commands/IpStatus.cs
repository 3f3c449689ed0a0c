using System.Text.Json;
using NetScsi.Cli.Json.Output;
using NetScsi.Cli.Parsing;
using NetScsi.IpOverScsi;
using NetScsi.IpOverScsi.Link;
using NetScsi.Scsi.Emulation;
using NetScsi.Transport;

namespace NetScsi.Cli.Commands;

/// <summary>The state file a running <c>ip up</c> keeps (rewritten each second, removed at exit) and <c>ip show</c> reads.</summary>
internal static class IpStatus
{
    public static void TryWrite(string path, IpOverScsiInterface link, IpUpCommand.Settings settings)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            string temporary = path + ".tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(Describe(link, settings), CliOutputJsonContext.Default.IpStatusJson));
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The interface works without its state file; 'ip show' then finds nothing.
        }
    }

    /// <summary>Reads a state file; null when it is being rewritten or is not one.</summary>
    public static IpStatusJson? TryRead(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), CliOutputJsonContext.Default.IpStatusJson);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static IpStatusJson Describe(IpOverScsiInterface link, IpUpCommand.Settings settings)
    {
        var listen = new List<string>();
        foreach (Portal portal in link.ListeningPortals)
        {
            listen.Add(PortalParser.Format(portal));
        }

        InterfaceCounters c = link.Counters;
        CommunicationsCounters u = link.Unit.Counters;
        var neighbours = new List<IpNeighbourJson>();
        foreach (PeerLink peer in link.Links)
        {
            PeerCounters p = peer.Counters;
            neighbours.Add(new IpNeighbourJson(
                peer.Address?.ToString(),
                peer.LearnedAddress is not null,
                peer.Peer.Session.TargetName,
                peer.Peer.Session.Portal?.ToString(),
                peer.Peer.Lun,
                peer.State.ToString().ToLowerInvariant(),
                p.Sent, p.SentBytes, p.DroppedDown, p.DroppedFull, p.Busy, p.Rejected, p.Failed, p.Connects));
        }

        return new IpStatusJson(
            link.Port.Name,
            Environment.ProcessId,
            settings.Tun.Address is null ? null : $"{settings.Tun.Address}/{settings.Tun.PrefixLength}",
            link.Port.Mtu,
            settings.TargetName,
            settings.Lun,
            listen,
            new IpInterfaceCountersJson(
                c.TransmitDatagrams, c.TransmitBytes, c.TransmitUnresolved, c.TransmitNotIpv4, c.TransmitLinkDropped,
                c.ReceiveDatagrams, c.ReceiveBytes, c.ReceiveDropped,
                c.QueriesSent, c.QueriesAnswered, c.NeighboursLearned, c.QueriesUnmatched),
            new IpDeviceCountersJson(u.MessagesDelivered, u.BytesDelivered, u.MessagesDropped, u.QueueFullRefusals, u.UnknownStreamRefusals, u.LengthRefusals),
            neighbours);
    }
}
