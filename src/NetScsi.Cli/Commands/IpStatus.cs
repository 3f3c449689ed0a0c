using System.Text.Json;
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
            using (var stream = File.Create(temporary))
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                Write(w, link, settings);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The interface works without its state file; 'ip show' then finds nothing.
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

    private static void Write(Utf8JsonWriter w, IpOverScsiInterface link, IpUpCommand.Settings settings)
    {
        w.WriteStartObject();
        w.WriteString("interface", link.Port.Name);
        w.WriteNumber("pid", Environment.ProcessId);
        w.WriteString("address", settings.Tun.Address is null ? null : $"{settings.Tun.Address}/{settings.Tun.PrefixLength}");
        w.WriteNumber("mtu", link.Port.Mtu);
        w.WriteString("target", settings.TargetName);
        w.WriteNumber("lun", settings.Lun);
        w.WriteStartArray("listen");
        foreach (Portal portal in link.ListeningPortals)
        {
            w.WriteStringValue(PortalParser.Format(portal));
        }
        w.WriteEndArray();

        InterfaceCounters c = link.Counters;
        w.WriteStartObject("counters");
        w.WriteNumber("txDatagrams", c.TransmitDatagrams);
        w.WriteNumber("txBytes", c.TransmitBytes);
        w.WriteNumber("txUnresolved", c.TransmitUnresolved);
        w.WriteNumber("txNotIpv4", c.TransmitNotIpv4);
        w.WriteNumber("txLinkDropped", c.TransmitLinkDropped);
        w.WriteNumber("rxDatagrams", c.ReceiveDatagrams);
        w.WriteNumber("rxBytes", c.ReceiveBytes);
        w.WriteNumber("rxDropped", c.ReceiveDropped);
        w.WriteNumber("queriesSent", c.QueriesSent);
        w.WriteNumber("queriesAnswered", c.QueriesAnswered);
        w.WriteNumber("neighboursLearned", c.NeighboursLearned);
        w.WriteNumber("queriesUnmatched", c.QueriesUnmatched);
        w.WriteEndObject();

        CommunicationsCounters u = link.Unit.Counters;
        w.WriteStartObject("device");
        w.WriteNumber("delivered", u.MessagesDelivered);
        w.WriteNumber("deliveredBytes", u.BytesDelivered);
        w.WriteNumber("dropped", u.MessagesDropped);
        w.WriteNumber("queueFullRefusals", u.QueueFullRefusals);
        w.WriteNumber("unknownStreamRefusals", u.UnknownStreamRefusals);
        w.WriteNumber("lengthRefusals", u.LengthRefusals);
        w.WriteEndObject();

        w.WriteStartArray("neighbours");
        foreach (PeerLink peer in link.Links)
        {
            PeerCounters p = peer.Counters;
            w.WriteStartObject();
            w.WriteString("address", peer.Address?.ToString());
            w.WriteBoolean("learned", peer.LearnedAddress is not null);
            w.WriteString("target", peer.Peer.Session.TargetName);
            w.WriteString("portal", peer.Peer.Session.Portal?.ToString());
            w.WriteNumber("lun", peer.Peer.Lun);
            w.WriteString("state", peer.State.ToString().ToLowerInvariant());
            w.WriteNumber("sent", p.Sent);
            w.WriteNumber("sentBytes", p.SentBytes);
            w.WriteNumber("droppedDown", p.DroppedDown);
            w.WriteNumber("droppedFull", p.DroppedFull);
            w.WriteNumber("busy", p.Busy);
            w.WriteNumber("rejected", p.Rejected);
            w.WriteNumber("failed", p.Failed);
            w.WriteNumber("connects", p.Connects);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
