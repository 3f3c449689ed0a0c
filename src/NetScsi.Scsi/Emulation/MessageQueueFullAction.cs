namespace NetScsi.Scsi.Emulation;

/// <summary>What a communications device logical unit answers when its message sink has no room.</summary>
public enum MessageQueueFullAction
{
    /// <summary>GOOD, and the message is dropped and counted, as a NIC drops frames its receive ring cannot hold.</summary>
    DropAndCount,

    /// <summary>BUSY (SAM-5 §5.3.1): the initiator retries the command later.</summary>
    Busy,

    /// <summary>TASK SET FULL (SAM-5 §5.3.1): the initiator retries once some of its commands completed.</summary>
    TaskSetFull,
}
