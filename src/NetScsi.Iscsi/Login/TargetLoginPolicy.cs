using NetScsi.Iscsi.Configuration;
using NetScsi.Transport;

namespace NetScsi.Iscsi.Login;

/// <summary>
/// The target's own values for login negotiation. <see cref="FromOptions"/> takes the limits of
/// <see cref="IscsiTargetOptions"/>; the rest are what the engine supports.
/// </summary>
public sealed class TargetLoginPolicy
{
    /// <summary>Our MaxRecvDataSegmentLength declaration (RFC 7143 §13.12).</summary>
    public int MaxRecvDataSegmentLength { get; init; } = 262144;

    /// <summary>Largest MaxBurstLength we agree to (RFC 7143 §13.13, Minimum).</summary>
    public int MaxBurstLength { get; init; } = 1048576;

    /// <summary>Largest FirstBurstLength we agree to (RFC 7143 §13.14, Minimum).</summary>
    public int FirstBurstLength { get; init; } = 262144;

    /// <summary>Largest MaxOutstandingR2T we agree to (RFC 7143 §13.17, Minimum).</summary>
    public int MaxOutstandingR2T { get; init; } = 8;

    public ushort TargetPortalGroupTag { get; init; } = 1;

    /// <summary>Most connections per session we agree to (RFC 7143 §13.2, Minimum).</summary>
    public int MaxConnections { get; init; } = 4;

    /// <summary>Our DataPDUInOrder value (RFC 7143 §13.18, OR): false when we place Data-Out PDUs in any order.</summary>
    public bool DataPduInOrder { get; init; }

    /// <summary>Our DataSequenceInOrder value (RFC 7143 §13.19, OR): false when we take Data-Out sequences in any order.</summary>
    public bool DataSequenceInOrder { get; init; }

    /// <summary>
    /// Our InitialR2T value (RFC 7143 §13.10, OR): false lets the initiator choose unsolicited data;
    /// true forces R2T for every burst.
    /// </summary>
    public bool InitialR2T { get; init; }

    /// <summary>Our ImmediateData value (RFC 7143 §13.11, AND).</summary>
    public bool ImmediateData { get; init; } = true;

    /// <summary>RFC 7143 §13.15 (Maximum): our DefaultTime2Wait.</summary>
    public int DefaultTime2Wait { get; init; } = 2;

    /// <summary>RFC 7143 §13.16 (Minimum): our DefaultTime2Retain.</summary>
    public int DefaultTime2Retain { get; init; } = 20;

    /// <summary>Digests we accept (RFC 7143 §13.1); the initiator's order decides among them.</summary>
    public IReadOnlyList<string> Digests { get; init; } = ["CRC32C", "None"];

    /// <summary>Our RDMAExtensions value (RFC 7145 §6.3, AND): Yes only over a mover that places data by RDMA.</summary>
    public bool RdmaExtensions { get; init; }

    /// <summary>
    /// RFC 7145 §6.7 MaxOutstandingUnexpectedPDUs: the unsolicited control PDUs we can take beyond the command window
    /// (the mover's posted receives); 0 = no limit. Offered only over an RDMA mover.
    /// </summary>
    public long MaxOutstandingUnexpectedPdus { get; init; }

    /// <summary>The largest data segment we send in one iSER SEND (RFC 7145 §6.5, Minimum with the initiator's value).</summary>
    public int MaxSendDataSegmentLength { get; init; } = 262144;

    /// <summary>CHAP algorithms we allow; the first of the initiator's CHAP_A list that is here wins.</summary>
    public IReadOnlyList<ChapAlgorithm> ChapAlgorithms { get; init; } = Chap.AllAlgorithms;

    /// <summary>The options' limits, within what the connection's data mover allows (its key declarations).</summary>
    public static TargetLoginPolicy FromOptions(IscsiTargetOptions options, DataMoverCapabilities? capabilities = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        capabilities ??= DataMoverCapabilities.Stream;
        return new TargetLoginPolicy
        {
            MaxRecvDataSegmentLength = Math.Min(options.MaxRecvDataSegmentLength, capabilities.MaxDataSegmentLength),
            Digests = capabilities.Digests ? ["CRC32C", "None"] : ["None"],
            RdmaExtensions = capabilities.RdmaExtensions,
            MaxOutstandingUnexpectedPdus = capabilities.MaxOutstandingUnexpectedPdus,
            MaxSendDataSegmentLength = Math.Min(options.MaxRecvDataSegmentLength, capabilities.MaxDataSegmentLength),
            MaxBurstLength = options.MaxBurstLength,
            FirstBurstLength = options.FirstBurstLength,
            MaxOutstandingR2T = options.MaxOutstandingR2T,
            DataPduInOrder = options.DataPduInOrder,
            DataSequenceInOrder = options.DataSequenceInOrder,
            TargetPortalGroupTag = options.TargetPortalGroupTag,
            MaxConnections = options.MaxConnections,
        };
    }

    /// <summary>Our value for a negotiable key, as text (a list for list keys); null when we do not negotiate it.</summary>
    internal string? LocalValue(string key) => key switch
    {
        Text.TextKeyTable.HeaderDigest or Text.TextKeyTable.DataDigest => string.Join(',', Digests),
        Text.TextKeyTable.MaxConnections => Math.Clamp(MaxConnections, 1, 65535).ToString(System.Globalization.CultureInfo.InvariantCulture),
        Text.TextKeyTable.InitialR2T => Text.TextValues.FormatBoolean(InitialR2T),
        Text.TextKeyTable.ImmediateData => Text.TextValues.FormatBoolean(ImmediateData),
        Text.TextKeyTable.MaxBurstLength => Clamp(MaxBurstLength),
        Text.TextKeyTable.FirstBurstLength => Clamp(FirstBurstLength),
        Text.TextKeyTable.DefaultTime2Wait => DefaultTime2Wait.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Text.TextKeyTable.DefaultTime2Retain => DefaultTime2Retain.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Text.TextKeyTable.MaxOutstandingR2T => Math.Clamp(MaxOutstandingR2T, 1, 65535).ToString(System.Globalization.CultureInfo.InvariantCulture),
        Text.TextKeyTable.DataPduInOrder => Text.TextValues.FormatBoolean(DataPduInOrder),
        Text.TextKeyTable.DataSequenceInOrder => Text.TextValues.FormatBoolean(DataSequenceInOrder),
        Text.TextKeyTable.ErrorRecoveryLevel => "0", // session recovery only
        Text.TextKeyTable.TaskReporting => "RFC3720",
        Text.TextKeyTable.IscsiProtocolLevel => "1", // RFC 7143; RFC 7144 features (level 2) are not implemented
        Text.TextKeyTable.RdmaExtensions => Text.TextValues.FormatBoolean(RdmaExtensions),
        Text.TextKeyTable.TargetRecvDataSegmentLength when RdmaExtensions => Clamp(MaxRecvDataSegmentLength),
        Text.TextKeyTable.InitiatorRecvDataSegmentLength when RdmaExtensions => Clamp(MaxSendDataSegmentLength),
        Text.TextKeyTable.MaxOutstandingUnexpectedPdus when RdmaExtensions =>
            Math.Clamp(MaxOutstandingUnexpectedPdus, 0, uint.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => null,
    };

    private static string Clamp(int value) =>
        Math.Clamp((long)value, 512, (long)Text.TextKeyTable.MaxDataLength).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
