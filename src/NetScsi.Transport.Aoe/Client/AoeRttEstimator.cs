namespace NetScsi.Transport.Aoe.Client;

/// <summary>
/// The round-trip estimate behind the client's retransmission timer: a smoothed RTT and its mean deviation, updated
/// from each reply to a frame sent once (Karn: a reply to a retransmitted frame cannot say which copy it answers), as
/// the Linux aoe driver and TCP (RFC 6298 §2) do. Times are in caller-defined ticks; no clock is read here.
/// </summary>
internal sealed class AoeRttEstimator
{
    private readonly long _initialTimeout;
    private readonly long _minimumTimeout;
    private readonly long _maximumTimeout;

    /// <param name="initialTimeout">The timeout before any reply has been measured.</param>
    /// <param name="minimumTimeout">The floor: a veth answers in microseconds, but a target's disk may pause for milliseconds.</param>
    /// <param name="maximumTimeout">The ceiling of one wait (the back-off doubles up to it).</param>
    public AoeRttEstimator(long initialTimeout, long minimumTimeout, long maximumTimeout)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minimumTimeout);
        ArgumentOutOfRangeException.ThrowIfLessThan(maximumTimeout, minimumTimeout);
        _initialTimeout = Math.Clamp(initialTimeout, minimumTimeout, maximumTimeout);
        _minimumTimeout = minimumTimeout;
        _maximumTimeout = maximumTimeout;
    }

    /// <summary>True once a reply has been measured.</summary>
    public bool HasSample { get; private set; }

    /// <summary>Smoothed RTT (SRTT), in ticks.</summary>
    public long SmoothedRtt { get; private set; }

    /// <summary>Mean deviation of the RTT (RTTVAR), in ticks.</summary>
    public long RttVariation { get; private set; }

    /// <summary>The ceiling of one wait.</summary>
    public long MaximumTimeout => _maximumTimeout;

    /// <summary>How long to wait for the reply to a frame sent now: SRTT + 4 RTTVAR, within the floor and the ceiling.</summary>
    public long RetransmitTimeout =>
        HasSample ? Math.Clamp(SmoothedRtt + (4 * RttVariation), _minimumTimeout, _maximumTimeout) : _initialTimeout;

    /// <summary>Takes the RTT of one reply (RFC 6298 §2.2-2.3: gains 1/8 and 1/4).</summary>
    public void Sample(long rtt)
    {
        rtt = Math.Max(rtt, 0);
        if (!HasSample)
        {
            SmoothedRtt = rtt;
            RttVariation = rtt / 2;
            HasSample = true;
            return;
        }

        long error = rtt - SmoothedRtt;
        RttVariation += (Math.Abs(error) - RttVariation) / 4;
        SmoothedRtt += error / 8;
    }

    /// <summary>The timeout after one more unanswered transmission: doubled, up to the ceiling (RFC 6298 §5.5).</summary>
    public long BackOff(long timeout) => timeout >= _maximumTimeout / 2 ? _maximumTimeout : timeout * 2;
}
