using System.Collections.Frozen;
using F = NetScsi.Iscsi.Text.TextKeyResultFunction;
using Scope = NetScsi.Iscsi.Text.TextKeyScope;
using Senders = NetScsi.Iscsi.Text.TextKeySenders;
using Stage = NetScsi.Iscsi.Text.TextKeyStage;
using Use = NetScsi.Iscsi.Text.TextKeyUse;
using V = NetScsi.Iscsi.Text.TextKeyValueType;

namespace NetScsi.Iscsi.Text;

/// <summary>
/// Every key of RFC 7143 §12 and §13 (plus the iSER keys of RFC 7145 §6) with its negotiation
/// rules. Private and public extension keys (X-…, X#…, §13.22) are not listed: a responder answers
/// them NotUnderstood.
/// </summary>
public static class TextKeyTable
{
    /// <summary>RFC 7143 §13.12–13.14: 512 to 2^24 − 1.</summary>
    public const ulong MaxDataLength = 16777215;

    /// <summary>RFC 7143 §4.2.7.1 (iSCSI names): at most 223 bytes.</summary>
    public const int MaxNameLength = 223;

    public const string HeaderDigest = "HeaderDigest";
    public const string DataDigest = "DataDigest";
    public const string MaxConnections = "MaxConnections";
    public const string SendTargets = "SendTargets";
    public const string TargetName = "TargetName";
    public const string InitiatorName = "InitiatorName";
    public const string TargetAlias = "TargetAlias";
    public const string InitiatorAlias = "InitiatorAlias";
    public const string TargetAddress = "TargetAddress";
    public const string TargetPortalGroupTag = "TargetPortalGroupTag";
    public const string InitialR2T = "InitialR2T";
    public const string ImmediateData = "ImmediateData";
    public const string MaxRecvDataSegmentLength = "MaxRecvDataSegmentLength";
    public const string MaxBurstLength = "MaxBurstLength";
    public const string FirstBurstLength = "FirstBurstLength";
    public const string DefaultTime2Wait = "DefaultTime2Wait";
    public const string DefaultTime2Retain = "DefaultTime2Retain";
    public const string MaxOutstandingR2T = "MaxOutstandingR2T";
    public const string DataPduInOrder = "DataPDUInOrder";
    public const string DataSequenceInOrder = "DataSequenceInOrder";
    public const string ErrorRecoveryLevel = "ErrorRecoveryLevel";
    public const string SessionType = "SessionType";
    public const string TaskReporting = "TaskReporting";
    public const string IscsiProtocolLevel = "iSCSIProtocolLevel";
    public const string IFMarker = "IFMarker";
    public const string OFMarker = "OFMarker";
    public const string IFMarkInt = "IFMarkInt";
    public const string OFMarkInt = "OFMarkInt";
    public const string AuthMethod = "AuthMethod";
    public const string ChapA = "CHAP_A";
    public const string ChapI = "CHAP_I";
    public const string ChapC = "CHAP_C";
    public const string ChapN = "CHAP_N";
    public const string ChapR = "CHAP_R";
    public const string RdmaExtensions = "RDMAExtensions";
    public const string TargetRecvDataSegmentLength = "TargetRecvDataSegmentLength";
    public const string InitiatorRecvDataSegmentLength = "InitiatorRecvDataSegmentLength";
    public const string MaxOutstandingUnexpectedPdus = "MaxOutstandingUnexpectedPDUs";

    private static readonly string[] s_digests = ["CRC32C", "None"];
    private static readonly string[] s_sessionTypes = ["Discovery", "Normal"];
    private static readonly string[] s_taskReporting = ["RFC3720", "ResponseFence", "FastAbort"];

    // RFC 7143 §12: KRB5, SRP, CHAP, None (SPKM1/SPKM2 are obsolete but still names a peer may offer).
    private static readonly string[] s_authMethods = ["KRB5", "SPKM1", "SPKM2", "SRP", "CHAP", "None"];

    private static readonly TextKeyDefinition[] s_definitions =
    [
        // RFC 7143 §13.1: IO, both, CO; list; default None.
        new(HeaderDigest, "RFC 7143 §13.1", V.List, F.ListFirst, Use.LoginOnly, Stage.Operational, Senders.Both, Scope.Connection, "None", Values: s_digests),
        new(DataDigest, "RFC 7143 §13.1", V.List, F.ListFirst, Use.LoginOnly, Stage.Operational, Senders.Both, Scope.Connection, "None", Values: s_digests),

        // RFC 7143 §13.2: LO, both, SW; 1..65535, default 1, Minimum; irrelevant for discovery.
        new(MaxConnections, "RFC 7143 §13.2", V.Numeric, F.Min, Use.LeadingOnly, Stage.Operational, Senders.Both, Scope.Session, "1", 1, 65535, IrrelevantInDiscovery: true),

        // RFC 7143 §13.3: FFPO, initiator, SW; All | <target name> | <nothing>.
        new(SendTargets, "RFC 7143 §13.3", V.Text, F.Special, Use.FullFeatureOnly, Stage.Any, Senders.Initiator, Scope.Session, null, MaxValueLength: MaxNameLength),

        // RFC 7143 §13.4: IO by the initiator, ALL by the target (in SendTargets answers); declarative.
        new(TargetName, "RFC 7143 §13.4", V.Text, F.Declarative, Use.LoginOnly, Stage.Any, Senders.Both, Scope.Session, null, MaxValueLength: MaxNameLength),

        // RFC 7143 §13.5: IO, initiator, SW; declarative; required in the first login request.
        new(InitiatorName, "RFC 7143 §13.5", V.Text, F.Declarative, Use.LoginOnly, Stage.Any, Senders.Initiator, Scope.Session, null, MaxValueLength: MaxNameLength),

        // RFC 7143 §13.6–13.7: ALL, declarative.
        new(TargetAlias, "RFC 7143 §13.6", V.Text, F.Declarative, Use.All, Stage.Any, Senders.Target, Scope.Session, null),
        new(InitiatorAlias, "RFC 7143 §13.7", V.Text, F.Declarative, Use.All, Stage.Any, Senders.Initiator, Scope.Session, null),

        // RFC 7143 §13.8: ALL, target only (SendTargets answers, redirection).
        new(TargetAddress, "RFC 7143 §13.8", V.Text, F.Declarative, Use.All, Stage.Any, Senders.Target, Scope.Session, null),

        // RFC 7143 §13.9: IO, target only; 0..65535; declared in the first login response.
        new(TargetPortalGroupTag, "RFC 7143 §13.9", V.Numeric, F.Declarative, Use.LoginOnly, Stage.Any, Senders.Target, Scope.Session, null, 0, 65535),

        // RFC 7143 §13.10: LO, OR, default Yes.
        new(InitialR2T, "RFC 7143 §13.10", V.Boolean, F.Or, Use.LeadingOnly, Stage.Operational, Senders.Both, Scope.Session, "Yes", IrrelevantInDiscovery: true),

        // RFC 7143 §13.11: LO, AND, default Yes.
        new(ImmediateData, "RFC 7143 §13.11", V.Boolean, F.And, Use.LeadingOnly, Stage.Operational, Senders.Both, Scope.Session, "Yes", IrrelevantInDiscovery: true),

        // RFC 7143 §13.12: ALL, declarative, CO; 512..2^24-1, default 8192; each side declares what it receives.
        new(MaxRecvDataSegmentLength, "RFC 7143 §13.12", V.Numeric, F.Declarative, Use.All, Stage.Operational, Senders.Both, Scope.Connection, "8192", 512, MaxDataLength),

        // RFC 7143 §13.13: LO, Minimum; 512..2^24-1, default 262144.
        new(MaxBurstLength, "RFC 7143 §13.13", V.Numeric, F.Min, Use.LeadingOnly, Stage.Operational, Senders.Both, Scope.Session, "262144", 512, MaxDataLength, IrrelevantInDiscovery: true),

        // RFC 7143 §13.14: LO, Minimum; 512..2^24-1, default 65536; MUST NOT exceed MaxBurstLength.
        new(FirstBurstLength, "RFC 7143 §13.14", V.Numeric, F.Min, Use.LeadingOnly, Stage.Operational, Senders.Both, Scope.Session, "65536", 512, MaxDataLength, IrrelevantInDiscovery: true),

        // RFC 7143 §13.15: LO, Maximum; 0..3600, default 2.
        new(DefaultTime2Wait, "RFC 7143 §13.15", V.Numeric, F.Max, Use.LeadingOnly, Stage.Operational, Senders.Both, Scope.Session, "2", 0, 3600),

        // RFC 7143 §13.16: LO, Minimum; 0..3600, default 20.
        new(DefaultTime2Retain, "RFC 7143 §13.16", V.Numeric, F.Min, Use.LeadingOnly, Stage.Operational, Senders.Both, Scope.Session, "20", 0, 3600),

        // RFC 7143 §13.17: LO, Minimum; 1..65535, default 1.
        new(MaxOutstandingR2T, "RFC 7143 §13.17", V.Numeric, F.Min, Use.LeadingOnly, Stage.Operational, Senders.Both, Scope.Session, "1", 1, 65535, IrrelevantInDiscovery: true),

        // RFC 7143 §13.18–13.19: LO, OR, default Yes.
        new(DataPduInOrder, "RFC 7143 §13.18", V.Boolean, F.Or, Use.LeadingOnly, Stage.Operational, Senders.Both, Scope.Session, "Yes", IrrelevantInDiscovery: true),
        new(DataSequenceInOrder, "RFC 7143 §13.19", V.Boolean, F.Or, Use.LeadingOnly, Stage.Operational, Senders.Both, Scope.Session, "Yes", IrrelevantInDiscovery: true),

        // RFC 7143 §13.20: LO, Minimum; 0..2, default 0.
        new(ErrorRecoveryLevel, "RFC 7143 §13.20", V.Numeric, F.Min, Use.LeadingOnly, Stage.Operational, Senders.Both, Scope.Session, "0", 0, 2),

        // RFC 7143 §13.21: LO, initiator, declarative; Discovery | Normal, default Normal.
        new(SessionType, "RFC 7143 §13.21", V.List, F.Declarative, Use.LeadingOnly, Stage.Any, Senders.Initiator, Scope.Session, "Normal", Values: s_sessionTypes),

        // RFC 7143 §13.23: LO, list; RFC3720 | ResponseFence | FastAbort, default RFC3720.
        new(TaskReporting, "RFC 7143 §13.23", V.List, F.ListFirst, Use.LeadingOnly, Stage.Operational, Senders.Both, Scope.Session, "RFC3720", IrrelevantInDiscovery: true, Values: s_taskReporting),

        // RFC 7143 §13.24 (levels defined by RFC 7144): LO, Minimum; 0..31, default 1.
        new(IscsiProtocolLevel, "RFC 7143 §13.24", V.Numeric, F.Min, Use.LeadingOnly, Stage.Operational, Senders.Both, Scope.Session, "1", 0, 31, IrrelevantInDiscovery: true),

        // RFC 7143 §13.25: markers are obsolete. A responder SHOULD answer Reject, MAY answer No to
        // IFMarker/OFMarker, and MUST NOT answer NotUnderstood. We answer No to the marker switches
        // (what RFC 3720 peers expect) and Reject to the intervals.
        new(IFMarker, "RFC 7143 §13.25", V.Boolean, F.And, Use.LoginOnly, Stage.Operational, Senders.Both, Scope.Connection, "No", ObsoleteAnswer: TextValues.No),
        new(OFMarker, "RFC 7143 §13.25", V.Boolean, F.And, Use.LoginOnly, Stage.Operational, Senders.Both, Scope.Connection, "No", ObsoleteAnswer: TextValues.No),
        new(IFMarkInt, "RFC 7143 §13.25", V.Text, F.Special, Use.LoginOnly, Stage.Operational, Senders.Both, Scope.Connection, "2048~8192", ObsoleteAnswer: TextValues.Reject),
        new(OFMarkInt, "RFC 7143 §13.25", V.Text, F.Special, Use.LoginOnly, Stage.Operational, Senders.Both, Scope.Connection, "2048~8192", ObsoleteAnswer: TextValues.Reject),

        // RFC 7143 §12 and §12.1.3: security stage only.
        new(AuthMethod, "RFC 7143 §12", V.List, F.ListFirst, Use.LoginOnly, Stage.Security, Senders.Both, Scope.Connection, "None", Values: s_authMethods),
        new(ChapA, "RFC 7143 §12.1.3", V.List, F.Special, Use.LoginOnly, Stage.Security, Senders.Both, Scope.Connection, null),
        new(ChapI, "RFC 7143 §12.1.3", V.Numeric, F.Special, Use.LoginOnly, Stage.Security, Senders.Both, Scope.Connection, null, 0, 255),
        new(ChapC, "RFC 7143 §12.1.3", V.Binary, F.Special, Use.LoginOnly, Stage.Security, Senders.Both, Scope.Connection, null, MaxValueLength: 2 + (2 * 1024)),
        new(ChapN, "RFC 7143 §12.1.3", V.Text, F.Special, Use.LoginOnly, Stage.Security, Senders.Both, Scope.Connection, null, MaxValueLength: 511),
        new(ChapR, "RFC 7143 §12.1.3", V.Binary, F.Special, Use.LoginOnly, Stage.Security, Senders.Both, Scope.Connection, null, MaxValueLength: 2 + (2 * 1024)),

        // RFC 7145 §6.3 (iSER): LO, both, SW, AND, default No; irrelevant on discovery sessions. Each side's value
        // comes from its data mover (DataMoverCapabilities.RdmaExtensions): Yes only over an RDMA mover.
        new(RdmaExtensions, "RFC 7145 §6.3", V.Boolean, F.And, Use.LeadingOnly, Stage.Operational, Senders.Both, Scope.Session, "No", IrrelevantInDiscovery: true),

        // RFC 7145 §6.4-§6.5: IO, both, CO, Minimum, 512..2^24-1, default 8192; irrelevant when RDMAExtensions=No.
        // With RDMAExtensions=Yes they replace MaxRecvDataSegmentLength (§6.2), one for each direction.
        new(TargetRecvDataSegmentLength, "RFC 7145 §6.4", V.Numeric, F.Min, Use.LoginOnly, Stage.Operational, Senders.Both, Scope.Connection, "8192", 512, MaxDataLength, IrrelevantInDiscovery: true, IrrelevantWithoutRdma: true),
        new(InitiatorRecvDataSegmentLength, "RFC 7145 §6.5", V.Numeric, F.Min, Use.LoginOnly, Stage.Operational, Senders.Both, Scope.Connection, "8192", 512, MaxDataLength, IrrelevantInDiscovery: true, IrrelevantWithoutRdma: true),

        // RFC 7145 §6.7: LO, both, SW; 2..2^32-1 or 0 (no limit), default 0; the smaller limit wins, 0 yields.
        new(MaxOutstandingUnexpectedPdus, "RFC 7145 §6.7", V.Numeric, F.MinOrZero, Use.LeadingOnly, Stage.Operational, Senders.Both, Scope.Session, "0", 2, uint.MaxValue, IrrelevantInDiscovery: true, IrrelevantWithoutRdma: true),
    ];

    private static readonly FrozenDictionary<string, TextKeyDefinition> s_byName =
        s_definitions.ToFrozenDictionary(d => d.Name, StringComparer.Ordinal);

    /// <summary>Every defined key, in RFC order.</summary>
    public static IReadOnlyList<TextKeyDefinition> All => s_definitions;

    /// <summary>Looks a key up, case-sensitively (RFC 7143 §6.1).</summary>
    public static bool TryGet(string key, out TextKeyDefinition definition)
    {
        if (s_byName.TryGetValue(key, out TextKeyDefinition? found))
        {
            definition = found;
            return true;
        }

        definition = null!;
        return false;
    }

    /// <summary>RFC 7143 §13.22: X- (private) and X# (public extension) keys.</summary>
    public static bool IsExtensionKey(string key) =>
        key.StartsWith("X-", StringComparison.Ordinal) || key.StartsWith("X#", StringComparison.Ordinal);
}
