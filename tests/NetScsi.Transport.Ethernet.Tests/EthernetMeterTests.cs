using System.Diagnostics.Metrics;

namespace NetScsi.Transport.Ethernet.Tests;

/// <summary><see cref="EthernetMeter"/>: what an exporter (the target's <c>--metrics</c>) collects from the endpoints.</summary>
public sealed class EthernetMeterTests
{
    [Fact]
    public async Task FramesDropped_ReportsAnEndpointsDropsByReason_AndForgetsTheEndpointOnceDisposed()
    {
        var segment = new SimulatedSegment();
        using var transport = new EthernetTransport(segment.CreatePort);
        EthernetEndpoint endpoint = transport.GetEndpoint("meter-t0");
        IFrameLink attacker = segment.CreatePort("meter-evil");
        var batch = new FrameBatch(1, 1514);

        void Send(uint destinationId, int length)
        {
            Span<byte> slot = batch.Slot(0);
            slot.Clear();
            new EthernetHeader(endpoint.Address, attacker.Address, EthernetHeader.NetScsiEtherType).WriteTo(slot);
            new FrameHeader { Flags = FrameFlags.Ack, DestinationConnectionId = destinationId, SourceConnectionId = 9 }.WriteTo(slot[EthernetHeader.Length..]);
            batch.SetLength(0, length);
            batch.Count = 1;
            attacker.Send(batch);
        }

        for (int i = 0; i < 3; i++)
        {
            Send(1234, EthernetHeader.Length + 10); // shorter than our header
        }

        for (int i = 0; i < 2; i++)
        {
            Send(4321, EthernetHeader.MinimumFrameLength); // a connection the endpoint does not hold
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (endpoint.Counters.Total < 5)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the endpoint did not see the frames: {endpoint.Counters}");
            await Task.Delay(10);
        }

        var dropped = Collect("meter-t0");
        Assert.Equal(3, dropped["malformed"]);
        Assert.Equal(2, dropped["unknown_connection"]);
        Assert.Equal(0, dropped["wrong_source"]);
        Assert.Equal(0, dropped["not_for_us"]);
        Assert.Equal(0, dropped["no_listener"]);

        endpoint.Dispose();
        Assert.Empty(Collect("meter-t0"));
    }

    /// <summary>One collection of <c>frames_dropped</c>, as an exporter does it: reason → value, for one interface.</summary>
    private static Dictionary<string, long> Collect(string interfaceName)
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == EthernetMeter.Name && instrument.Name == "frames_dropped")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? name = null;
            string? reason = null;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "interface")
                {
                    name = tag.Value as string;
                }
                else if (tag.Key == "reason")
                {
                    reason = tag.Value as string;
                }
            }

            if (name == interfaceName && reason is not null)
            {
                values[reason] = value;
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }
}
