namespace NetScsi.Scsi.Emulation;

/// <summary>How a <see cref="CommunicationsLogicalUnit"/> presents itself and what it takes.</summary>
public sealed class CommunicationsLogicalUnitOptions : ScsiLogicalUnitOptions
{
    /// <summary>PRODUCT IDENTIFICATION unless set.</summary>
    public const string DefaultProductId = "VIRTUAL-COMM";

    /// <summary>RFC 2143 §3: the largest message is the largest IPv4 datagram, the reach of the 16-bit transfer length.</summary>
    public const int DefaultMaxMessageLength = ushort.MaxValue;

    /// <summary>The Ethernet type of IPv4 (RFC 2143 §3 takes stream selection values from the Ethernet type field).</summary>
    public const ushort Ipv4Stream = 0x0800;

    public CommunicationsLogicalUnitOptions()
        : base(DefaultProductId)
    {
    }

    /// <summary>
    /// What the serial number and the NAA designator derive from when <see cref="ScsiLogicalUnitOptions.SerialNumber"/>
    /// is not set: stable across restarts and unique per unit (the network interface's name, say).
    /// </summary>
    public string Identity { get; set; } = "communications";

    /// <summary>Largest message in bytes (at most 16 MiB - 1, the reach of SEND MESSAGE(6)); longer ones are refused.</summary>
    public int MaxMessageLength { get; set; } = DefaultMaxMessageLength;

    /// <summary>
    /// The stream SEND MESSAGE(6), which has no STREAM SELECTION field, delivers to; null: SEND MESSAGE(6) is not
    /// implemented (INVALID COMMAND OPERATION CODE, and not reported by REPORT SUPPORTED OPERATION CODES).
    /// </summary>
    public ushort? UnselectedStream { get; set; } = Ipv4Stream;

    /// <summary>
    /// Registered message data initiators may pull with READ MESSAGE DATA (vendor opcode C1h); null: the command is
    /// not implemented (INVALID COMMAND OPERATION CODE, and not reported by REPORT SUPPORTED OPERATION CODES).
    /// </summary>
    public Messaging.IMessageDataSource? DataSource { get; set; }

    /// <summary>Largest READ MESSAGE DATA transfer in bytes; longer ones are refused (INVALID FIELD IN CDB).</summary>
    public int MaxReadLength { get; set; } = 4 * 1024 * 1024;

    /// <summary>What a message meets when the sink has no room.</summary>
    public MessageQueueFullAction QueueFullAction { get; set; } = MessageQueueFullAction.DropAndCount;
}
