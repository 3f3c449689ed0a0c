using System.Diagnostics.Metrics;
using NetScsi.Scsi.Metrics;

namespace NetScsi.Scsi.Tests.Metrics;

/// <summary>What a LUN records per command, seen by a listener as an exporter would see it (totals when it collects).</summary>
public sealed class LunMetricsTests : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, long Value, string Tags)> _longs = new();
    private int _durations;

    public LunMetricsTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ScsiMeter.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (Tag(tags, "target") == "iqn.2026-11.test:metrics")
            {
                lock (_longs)
                {
                    _longs.Add((instrument.Name, value, Describe(tags)));
                }
            }
        });
        _listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            if (Tag(tags, "target") == "iqn.2026-11.test:metrics")
            {
                Interlocked.Increment(ref _durations);
            }
        });
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public void AGoodRead_CountsTheCommandItsBytesAndItsDuration()
    {
        var metrics = new LunMetrics("iqn.2026-11.test:metrics", 3);
        var task = new ScsiTask { Direction = DataDirection.Read, ExpectedDataTransferLength = 4096, DataInLength = 4096 };

        metrics.Complete(task, LunMetrics.Start());
        _listener.RecordObservableInstruments();

        Assert.Contains(("commands", 1L, "target=iqn.2026-11.test:metrics,lun=3"), _longs);
        Assert.Contains(("read_bytes", 4096L, "target=iqn.2026-11.test:metrics,lun=3"), _longs);
        Assert.DoesNotContain(_longs, m => m.Instrument == "written_bytes" && m.Tags.EndsWith("lun=3", StringComparison.Ordinal));
        Assert.Equal(1, _durations);
    }

    [Fact]
    public void ACheckCondition_CountsAnErrorUnderItsSenseKey_AndNoBytes()
    {
        var metrics = new LunMetrics("iqn.2026-11.test:metrics", 0);
        var task = new ScsiTask { Direction = DataDirection.Write, ExpectedDataTransferLength = 512 };
        task.CheckCondition(SenseKey.IllegalRequest, 0x21, 0x00);

        metrics.Complete(task, 0);
        _listener.RecordObservableInstruments();

        Assert.Contains(("errors", 1L, "target=iqn.2026-11.test:metrics,lun=0,sense_key=IllegalRequest"), _longs);
        Assert.DoesNotContain(_longs, m => m.Instrument == "written_bytes" && m.Tags.EndsWith("lun=0", StringComparison.Ordinal));
    }

    [Fact]
    public void Recording_AllocatesNothingPerCommand()
    {
        var metrics = new LunMetrics("iqn.2026-11.test:metrics", 1);
        var task = new ScsiTask { Direction = DataDirection.Write, ExpectedDataTransferLength = 4096 };
        _listener.SetMeasurementEventCallback<long>(static (_, _, _, _) => { });
        _listener.SetMeasurementEventCallback<double>(static (_, _, _, _) => { });
        metrics.Complete(task, LunMetrics.Start());

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            metrics.Complete(task, LunMetrics.Start());
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == key)
            {
                return tag.Value as string;
            }
        }
        return null;
    }

    private static string Describe(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var parts = new List<string>();
        foreach (var tag in tags)
        {
            parts.Add($"{tag.Key}={tag.Value}");
        }
        return string.Join(',', parts);
    }
}
