namespace NetScsi.Messaging;

/// <summary>
/// A message-passing operation failed: a peer rank is unreachable (it died, its session was lost), a message was
/// longer than the receive buffer (MPI_ERR_TRUNCATE), or the world was closed. Once a peer is lost the world is
/// broken (MPI's MPI_ERRORS_ARE_FATAL): every pending and later operation fails with the same cause.
/// </summary>
public sealed class MessagingException : Exception
{
    public MessagingException()
    {
    }

    public MessagingException(string message)
        : base(message)
    {
    }

    public MessagingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
