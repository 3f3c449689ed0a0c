using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace NetScsi.Transport.Ethernet;

/// <summary>
/// The Ethernet data mover's instruments (System.Diagnostics.Metrics): the frames each endpoint (one per interface)
/// dropped, by reason. Observable: the exporter reads the endpoints' own counters when it collects, so the poller's
/// path costs nothing more than the increments it already does.
/// </summary>
public static class EthernetMeter
{
    /// <summary>The meter's name, for exporters to subscribe to.</summary>
    public const string Name = "NetScsi.Ethernet";

    private static readonly ConcurrentDictionary<EthernetEndpoint, KeyValuePair<string, object?>> s_endpoints = new();

    private static readonly Meter s_meter = new(Name);

    internal static readonly ObservableCounter<long> FramesDropped = s_meter.CreateObservableCounter(
        "frames_dropped", Observe, "{frame}",
        "Frames an endpoint dropped, by interface and reason (malformed, unknown_connection, wrong_source, not_for_us, no_listener)");

    internal static void Register(EthernetEndpoint endpoint) =>
        s_endpoints[endpoint] = new KeyValuePair<string, object?>("interface", endpoint.Name);

    internal static void Unregister(EthernetEndpoint endpoint) => s_endpoints.TryRemove(endpoint, out _);

    private static IEnumerable<Measurement<long>> Observe()
    {
        foreach ((EthernetEndpoint endpoint, KeyValuePair<string, object?> name) in s_endpoints)
        {
            EthernetEndpointCounters c = endpoint.Counters;
            yield return Measure(c.Malformed, name, "malformed");
            yield return Measure(c.UnknownConnection, name, "unknown_connection");
            yield return Measure(c.WrongSource, name, "wrong_source");
            yield return Measure(c.NotForUs, name, "not_for_us");
            yield return Measure(c.NoListener, name, "no_listener");
        }
    }

    private static Measurement<long> Measure(long value, KeyValuePair<string, object?> name, string reason) =>
        new(value, name, new KeyValuePair<string, object?>("reason", reason));
}
