namespace NetScsi.Transport.Ethernet.Tests;

/// <summary>A clock that moves only when a test says so (timestamps in microseconds).</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private long _now = 1_000_000;

    public override long TimestampFrequency => 1_000_000;

    public override long GetTimestamp() => _now;

    public void Advance(TimeSpan by) => _now += (long)(by.TotalSeconds * TimestampFrequency);

    /// <summary>Moves to <paramref name="timestamp"/> if it is later than now.</summary>
    public void AdvanceTo(long timestamp) => _now = Math.Max(_now, timestamp);
}
