namespace NetScsi.Transport;

/// <summary>Accepts connections on one portal (target side).</summary>
public interface IDataMoverListener : IAsyncDisposable
{
    /// <summary>The portal as bound (a TCP port 0 resolved to the port the system chose).</summary>
    Portal Portal { get; }

    /// <summary>Waits for the next connection; null once the listener is stopped.</summary>
    ValueTask<ITargetDataMover?> AcceptAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// How SendTargets reports this portal (RFC 7143 §13.8 TargetAddress, without the portal group tag) to an
    /// initiator that asks over <paramref name="via"/>: a wildcard listener reports the address that connection
    /// reached. Null when the portal cannot be reported to that initiator (an IPv4 wildcard asked over IPv6).
    /// </summary>
    string? FormatTargetAddress(IDataMoverConnection via);
}
