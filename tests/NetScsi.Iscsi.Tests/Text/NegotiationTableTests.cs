using NetScsi.Iscsi.Text;

namespace NetScsi.Iscsi.Tests.Text;

public sealed class NegotiationTableTests
{
    private static TextKeyDefinition Key(string name)
    {
        Assert.True(TextKeyTable.TryGet(name, out TextKeyDefinition definition), name);
        return definition;
    }

    private static string Respond(string key, string offered, string local)
    {
        TextKeyNegotiation.TryRespond(Key(key), offered, local, out string answer);
        return answer;
    }

    public static TheoryData<string> Rfc7143Keys => new()
    {
        "HeaderDigest", "DataDigest", "MaxConnections", "SendTargets", "TargetName", "InitiatorName", "TargetAlias",
        "InitiatorAlias", "TargetAddress", "TargetPortalGroupTag", "InitialR2T", "ImmediateData", "MaxRecvDataSegmentLength",
        "MaxBurstLength", "FirstBurstLength", "DefaultTime2Wait", "DefaultTime2Retain", "MaxOutstandingR2T", "DataPDUInOrder",
        "DataSequenceInOrder", "ErrorRecoveryLevel", "SessionType", "TaskReporting", "iSCSIProtocolLevel", "IFMarker",
        "OFMarker", "IFMarkInt", "OFMarkInt", "AuthMethod", "CHAP_A", "CHAP_I", "CHAP_C", "CHAP_N", "CHAP_R",
    };

    [Theory]
    [MemberData(nameof(Rfc7143Keys))]
    public void Table_ContainsEveryRfc7143Key(string key)
    {
        TextKeyDefinition definition = Key(key);
        Assert.StartsWith("RFC 7143 §1", definition.Section);
    }

    [Fact]
    public void Table_KeysAreCaseSensitive() => Assert.False(TextKeyTable.TryGet("maxburstlength", out _));

    [Fact]
    public void Table_NumericKeysHaveRangeContainingDefault()
    {
        foreach (TextKeyDefinition d in TextKeyTable.All)
        {
            if (d.Type == TextKeyValueType.Numeric && d.Default is not null)
            {
                Assert.True(TextKeyNegotiation.TryParseInRange(d, d.Default, out _), d.Name);
            }
        }
    }

    [Theory]
    [InlineData("InitialR2T", TextKeyResultFunction.Or, "Yes")]
    [InlineData("ImmediateData", TextKeyResultFunction.And, "Yes")]
    [InlineData("MaxConnections", TextKeyResultFunction.Min, "1")]
    [InlineData("MaxBurstLength", TextKeyResultFunction.Min, "262144")]
    [InlineData("FirstBurstLength", TextKeyResultFunction.Min, "65536")]
    [InlineData("DefaultTime2Wait", TextKeyResultFunction.Max, "2")]
    [InlineData("DefaultTime2Retain", TextKeyResultFunction.Min, "20")]
    [InlineData("MaxOutstandingR2T", TextKeyResultFunction.Min, "1")]
    [InlineData("DataPDUInOrder", TextKeyResultFunction.Or, "Yes")]
    [InlineData("DataSequenceInOrder", TextKeyResultFunction.Or, "Yes")]
    [InlineData("ErrorRecoveryLevel", TextKeyResultFunction.Min, "0")]
    [InlineData("MaxRecvDataSegmentLength", TextKeyResultFunction.Declarative, "8192")]
    [InlineData("HeaderDigest", TextKeyResultFunction.ListFirst, "None")]
    [InlineData("TaskReporting", TextKeyResultFunction.ListFirst, "RFC3720")]
    [InlineData("iSCSIProtocolLevel", TextKeyResultFunction.Min, "1")]
    [InlineData("SessionType", TextKeyResultFunction.Declarative, "Normal")]
    [InlineData("AuthMethod", TextKeyResultFunction.ListFirst, "None")]
    public void Table_ResultFunctionAndDefault_MatchRfc(string key, TextKeyResultFunction function, string defaultValue)
    {
        Assert.Equal(function, Key(key).Result);
        Assert.Equal(defaultValue, Key(key).Default);
    }

    [Theory]
    [InlineData("MaxConnections")]
    [InlineData("InitialR2T")]
    [InlineData("ImmediateData")]
    [InlineData("MaxBurstLength")]
    [InlineData("FirstBurstLength")]
    [InlineData("DefaultTime2Wait")]
    [InlineData("DefaultTime2Retain")]
    [InlineData("MaxOutstandingR2T")]
    [InlineData("DataPDUInOrder")]
    [InlineData("DataSequenceInOrder")]
    [InlineData("ErrorRecoveryLevel")]
    [InlineData("SessionType")]
    public void Table_SessionWideLoginKeys_AreLeadingOnly(string key)
    {
        Assert.Equal(TextKeyUse.LeadingOnly, Key(key).Use);
        Assert.Equal(TextKeyScope.Session, Key(key).Scope);
    }

    [Fact]
    public void Table_ScopeAndSenders()
    {
        Assert.Equal(TextKeyScope.Connection, Key("MaxRecvDataSegmentLength").Scope);
        Assert.Equal(TextKeyScope.Connection, Key("HeaderDigest").Scope);
        Assert.Equal(TextKeySenders.Initiator, Key("InitiatorName").Senders);
        Assert.Equal(TextKeySenders.Target, Key("TargetPortalGroupTag").Senders);
        Assert.Equal(TextKeySenders.Target, Key("TargetAddress").Senders);
        Assert.Equal(TextKeyUse.FullFeatureOnly, Key("SendTargets").Use);
        Assert.True(Key("MaxRecvDataSegmentLength").AllowedInFullFeature);
        Assert.False(Key("MaxBurstLength").AllowedInFullFeature);
        Assert.Equal(TextKeyStage.Security, Key("AuthMethod").Stage);
        Assert.Equal(TextKeyStage.Operational, Key("HeaderDigest").Stage);
    }

    [Fact]
    public void Negotiation_InitialR2T_IsOr()
    {
        Assert.Equal("Yes", Respond("InitialR2T", "Yes", "No"));
        Assert.Equal("Yes", Respond("InitialR2T", "No", "Yes"));
        Assert.Equal("No", Respond("InitialR2T", "No", "No"));
    }

    [Fact]
    public void Negotiation_ImmediateData_IsAnd()
    {
        Assert.Equal("No", Respond("ImmediateData", "Yes", "No"));
        Assert.Equal("No", Respond("ImmediateData", "No", "Yes"));
        Assert.Equal("Yes", Respond("ImmediateData", "Yes", "Yes"));
    }

    [Fact]
    public void Negotiation_MaxBurstLength_IsMin()
    {
        Assert.Equal("65536", Respond("MaxBurstLength", "65536", "1048576"));
        Assert.Equal("1048576", Respond("MaxBurstLength", "16776192", "1048576"));
    }

    [Fact]
    public void Negotiation_DefaultTime2Wait_IsMax() => Assert.Equal("5", Respond("DefaultTime2Wait", "5", "2"));

    [Fact]
    public void Negotiation_ErrorRecoveryLevel_AnswersMinimumZero() => Assert.Equal("0", Respond("ErrorRecoveryLevel", "2", "0"));

    [Fact]
    public void Negotiation_HexNumber_Accepted() => Assert.Equal("4096", Respond("MaxBurstLength", "0x1000", "1048576"));

    [Theory]
    [InlineData("MaxBurstLength", "511")]
    [InlineData("MaxBurstLength", "16777216")]
    [InlineData("ErrorRecoveryLevel", "3")]
    [InlineData("MaxOutstandingR2T", "0")]
    [InlineData("DefaultTime2Wait", "3601")]
    [InlineData("iSCSIProtocolLevel", "32")]
    [InlineData("MaxConnections", "0")]
    public void Negotiation_OutOfRangeNumber_IsReject(string key, string offered) => Assert.Equal("Reject", Respond(key, offered, "1"));

    [Theory]
    [InlineData("InitialR2T", "yes")]
    [InlineData("InitialR2T", "")]
    [InlineData("MaxBurstLength", "lots")]
    [InlineData("HeaderDigest", "CRC32C,,None")]
    public void Negotiation_InvalidValue_IsReject(string key, string offered) => Assert.Equal("Reject", Respond(key, offered, "None,CRC32C"));

    [Fact]
    public void Negotiation_Digest_PicksFirstOfOfferersListWeSupport()
    {
        Assert.Equal("CRC32C", Respond("HeaderDigest", "CRC32C,None", "None,CRC32C"));
        Assert.Equal("None", Respond("HeaderDigest", "None,CRC32C", "CRC32C,None"));
        Assert.Equal("None", Respond("DataDigest", "MD5X,None", "CRC32C,None"));
        Assert.Equal("Reject", Respond("DataDigest", "CRC32C", "None"));
    }

    [Fact]
    public void Negotiation_TaskReporting_AnswersRfc3720() =>
        Assert.Equal("RFC3720", Respond("TaskReporting", "FastAbort,RFC3720", "RFC3720"));

    [Fact]
    public void ObsoleteMarkers_NeverNotUnderstood()
    {
        // RFC 7143 §13.25: SHOULD Reject, MAY No, MUST NOT NotUnderstood.
        Assert.Equal("No", Key("IFMarker").ObsoleteAnswer);
        Assert.Equal("No", Key("OFMarker").ObsoleteAnswer);
        Assert.Equal("Reject", Key("IFMarkInt").ObsoleteAnswer);
        Assert.Equal("Reject", Key("OFMarkInt").ObsoleteAnswer);
    }

    [Fact]
    public void ExtensionKeys_AreNotInTable()
    {
        Assert.True(TextKeyTable.IsExtensionKey("X-com.example.Foo"));
        Assert.True(TextKeyTable.IsExtensionKey("X#NodeArchitecture"));
        Assert.False(TextKeyTable.TryGet("X-com.example.Foo", out _));
    }
}
