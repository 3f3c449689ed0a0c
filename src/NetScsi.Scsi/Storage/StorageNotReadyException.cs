namespace NetScsi.Scsi.Storage;

/// <summary>
/// The device's backing store cannot be reached for now (a network store that stopped answering, a lost cluster
/// connection or lock), as opposed to a medium error: the logical unit answers NOT READY, LOGICAL UNIT NOT READY,
/// and a later command may succeed again.
/// </summary>
public class StorageNotReadyException : IOException
{
    public StorageNotReadyException()
    {
    }

    public StorageNotReadyException(string message)
        : base(message)
    {
    }

    public StorageNotReadyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
