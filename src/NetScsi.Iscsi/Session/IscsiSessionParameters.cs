using NetScsi.Iscsi.Text;
using NetScsi.Transport;

namespace NetScsi.Iscsi.Session;

/// <summary>Session type (RFC 7143 §13.21).</summary>
public enum SessionType
{
    Normal,
    Discovery,
}

/// <summary>
/// The outcome of login negotiation (RFC 7143 §13): one instance per connection, with the session-wide
/// keys copied from the leading connection. Defaults are the RFC's.
/// </summary>
public sealed class IscsiSessionParameters
{
    public SessionType SessionType { get; set; } = SessionType.Normal;

    public string InitiatorName { get; set; } = "";

    public string? InitiatorAlias { get; set; }

    public string? TargetName { get; set; }

    public bool HeaderDigest { get; set; }

    public bool DataDigest { get; set; }

    public int MaxConnections { get; set; } = 1;

    public bool InitialR2T { get; set; } = true;

    public bool ImmediateData { get; set; } = true;

    /// <summary>The initiator's declaration: the largest data segment we may send it.</summary>
    public int InitiatorMaxRecvDataSegmentLength { get; set; } = 8192;

    /// <summary>Our declaration: the largest data segment we accept.</summary>
    public int TargetMaxRecvDataSegmentLength { get; set; } = 8192;

    public int MaxBurstLength { get; set; } = 262144;

    public int FirstBurstLength { get; set; } = 65536;

    public int DefaultTime2Wait { get; set; } = 2;

    public int DefaultTime2Retain { get; set; } = 20;

    public int MaxOutstandingR2T { get; set; } = 1;

    public bool DataPduInOrder { get; set; } = true;

    public bool DataSequenceInOrder { get; set; } = true;

    public int ErrorRecoveryLevel { get; set; }

    public ushort TargetPortalGroupTag { get; set; } = 1;

    /// <summary>RFC 7143 §13.24: negotiated iSCSIProtocolLevel (1 = RFC 7143, 2 = RFC 7144 features).</summary>
    public int IscsiProtocolLevel { get; set; } = 1;

    /// <summary>Every key the login settled, with its result, in the order they were settled (RFC 5047 Notice_Key_Values).</summary>
    public List<KeyValuePair<string, string>> NegotiatedKeys { get; private set; } = [];

    public IscsiSessionParameters Clone()
    {
        var clone = (IscsiSessionParameters)MemberwiseClone();
        clone.NegotiatedKeys = [.. NegotiatedKeys];
        return clone;
    }

    /// <summary>
    /// A connection added to a session (RFC 7143 §6.3.1, TSIH ≠ 0) negotiates only connection keys; the session-wide
    /// ones (leading-only, §13) are the leading connection's. Copies those from <paramref name="leading"/>.
    /// </summary>
    public void AdoptSessionWide(IscsiSessionParameters leading)
    {
        ArgumentNullException.ThrowIfNull(leading);
        MaxConnections = leading.MaxConnections;
        InitialR2T = leading.InitialR2T;
        ImmediateData = leading.ImmediateData;
        MaxBurstLength = leading.MaxBurstLength;
        FirstBurstLength = leading.FirstBurstLength;
        DefaultTime2Wait = leading.DefaultTime2Wait;
        DefaultTime2Retain = leading.DefaultTime2Retain;
        MaxOutstandingR2T = leading.MaxOutstandingR2T;
        DataPduInOrder = leading.DataPduInOrder;
        DataSequenceInOrder = leading.DataSequenceInOrder;
        ErrorRecoveryLevel = leading.ErrorRecoveryLevel;
        IscsiProtocolLevel = leading.IscsiProtocolLevel;
        TargetPortalGroupTag = leading.TargetPortalGroupTag;
        InitiatorAlias ??= leading.InitiatorAlias;
    }

    /// <summary>What the data mover needs of these values (RFC 5047 Enable_Datamover), seen from one side.</summary>
    /// <param name="ours">This side's MaxRecvDataSegmentLength declaration.</param>
    /// <param name="theirs">The peer's.</param>
    public DataMoverParameters ToDataMoverParameters(int ours, int theirs) => new()
    {
        HeaderDigest = HeaderDigest,
        DataDigest = DataDigest,
        MaxRecvDataSegmentLength = ours,
        PeerMaxRecvDataSegmentLength = theirs,
        MaxBurstLength = MaxBurstLength,
        FirstBurstLength = FirstBurstLength,
        InitialR2T = InitialR2T,
        ImmediateData = ImmediateData,
        MaxOutstandingR2T = MaxOutstandingR2T,
        DataPduInOrder = DataPduInOrder,
        DataSequenceInOrder = DataSequenceInOrder,
        ErrorRecoveryLevel = ErrorRecoveryLevel,
    };

    /// <summary>
    /// Records the negotiated result of one operational key (RFC 7143 §13), whichever side computed it:
    /// the target's login negotiator or the initiator's login state machine. Keys that are not
    /// session or connection parameters are ignored.
    /// </summary>
    public void ApplyNegotiated(string key, string result)
    {
        NegotiatedKeys.Add(new KeyValuePair<string, string>(key, result));
        TextValues.TryParseNumber(result, out ulong number);
        int n = (int)Math.Min(number, int.MaxValue);
        bool yes = result == TextValues.Yes;
        switch (key)
        {
            case TextKeyTable.HeaderDigest: HeaderDigest = result == "CRC32C"; break;
            case TextKeyTable.DataDigest: DataDigest = result == "CRC32C"; break;
            case TextKeyTable.MaxConnections: MaxConnections = n; break;
            case TextKeyTable.InitialR2T: InitialR2T = yes; break;
            case TextKeyTable.ImmediateData: ImmediateData = yes; break;
            case TextKeyTable.MaxBurstLength: MaxBurstLength = n; break;
            case TextKeyTable.FirstBurstLength: FirstBurstLength = n; break;
            case TextKeyTable.DefaultTime2Wait: DefaultTime2Wait = n; break;
            case TextKeyTable.DefaultTime2Retain: DefaultTime2Retain = n; break;
            case TextKeyTable.MaxOutstandingR2T: MaxOutstandingR2T = n; break;
            case TextKeyTable.DataPduInOrder: DataPduInOrder = yes; break;
            case TextKeyTable.DataSequenceInOrder: DataSequenceInOrder = yes; break;
            case TextKeyTable.ErrorRecoveryLevel: ErrorRecoveryLevel = n; break;
            case TextKeyTable.IscsiProtocolLevel: IscsiProtocolLevel = n; break;
        }
    }
}
