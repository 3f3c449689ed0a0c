namespace NetScsi.Transport;

/// <summary>Why a mover's receive side ended without a transport failure.</summary>
public enum DataMoverReceiveEnd
{
    /// <summary>The peer closed the connection (end of stream).</summary>
    PeerClosed,

    /// <summary>The handler asked to stop (an upcall returned false).</summary>
    Stopped,

    /// <summary>The connection was terminated or the wait cancelled.</summary>
    Canceled,
}
