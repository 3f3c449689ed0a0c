using Microsoft.Extensions.Logging;
using NetScsi.Transport;

namespace NetScsi.Messaging;

/// <summary>Where a peer rank's communications device is and how to reach it.</summary>
/// <param name="Portal">The portal its target listens on.</param>
/// <param name="Connector">The transport that reaches the portal (TCP, raw Ethernet, in-memory).</param>
public sealed record PeerAddress(Portal Portal, IDataMoverConnector Connector);

/// <summary>One rank's view of the world it joins: who it is, where every rank listens, and the limits.</summary>
public sealed class MessagingWorldOptions
{
    /// <summary>Messages up to this many bytes go eagerly, in one SEND MESSAGE(10) with the envelope.</summary>
    public const int DefaultEagerLimit = 16 * 1024;

    /// <summary>This rank, 0..Size-1.</summary>
    public int Rank { get; set; }

    /// <summary>Every rank's address, in rank order (this rank's own entry is not used to connect).</summary>
    public IList<PeerAddress> Peers { get; } = new List<PeerAddress>();

    /// <summary>Where this rank's target listens (bound by <see cref="Transports"/>).</summary>
    public IList<Portal> ListenPortals { get; } = new List<Portal>();

    /// <summary>The transports that bind <see cref="ListenPortals"/>.</summary>
    public IList<IDataMoverTransport> Transports { get; } = new List<IDataMoverTransport>();

    /// <summary>Listeners already bound (the in-memory mover in tests).</summary>
    public IList<IDataMoverListener> Listeners { get; } = new List<IDataMoverListener>();

    /// <summary>Largest eager message in bytes; longer ones use the rendezvous (announce, then pulled).</summary>
    public int EagerLimit { get; set; } = DefaultEagerLimit;

    /// <summary>
    /// Unexpected messages (arrived before their receive was posted) this rank holds per sender; a sender beyond
    /// it meets TASK SET FULL and retries. Memory for them: senders × this × <see cref="EagerLimit"/>, allocated once.
    /// </summary>
    public int ReceiveSlotsPerPeer { get; set; } = 64;

    /// <summary>Commands outstanding towards one peer; more operations wait in order for a slot.</summary>
    public int MaxInFlightPerPeer { get; set; } = 32;

    /// <summary>Bytes one READ MESSAGE DATA pulls of a rendezvous message.</summary>
    public int PullChunk { get; set; } = 1024 * 1024;

    /// <summary>How long the start waits for every peer's target to answer.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A peer whose session stays lost this long is declared dead and the world fails.</summary>
    public TimeSpan FailureTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Pause before a command refused with BUSY or TASK SET FULL goes again.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Where the world logs; nothing by default.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}
