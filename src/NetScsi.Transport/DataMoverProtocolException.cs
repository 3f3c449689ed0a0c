namespace NetScsi.Transport;

/// <summary>
/// The peer broke the data protocol in a way the connection cannot survive (a Data-In or R2T outside its task's
/// buffer): the receive side ends with it, and the protocol engine recovers as from a lost connection.
/// </summary>
public sealed class DataMoverProtocolException : IOException
{
    public DataMoverProtocolException(string message)
        : base(message)
    {
    }
}
