using NetScsi.Iscsi.Pdus;

namespace NetScsi.Iscsi.Tests.Pdus;

/// <summary>
/// Golden bytes for the PDUs an initiator sends. Each expected header is written by hand from the
/// RFC 7143 §11 layout diagrams (one string per 4-byte row, offset in the comment); field values are
/// chosen distinct so that a field written at the wrong offset cannot go unnoticed.
/// </summary>
public class InitiatorPduLayoutTests
{
    private static byte[] Encode(Action<byte[]> writeTo)
    {
        // Pre-fill with garbage: WriteTo must clear every reserved byte itself.
        var bhs = Enumerable.Repeat((byte)0xEE, Bhs.Length).ToArray();
        writeTo(bhs);
        return bhs;
    }

    // ---- SCSI Command (§11.3) ----

    /// <summary>
    /// The 48-byte READ(10) command given as the CRC example in RFC 3720 Appendix B.4: a real
    /// SCSI Command PDU whose bytes come from the RFC, not from us.
    /// </summary>
    private const string RfcReadCommand =
        "01 c0 00 00" + //  0: opcode 0x01, F=1 R=1 W=0 ATTR=0 (untagged)
        "00 00 00 00" + //  4: TotalAHSLength 0, DataSegmentLength 0
        "00 00 00 00" + //  8: LUN 0
        "00 00 00 00" + // 12:
        "14 00 00 00" + // 16: Initiator Task Tag 0x14000000
        "00 00 04 00" + // 20: Expected Data Transfer Length 1024
        "00 00 00 14" + // 24: CmdSN 0x14
        "00 00 00 18" + // 28: ExpStatSN 0x18
        "28 00 00 00" + // 32: CDB: READ(10), LBA 0
        "00 00 00 00" + // 36:
        "02 00 00 00" + // 40:      transfer length 2 blocks (CDB bytes 7..8 = 00 02)
        "00 00 00 00";  // 44:

    [Fact]
    public void ScsiCommand_Parse_RfcReadExampleFields()
    {
        var pdu = ScsiCommandPdu.Parse(Hex.Bytes(RfcReadCommand));

        Assert.False(pdu.Immediate);
        Assert.True(pdu.Final);
        Assert.True(pdu.Read);
        Assert.False(pdu.Write);
        Assert.Equal(0, pdu.Attributes);
        Assert.Equal(0, pdu.TotalAhsLength);
        Assert.Equal(0, pdu.DataSegmentLength);
        Assert.Equal(0UL, pdu.Lun);
        Assert.Equal(0x14000000u, pdu.InitiatorTaskTag);
        Assert.Equal(1024u, pdu.ExpectedDataTransferLength);
        Assert.Equal(0x14u, pdu.CmdSN);
        Assert.Equal(0x18u, pdu.ExpStatSN);
        Assert.Equal(Hex.Bytes("28 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00"), ((ReadOnlySpan<byte>)pdu.Cdb).ToArray());
    }

    [Fact]
    public void ScsiCommand_WriteTo_ReproducesRfcReadExample()
    {
        var expected = Hex.Bytes(RfcReadCommand);
        var pdu = ScsiCommandPdu.Parse(expected);
        Hex.AssertBytes(expected, Encode(b => pdu.WriteTo(b)));
    }

    private const string ScsiCommandWrite =
        "41 a1 00 00" + //  0: I=1 opcode 0x01, F=1 R=0 W=1 ATTR=1 (simple)
        "02 00 02 00" + //  4: TotalAHSLength 2 words (8 bytes), DataSegmentLength 512
        "00 01 00 00" + //  8: LUN 1 (single level, peripheral addressing)
        "00 00 00 00" + // 12:
        "0a 0b 0c 0d" + // 16: Initiator Task Tag
        "00 00 10 00" + // 20: Expected Data Transfer Length 4096
        "00 00 01 01" + // 24: CmdSN
        "00 00 02 02" + // 28: ExpStatSN
        "2a 00 00 00" + // 32: CDB: WRITE(10) ...
        "10 00 00 00" + // 36:
        "08 00 00 00" + // 40:
        "00 00 00 5a";  // 44: ... last CDB byte non-zero to prove all 16 bytes are carried

    [Fact]
    public void ScsiCommand_WriteTo_MatchesRfcLayout()
    {
        var pdu = new ScsiCommandPdu
        {
            Immediate = true,
            Final = true,
            Read = false,
            Write = true,
            Attributes = 1,
            TotalAhsLength = 8,
            DataSegmentLength = 512,
            Lun = 0x0001_0000_0000_0000,
            InitiatorTaskTag = 0x0a0b0c0d,
            ExpectedDataTransferLength = 4096,
            CmdSN = 0x0101,
            ExpStatSN = 0x0202,
        };
        Hex.Bytes("2a 00 00 00 10 00 00 00 08 00 00 00 00 00 00 5a").CopyTo(pdu.Cdb);

        Hex.AssertBytes(Hex.Bytes(ScsiCommandWrite), Encode(b => pdu.WriteTo(b)));
    }

    [Fact]
    public void ScsiCommand_Parse_RoundTripsEveryField()
    {
        var pdu = ScsiCommandPdu.Parse(Hex.Bytes(ScsiCommandWrite));

        Assert.True(pdu.Immediate);
        Assert.True(pdu.Final);
        Assert.False(pdu.Read);
        Assert.True(pdu.Write);
        Assert.Equal(1, pdu.Attributes);
        Assert.Equal(8, pdu.TotalAhsLength);
        Assert.Equal(512, pdu.DataSegmentLength);
        Assert.Equal(0x0001_0000_0000_0000UL, pdu.Lun);
        Assert.Equal(0x0a0b0c0du, pdu.InitiatorTaskTag);
        Assert.Equal(4096u, pdu.ExpectedDataTransferLength);
        Assert.Equal(0x0101u, pdu.CmdSN);
        Assert.Equal(0x0202u, pdu.ExpStatSN);
        Assert.Equal(Hex.Bytes("2a 00 00 00 10 00 00 00 08 00 00 00 00 00 00 5a"), ((ReadOnlySpan<byte>)pdu.Cdb).ToArray());
    }

    // ---- SCSI Data-Out (§11.7.1) ----

    private const string DataOut =
        "05 80 00 00" + //  0: opcode 0x05, F=1
        "00 00 02 00" + //  4: TotalAHSLength 0, DataSegmentLength 512
        "00 03 00 00" + //  8: LUN 3
        "00 00 00 00" + // 12:
        "00 00 00 42" + // 16: Initiator Task Tag
        "00 00 10 01" + // 20: Target Transfer Tag (from the R2T)
        "00 00 00 00" + // 24: Reserved
        "00 00 00 33" + // 28: ExpStatSN
        "00 00 00 00" + // 32: Reserved
        "00 00 00 01" + // 36: DataSN
        "00 01 00 00" + // 40: Buffer Offset 65536
        "00 00 00 00";  // 44: Reserved

    [Fact]
    public void DataOut_WriteTo_MatchesRfcLayout()
    {
        var pdu = new DataOutPdu
        {
            Final = true,
            DataSegmentLength = 512,
            Lun = 0x0003_0000_0000_0000,
            InitiatorTaskTag = 0x42,
            TargetTransferTag = 0x1001,
            ExpStatSN = 0x33,
            DataSN = 1,
            BufferOffset = 0x10000,
        };
        Hex.AssertBytes(Hex.Bytes(DataOut), Encode(b => pdu.WriteTo(b)));
    }

    [Fact]
    public void DataOut_Parse_RoundTripsEveryField()
    {
        var pdu = DataOutPdu.Parse(Hex.Bytes(DataOut));

        Assert.True(pdu.Final);
        Assert.Equal(512, pdu.DataSegmentLength);
        Assert.Equal(0x0003_0000_0000_0000UL, pdu.Lun);
        Assert.Equal(0x42u, pdu.InitiatorTaskTag);
        Assert.Equal(0x1001u, pdu.TargetTransferTag);
        Assert.Equal(0x33u, pdu.ExpStatSN);
        Assert.Equal(1u, pdu.DataSN);
        Assert.Equal(0x10000u, pdu.BufferOffset);
    }

    [Fact]
    public void DataOut_NotFinal_ClearsFBit()
    {
        var bhs = Encode(b => new DataOutPdu { Final = false }.WriteTo(b));
        Assert.Equal(0x00, bhs[1]);
        Assert.False(DataOutPdu.Parse(bhs).Final);
    }

    // ---- NOP-Out (§11.18) ----

    private const string NopOut =
        "40 80 00 00" + //  0: I=1 opcode 0x00, F=1 (always)
        "00 00 00 08" + //  4: TotalAHSLength 0, DataSegmentLength 8 (ping data)
        "00 00 00 00" + //  8: LUN 0
        "00 00 00 00" + // 12:
        "00 00 00 07" + // 16: Initiator Task Tag
        "ff ff ff ff" + // 20: Target Transfer Tag 0xffffffff (not answering a NOP-In)
        "00 00 00 09" + // 24: CmdSN
        "00 00 00 0a" + // 28: ExpStatSN
        "00 00 00 00" + // 32: Reserved
        "00 00 00 00" + // 36:
        "00 00 00 00" + // 40:
        "00 00 00 00";  // 44:

    [Fact]
    public void NopOut_WriteTo_MatchesRfcLayout()
    {
        var pdu = new NopOutPdu
        {
            Immediate = true,
            DataSegmentLength = 8,
            Lun = 0,
            InitiatorTaskTag = 7,
            TargetTransferTag = Bhs.ReservedTag,
            CmdSN = 9,
            ExpStatSN = 10,
        };
        Hex.AssertBytes(Hex.Bytes(NopOut), Encode(b => pdu.WriteTo(b)));
    }

    [Fact]
    public void NopOut_Parse_RoundTripsEveryField()
    {
        var pdu = NopOutPdu.Parse(Hex.Bytes(NopOut));

        Assert.True(pdu.Immediate);
        Assert.Equal(8, pdu.DataSegmentLength);
        Assert.Equal(0UL, pdu.Lun);
        Assert.Equal(7u, pdu.InitiatorTaskTag);
        Assert.Equal(0xffffffffu, pdu.TargetTransferTag);
        Assert.Equal(9u, pdu.CmdSN);
        Assert.Equal(10u, pdu.ExpStatSN);
    }

    // ---- Task Management Function Request (§11.5) ----

    private const string TaskManagementRequest =
        "42 81 00 00" + //  0: I=1 opcode 0x02, bit 7 = 1, Function 1 (ABORT TASK)
        "00 00 00 00" + //  4: TotalAHSLength 0, DataSegmentLength 0
        "00 01 00 00" + //  8: LUN 1
        "00 00 00 00" + // 12:
        "00 00 00 99" + // 16: Initiator Task Tag
        "00 00 00 42" + // 20: Referenced Task Tag
        "00 00 00 10" + // 24: CmdSN
        "00 00 00 20" + // 28: ExpStatSN
        "00 00 00 0f" + // 32: RefCmdSN
        "00 00 00 03" + // 36: ExpDataSN
        "00 00 00 00" + // 40: Reserved
        "00 00 00 00";  // 44:

    [Fact]
    public void TaskManagementRequest_WriteTo_MatchesRfcLayout()
    {
        var pdu = new TaskManagementRequestPdu
        {
            Immediate = true,
            Function = TaskManagementFunction.AbortTask,
            Lun = 0x0001_0000_0000_0000,
            InitiatorTaskTag = 0x99,
            ReferencedTaskTag = 0x42,
            CmdSN = 0x10,
            ExpStatSN = 0x20,
            RefCmdSN = 0x0f,
            ExpDataSN = 3,
        };
        Hex.AssertBytes(Hex.Bytes(TaskManagementRequest), Encode(b => pdu.WriteTo(b)));
    }

    [Fact]
    public void TaskManagementRequest_Parse_RoundTripsEveryField()
    {
        var pdu = TaskManagementRequestPdu.Parse(Hex.Bytes(TaskManagementRequest));

        Assert.True(pdu.Immediate);
        Assert.Equal(TaskManagementFunction.AbortTask, pdu.Function);
        Assert.Equal(0x0001_0000_0000_0000UL, pdu.Lun);
        Assert.Equal(0x99u, pdu.InitiatorTaskTag);
        Assert.Equal(0x42u, pdu.ReferencedTaskTag);
        Assert.Equal(0x10u, pdu.CmdSN);
        Assert.Equal(0x20u, pdu.ExpStatSN);
        Assert.Equal(0x0fu, pdu.RefCmdSN);
        Assert.Equal(3u, pdu.ExpDataSN);
    }

    [Fact]
    public void TaskManagementRequest_Parse_IgnoresAlwaysSetBit7()
    {
        var bhs = Hex.Bytes(TaskManagementRequest);
        bhs[1] = 0x80 | 0x08; // TASK REASSIGN
        Assert.Equal(TaskManagementFunction.TaskReassign, TaskManagementRequestPdu.Parse(bhs).Function);
    }

    // ---- Login Request (§11.12) ----

    /// <summary>
    /// A first Login Request the way Linux open-iscsi opens a session: ISID 0x00023d000001
    /// (type 0 "OUI" format, OUI 00:02:3d, qualifier 000001), TSIH 0 (new session), CID 0,
    /// security stage moving to operational negotiation.
    /// </summary>
    private const string LoginRequestNewSession =
        "43 81 00 00" + //  0: I=1 (always) opcode 0x03, T=1 C=0 CSG=0 NSG=1, Version-max 0, Version-min 0
        "00 00 01 2c" + //  4: TotalAHSLength 0, DataSegmentLength 300
        "00 02 3d 00" + //  8: ISID 00 02 3d 00 00 01 ...
        "00 01 00 00" + // 12:    ... ISID | TSIH 0
        "00 00 00 00" + // 16: Initiator Task Tag 0
        "00 00 00 00" + // 20: CID 0 | Reserved
        "00 00 00 01" + // 24: CmdSN 1
        "00 00 00 00" + // 28: ExpStatSN 0
        "00 00 00 00" + // 32: Reserved
        "00 00 00 00" + // 36:
        "00 00 00 00" + // 40:
        "00 00 00 00";  // 44:

    [Fact]
    public void LoginRequest_WriteTo_MatchesRfcLayout()
    {
        var pdu = new LoginRequestPdu
        {
            Transit = true,
            Continue = false,
            CurrentStage = 0,
            NextStage = 1,
            VersionMax = 0,
            VersionMin = 0,
            DataSegmentLength = 300,
            Isid = 0x00023d000001,
            Tsih = 0,
            InitiatorTaskTag = 0,
            Cid = 0,
            CmdSN = 1,
            ExpStatSN = 0,
        };
        Hex.AssertBytes(Hex.Bytes(LoginRequestNewSession), Encode(b => pdu.WriteTo(b)));
    }

    [Fact]
    public void LoginRequest_Parse_RoundTripsEveryField()
    {
        var pdu = LoginRequestPdu.Parse(Hex.Bytes(LoginRequestNewSession));

        Assert.True(pdu.Transit);
        Assert.False(pdu.Continue);
        Assert.Equal(0, pdu.CurrentStage);
        Assert.Equal(1, pdu.NextStage);
        Assert.Equal(0, pdu.VersionMax);
        Assert.Equal(0, pdu.VersionMin);
        Assert.Equal(300, pdu.DataSegmentLength);
        Assert.Equal(0x00023d000001UL, pdu.Isid);
        Assert.Equal(0, pdu.Tsih);
        Assert.Equal(0u, pdu.InitiatorTaskTag);
        Assert.Equal(0, pdu.Cid);
        Assert.Equal(1u, pdu.CmdSN);
        Assert.Equal(0u, pdu.ExpStatSN);
    }

    /// <summary>Every field non-zero: adding a connection to an existing session (TSIH set) mid-negotiation.</summary>
    private const string LoginRequestAddConnection =
        "43 46 01 02" + //  0: I=1 opcode 0x03, T=0 C=1 CSG=1 NSG=2, Version-max 1, Version-min 2
        "00 01 00 00" + //  4: TotalAHSLength 0, DataSegmentLength 65536
        "80 12 34 56" + //  8: ISID 80 12 34 56 78 9a (type 2, random) ...
        "78 9a be ef" + // 12:    ... ISID | TSIH 0xbeef
        "00 00 00 05" + // 16: Initiator Task Tag
        "00 02 00 00" + // 20: CID 2 | Reserved
        "00 00 00 07" + // 24: CmdSN
        "00 00 00 08" + // 28: ExpStatSN
        "00 00 00 00" + // 32: Reserved
        "00 00 00 00" + // 36:
        "00 00 00 00" + // 40:
        "00 00 00 00";  // 44:

    [Fact]
    public void LoginRequest_WriteTo_IsidTsihCidAtRfcOffsets()
    {
        var pdu = new LoginRequestPdu
        {
            Transit = false,
            Continue = true,
            CurrentStage = 1,
            NextStage = 2,
            VersionMax = 1,
            VersionMin = 2,
            DataSegmentLength = 65536,
            Isid = 0x80123456789a,
            Tsih = 0xbeef,
            InitiatorTaskTag = 5,
            Cid = 2,
            CmdSN = 7,
            ExpStatSN = 8,
        };
        Hex.AssertBytes(Hex.Bytes(LoginRequestAddConnection), Encode(b => pdu.WriteTo(b)));

        var parsed = LoginRequestPdu.Parse(Hex.Bytes(LoginRequestAddConnection));
        Assert.False(parsed.Transit);
        Assert.True(parsed.Continue);
        Assert.Equal(1, parsed.CurrentStage);
        Assert.Equal(2, parsed.NextStage);
        Assert.Equal(1, parsed.VersionMax);
        Assert.Equal(2, parsed.VersionMin);
        Assert.Equal(65536, parsed.DataSegmentLength);
        Assert.Equal(0x80123456789aUL, parsed.Isid);
        Assert.Equal(0xbeef, parsed.Tsih);
        Assert.Equal(5u, parsed.InitiatorTaskTag);
        Assert.Equal(2, parsed.Cid);
        Assert.Equal(7u, parsed.CmdSN);
        Assert.Equal(8u, parsed.ExpStatSN);
    }

    [Theory]
    [InlineData(true, false, 0, 1, 0x81)]
    [InlineData(true, false, 1, 3, 0x87)]
    [InlineData(false, true, 0, 0, 0x40)]
    [InlineData(true, false, 3, 3, 0x8f)]
    public void LoginRequest_StageFlags_PackedAsTCxxCsgNsg(bool transit, bool cont, byte csg, byte nsg, byte expected)
    {
        var bhs = Encode(b => new LoginRequestPdu { Transit = transit, Continue = cont, CurrentStage = csg, NextStage = nsg }.WriteTo(b));
        Assert.Equal(expected, bhs[1]);

        var parsed = LoginRequestPdu.Parse(bhs);
        Assert.Equal((transit, cont, csg, nsg), (parsed.Transit, parsed.Continue, parsed.CurrentStage, parsed.NextStage));
    }

    // ---- Text Request (§11.10) ----

    private const string TextRequestSendTargets =
        "04 80 00 00" + //  0: opcode 0x04, F=1 C=0
        "00 00 00 10" + //  4: TotalAHSLength 0, DataSegmentLength 16 ("SendTargets=All\0")
        "00 00 00 00" + //  8: LUN 0
        "00 00 00 00" + // 12:
        "00 00 00 03" + // 16: Initiator Task Tag
        "ff ff ff ff" + // 20: Target Transfer Tag 0xffffffff (new request)
        "00 00 00 02" + // 24: CmdSN
        "00 00 00 04" + // 28: ExpStatSN
        "00 00 00 00" + // 32: Reserved
        "00 00 00 00" + // 36:
        "00 00 00 00" + // 40:
        "00 00 00 00";  // 44:

    [Fact]
    public void TextRequest_WriteTo_MatchesRfcLayout()
    {
        var pdu = new TextRequestPdu
        {
            Immediate = false,
            Final = true,
            Continue = false,
            DataSegmentLength = 16,
            Lun = 0,
            InitiatorTaskTag = 3,
            TargetTransferTag = Bhs.ReservedTag,
            CmdSN = 2,
            ExpStatSN = 4,
        };
        Hex.AssertBytes(Hex.Bytes(TextRequestSendTargets), Encode(b => pdu.WriteTo(b)));
    }

    [Fact]
    public void TextRequest_Parse_RoundTripsEveryField()
    {
        var pdu = TextRequestPdu.Parse(Hex.Bytes(TextRequestSendTargets));

        Assert.False(pdu.Immediate);
        Assert.True(pdu.Final);
        Assert.False(pdu.Continue);
        Assert.Equal(16, pdu.DataSegmentLength);
        Assert.Equal(0UL, pdu.Lun);
        Assert.Equal(3u, pdu.InitiatorTaskTag);
        Assert.Equal(0xffffffffu, pdu.TargetTransferTag);
        Assert.Equal(2u, pdu.CmdSN);
        Assert.Equal(4u, pdu.ExpStatSN);
    }

    [Fact]
    public void TextRequest_ImmediateAndContinue_SetOpcodeBit6AndFlagBit6()
    {
        var bhs = Encode(b => new TextRequestPdu { Immediate = true, Final = false, Continue = true, Lun = 0x0102030405060708 }.WriteTo(b));
        Assert.Equal(Hex.Bytes("44 40 00 00"), bhs[..4]);
        Assert.Equal(Hex.Bytes("01 02 03 04 05 06 07 08"), bhs[8..16]);

        var parsed = TextRequestPdu.Parse(bhs);
        Assert.True(parsed.Immediate);
        Assert.False(parsed.Final);
        Assert.True(parsed.Continue);
        Assert.Equal(0x0102030405060708UL, parsed.Lun);
    }

    // ---- Logout Request (§11.14) ----

    private const string LogoutRequest =
        "46 81 00 00" + //  0: I=1 opcode 0x06, bit 7 = 1, Reason Code 1 (close the connection)
        "00 00 00 00" + //  4: TotalAHSLength 0, DataSegmentLength 0
        "00 00 00 00" + //  8: Reserved
        "00 00 00 00" + // 12:
        "00 00 00 0b" + // 16: Initiator Task Tag
        "00 01 00 00" + // 20: CID 1 | Reserved
        "00 00 00 05" + // 24: CmdSN
        "00 00 00 06" + // 28: ExpStatSN
        "00 00 00 00" + // 32: Reserved
        "00 00 00 00" + // 36:
        "00 00 00 00" + // 40:
        "00 00 00 00";  // 44:

    [Fact]
    public void LogoutRequest_WriteTo_MatchesRfcLayout()
    {
        var pdu = new LogoutRequestPdu
        {
            Immediate = true,
            Reason = LogoutReason.CloseConnection,
            InitiatorTaskTag = 0x0b,
            Cid = 1,
            CmdSN = 5,
            ExpStatSN = 6,
        };
        Hex.AssertBytes(Hex.Bytes(LogoutRequest), Encode(b => pdu.WriteTo(b)));
    }

    [Fact]
    public void LogoutRequest_Parse_RoundTripsEveryField()
    {
        var pdu = LogoutRequestPdu.Parse(Hex.Bytes(LogoutRequest));

        Assert.True(pdu.Immediate);
        Assert.Equal(LogoutReason.CloseConnection, pdu.Reason);
        Assert.Equal(0x0bu, pdu.InitiatorTaskTag);
        Assert.Equal(1, pdu.Cid);
        Assert.Equal(5u, pdu.CmdSN);
        Assert.Equal(6u, pdu.ExpStatSN);
    }

    // ---- SNACK Request (§11.16) ----

    private const string StatusSnack =
        "10 81 00 00" + //  0: opcode 0x10, bit 7 = 1, Type 1 (Status SNACK)
        "00 00 00 00" + //  4: TotalAHSLength 0, DataSegmentLength 0
        "00 04 00 00" + //  8: LUN 4
        "00 00 00 00" + // 12:
        "ff ff ff ff" + // 16: Initiator Task Tag 0xffffffff (Status SNACK)
        "00 00 0a bc" + // 20: Target Transfer Tag or SNACK Tag
        "00 00 00 00" + // 24: Reserved
        "00 00 00 40" + // 28: ExpStatSN
        "00 00 00 00" + // 32: Reserved
        "00 00 00 00" + // 36:
        "00 00 00 3c" + // 40: BegRun
        "00 00 00 02";  // 44: RunLength

    [Fact]
    public void SnackRequest_WriteTo_MatchesRfcLayout()
    {
        var pdu = new SnackRequestPdu
        {
            Type = 1,
            Lun = 0x0004_0000_0000_0000,
            InitiatorTaskTag = Bhs.ReservedTag,
            TargetTransferTag = 0x0abc,
            ExpStatSN = 0x40,
            BegRun = 0x3c,
            RunLength = 2,
        };
        Hex.AssertBytes(Hex.Bytes(StatusSnack), Encode(b => pdu.WriteTo(b)));
    }

    [Fact]
    public void SnackRequest_Parse_RoundTripsEveryField()
    {
        var pdu = SnackRequestPdu.Parse(Hex.Bytes(StatusSnack));

        Assert.Equal(1, pdu.Type);
        Assert.Equal(0x0004_0000_0000_0000UL, pdu.Lun);
        Assert.Equal(0xffffffffu, pdu.InitiatorTaskTag);
        Assert.Equal(0x0abcu, pdu.TargetTransferTag);
        Assert.Equal(0x40u, pdu.ExpStatSN);
        Assert.Equal(0x3cu, pdu.BegRun);
        Assert.Equal(2u, pdu.RunLength);
    }
}
