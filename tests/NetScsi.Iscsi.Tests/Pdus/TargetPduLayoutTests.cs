using NetScsi.Iscsi.Pdus;

namespace NetScsi.Iscsi.Tests.Pdus;

/// <summary>
/// Golden bytes for the PDUs a target sends, hand-written from the RFC 7143 §11 layout diagrams
/// (one string per 4-byte row, offset in the comment). Field values are distinct so a misplaced
/// field shows up as a wrong row.
/// </summary>
public class TargetPduLayoutTests
{
    private static byte[] Encode(Action<byte[]> writeTo)
    {
        // Pre-fill with garbage: WriteTo must clear every reserved byte itself.
        var bhs = Enumerable.Repeat((byte)0xEE, Bhs.Length).ToArray();
        writeTo(bhs);
        return bhs;
    }

    // ---- SCSI Response (§11.4) ----

    private const string ScsiResponseCheckCondition =
        "21 82 00 02" + //  0: opcode 0x21, bit 7 = 1, o=0 u=0 O=0 U=1, Response 0 (completed), Status 0x02 CHECK CONDITION
        "00 00 00 14" + //  4: TotalAHSLength 0, DataSegmentLength 20 (SenseLength + 18 bytes of sense)
        "00 00 00 00" + //  8: Reserved
        "00 00 00 00" + // 12:
        "11 22 33 44" + // 16: Initiator Task Tag
        "00 00 00 05" + // 20: SNACK Tag
        "00 00 00 10" + // 24: StatSN
        "00 00 00 21" + // 28: ExpCmdSN
        "00 00 00 40" + // 32: MaxCmdSN
        "00 00 00 03" + // 36: ExpDataSN
        "00 00 00 07" + // 40: Bidirectional Read Residual Count
        "00 00 02 00";  // 44: Residual Count 512

    [Fact]
    public void ScsiResponse_WriteTo_MatchesRfcLayout()
    {
        var pdu = new ScsiResponsePdu
        {
            ResidualOverflow = false,
            ResidualUnderflow = true,
            Response = 0,
            Status = 0x02,
            DataSegmentLength = 20,
            InitiatorTaskTag = 0x11223344,
            SnackTag = 5,
            StatSN = 0x10,
            ExpCmdSN = 0x21,
            MaxCmdSN = 0x40,
            ExpDataSN = 3,
            BidirectionalReadResidualCount = 7,
            ResidualCount = 512,
        };
        Hex.AssertBytes(Hex.Bytes(ScsiResponseCheckCondition), Encode(b => pdu.WriteTo(b)));
    }

    [Fact]
    public void ScsiResponse_Parse_RoundTripsEveryField()
    {
        var pdu = ScsiResponsePdu.Parse(Hex.Bytes(ScsiResponseCheckCondition));

        Assert.False(pdu.ResidualOverflow);
        Assert.True(pdu.ResidualUnderflow);
        Assert.Equal(0, pdu.Response);
        Assert.Equal(0x02, pdu.Status);
        Assert.Equal(20, pdu.DataSegmentLength);
        Assert.Equal(0x11223344u, pdu.InitiatorTaskTag);
        Assert.Equal(5u, pdu.SnackTag);
        Assert.Equal(0x10u, pdu.StatSN);
        Assert.Equal(0x21u, pdu.ExpCmdSN);
        Assert.Equal(0x40u, pdu.MaxCmdSN);
        Assert.Equal(3u, pdu.ExpDataSN);
        Assert.Equal(7u, pdu.BidirectionalReadResidualCount);
        Assert.Equal(512u, pdu.ResidualCount);
    }

    /// <summary>Byte 1 is |1|.|.|o|u|O|U|.|: O (overflow) is 0x04, U (underflow) 0x02; o/u (bidi) are 0x10/0x08.</summary>
    [Theory]
    [InlineData(false, false, 0x80)]
    [InlineData(true, false, 0x84)]
    [InlineData(false, true, 0x82)]
    public void ScsiResponse_ResidualFlags_AtRfcBitPositions(bool overflow, bool underflow, byte expected)
    {
        var bhs = Encode(b => new ScsiResponsePdu { ResidualOverflow = overflow, ResidualUnderflow = underflow }.WriteTo(b));
        Assert.Equal(expected, bhs[1]);

        var parsed = ScsiResponsePdu.Parse(bhs);
        Assert.Equal((overflow, underflow), (parsed.ResidualOverflow, parsed.ResidualUnderflow));
    }

    [Fact]
    public void ScsiResponse_BidiFlagConstants_MatchRfcBitPositions()
    {
        Assert.Equal(0x10, ScsiResponsePdu.BidiOverflowBit);
        Assert.Equal(0x08, ScsiResponsePdu.BidiUnderflowBit);
        Assert.Equal(0x04, ScsiResponsePdu.OverflowBit);
        Assert.Equal(0x02, ScsiResponsePdu.UnderflowBit);

        // The bidirectional bits must not be mistaken for the (uni-directional) O/U bits.
        var bhs = Hex.Bytes(ScsiResponseCheckCondition);
        bhs[1] = 0x80 | 0x10 | 0x08;
        var parsed = ScsiResponsePdu.Parse(bhs);
        Assert.False(parsed.ResidualOverflow);
        Assert.False(parsed.ResidualUnderflow);
    }

    // ---- SCSI Data-In (§11.7.2) ----

    private const string DataInWithStatus =
        "25 83 00 04" + //  0: opcode 0x25, F=1 A=0 O=0 U=1 S=1, Reserved, Status 0x04 (CONDITION MET)
        "00 00 10 00" + //  4: TotalAHSLength 0, DataSegmentLength 4096
        "00 02 00 00" + //  8: LUN 2
        "00 00 00 00" + // 12:
        "00 00 0a bc" + // 16: Initiator Task Tag
        "ff ff ff ff" + // 20: Target Transfer Tag 0xffffffff (A=0)
        "00 00 01 00" + // 24: StatSN (valid: S=1)
        "00 00 01 01" + // 28: ExpCmdSN
        "00 00 01 80" + // 32: MaxCmdSN
        "00 00 00 02" + // 36: DataSN
        "00 00 20 00" + // 40: Buffer Offset 8192
        "00 00 02 00";  // 44: Residual Count 512

    [Fact]
    public void DataIn_WriteTo_MatchesRfcLayout()
    {
        var pdu = new DataInPdu
        {
            Final = true,
            Acknowledge = false,
            ResidualOverflow = false,
            ResidualUnderflow = true,
            HasStatus = true,
            Status = 0x04,
            DataSegmentLength = 4096,
            Lun = 0x0002_0000_0000_0000,
            InitiatorTaskTag = 0x0abc,
            TargetTransferTag = Bhs.ReservedTag,
            StatSN = 0x100,
            ExpCmdSN = 0x101,
            MaxCmdSN = 0x180,
            DataSN = 2,
            BufferOffset = 8192,
            ResidualCount = 512,
        };
        Hex.AssertBytes(Hex.Bytes(DataInWithStatus), Encode(b => pdu.WriteTo(b)));
    }

    [Fact]
    public void DataIn_Parse_RoundTripsEveryField()
    {
        var pdu = DataInPdu.Parse(Hex.Bytes(DataInWithStatus));

        Assert.True(pdu.Final);
        Assert.False(pdu.Acknowledge);
        Assert.False(pdu.ResidualOverflow);
        Assert.True(pdu.ResidualUnderflow);
        Assert.True(pdu.HasStatus);
        Assert.Equal(0x04, pdu.Status);
        Assert.Equal(4096, pdu.DataSegmentLength);
        Assert.Equal(0x0002_0000_0000_0000UL, pdu.Lun);
        Assert.Equal(0x0abcu, pdu.InitiatorTaskTag);
        Assert.Equal(0xffffffffu, pdu.TargetTransferTag);
        Assert.Equal(0x100u, pdu.StatSN);
        Assert.Equal(0x101u, pdu.ExpCmdSN);
        Assert.Equal(0x180u, pdu.MaxCmdSN);
        Assert.Equal(2u, pdu.DataSN);
        Assert.Equal(8192u, pdu.BufferOffset);
        Assert.Equal(512u, pdu.ResidualCount);
    }

    /// <summary>Byte 1 is |F|A|0|0|0|O|U|S|.</summary>
    [Theory]
    [InlineData(true, false, false, false, false, 0x80)]
    [InlineData(false, true, false, false, false, 0x40)]
    [InlineData(false, false, true, false, false, 0x04)]
    [InlineData(false, false, false, true, false, 0x02)]
    [InlineData(false, false, false, false, true, 0x01)]
    [InlineData(true, true, true, false, true, 0xc5)]
    public void DataIn_Flags_AtRfcBitPositions(bool final, bool ack, bool overflow, bool underflow, bool status, byte expected)
    {
        var pdu = new DataInPdu { Final = final, Acknowledge = ack, ResidualOverflow = overflow, ResidualUnderflow = underflow, HasStatus = status };
        var bhs = Encode(b => pdu.WriteTo(b));
        Assert.Equal(expected, bhs[1]);

        var parsed = DataInPdu.Parse(bhs);
        Assert.Equal((final, ack, overflow, underflow, status),
            (parsed.Final, parsed.Acknowledge, parsed.ResidualOverflow, parsed.ResidualUnderflow, parsed.HasStatus));
    }

    [Fact]
    public void DataIn_WithoutStatus_LeavesStatusByteZero()
    {
        var bhs = Encode(b => new DataInPdu { HasStatus = false, Status = 0x02 }.WriteTo(b));
        Assert.Equal(0, bhs[3]);
    }

    // ---- Ready To Transfer (§11.8) ----

    private const string ReadyToTransfer =
        "31 80 00 00" + //  0: opcode 0x31, bit 7 = 1
        "00 00 00 00" + //  4: TotalAHSLength 0, DataSegmentLength 0
        "00 01 00 00" + //  8: LUN 1
        "00 00 00 00" + // 12:
        "00 00 00 42" + // 16: Initiator Task Tag
        "00 00 10 01" + // 20: Target Transfer Tag
        "00 00 00 50" + // 24: StatSN
        "00 00 00 60" + // 28: ExpCmdSN
        "00 00 00 70" + // 32: MaxCmdSN
        "00 00 00 01" + // 36: R2TSN
        "00 00 20 00" + // 40: Buffer Offset 8192
        "00 04 00 00";  // 44: Desired Data Transfer Length 262144

    [Fact]
    public void ReadyToTransfer_WriteTo_MatchesRfcLayout()
    {
        var pdu = new ReadyToTransferPdu
        {
            Lun = 0x0001_0000_0000_0000,
            InitiatorTaskTag = 0x42,
            TargetTransferTag = 0x1001,
            StatSN = 0x50,
            ExpCmdSN = 0x60,
            MaxCmdSN = 0x70,
            R2TSN = 1,
            BufferOffset = 8192,
            DesiredDataTransferLength = 262144,
        };
        Hex.AssertBytes(Hex.Bytes(ReadyToTransfer), Encode(b => pdu.WriteTo(b)));
    }

    [Fact]
    public void ReadyToTransfer_Parse_RoundTripsEveryField()
    {
        var pdu = ReadyToTransferPdu.Parse(Hex.Bytes(ReadyToTransfer));

        Assert.Equal(0x0001_0000_0000_0000UL, pdu.Lun);
        Assert.Equal(0x42u, pdu.InitiatorTaskTag);
        Assert.Equal(0x1001u, pdu.TargetTransferTag);
        Assert.Equal(0x50u, pdu.StatSN);
        Assert.Equal(0x60u, pdu.ExpCmdSN);
        Assert.Equal(0x70u, pdu.MaxCmdSN);
        Assert.Equal(1u, pdu.R2TSN);
        Assert.Equal(8192u, pdu.BufferOffset);
        Assert.Equal(262144u, pdu.DesiredDataTransferLength);
    }

    // ---- NOP-In (§11.19) ----

    private const string NopIn =
        "20 80 00 00" + //  0: opcode 0x20, bit 7 = 1
        "00 00 00 00" + //  4: TotalAHSLength 0, DataSegmentLength 0
        "00 01 00 00" + //  8: LUN 1
        "00 00 00 00" + // 12:
        "ff ff ff ff" + // 16: Initiator Task Tag 0xffffffff (target-initiated ping)
        "00 00 00 77" + // 20: Target Transfer Tag
        "00 00 00 12" + // 24: StatSN
        "00 00 00 13" + // 28: ExpCmdSN
        "00 00 00 33" + // 32: MaxCmdSN
        "00 00 00 00" + // 36: Reserved
        "00 00 00 00" + // 40:
        "00 00 00 00";  // 44:

    [Fact]
    public void NopIn_WriteTo_MatchesRfcLayout()
    {
        var pdu = new NopInPdu
        {
            DataSegmentLength = 0,
            Lun = 0x0001_0000_0000_0000,
            InitiatorTaskTag = Bhs.ReservedTag,
            TargetTransferTag = 0x77,
            StatSN = 0x12,
            ExpCmdSN = 0x13,
            MaxCmdSN = 0x33,
        };
        Hex.AssertBytes(Hex.Bytes(NopIn), Encode(b => pdu.WriteTo(b)));
    }

    [Fact]
    public void NopIn_Parse_RoundTripsEveryField()
    {
        var bhs = Hex.Bytes(NopIn);
        bhs[7] = 0x08; // also prove DataSegmentLength is read
        var pdu = NopInPdu.Parse(bhs);

        Assert.Equal(8, pdu.DataSegmentLength);
        Assert.Equal(0x0001_0000_0000_0000UL, pdu.Lun);
        Assert.Equal(0xffffffffu, pdu.InitiatorTaskTag);
        Assert.Equal(0x77u, pdu.TargetTransferTag);
        Assert.Equal(0x12u, pdu.StatSN);
        Assert.Equal(0x13u, pdu.ExpCmdSN);
        Assert.Equal(0x33u, pdu.MaxCmdSN);
    }

    // ---- Task Management Function Response (§11.6) ----

    private const string TaskManagementResponse =
        "22 80 01 00" + //  0: opcode 0x22, bit 7 = 1, Response 1 (task does not exist), Reserved
        "00 00 00 00" + //  4: TotalAHSLength 0, DataSegmentLength 0
        "00 00 00 00" + //  8: Reserved
        "00 00 00 00" + // 12:
        "00 00 00 99" + // 16: Initiator Task Tag
        "00 00 00 00" + // 20: Reserved
        "00 00 00 21" + // 24: StatSN
        "00 00 00 11" + // 28: ExpCmdSN
        "00 00 00 50" + // 32: MaxCmdSN
        "00 00 00 00" + // 36: Reserved
        "00 00 00 00" + // 40:
        "00 00 00 00";  // 44:

    [Fact]
    public void TaskManagementResponse_WriteTo_MatchesRfcLayout()
    {
        var pdu = new TaskManagementResponsePdu
        {
            Response = NetScsi.Iscsi.Pdus.TaskManagementResponse.TaskDoesNotExist,
            InitiatorTaskTag = 0x99,
            StatSN = 0x21,
            ExpCmdSN = 0x11,
            MaxCmdSN = 0x50,
        };
        Hex.AssertBytes(Hex.Bytes(TaskManagementResponse), Encode(b => pdu.WriteTo(b)));
    }

    [Fact]
    public void TaskManagementResponse_Parse_RoundTripsEveryField()
    {
        var pdu = TaskManagementResponsePdu.Parse(Hex.Bytes(TaskManagementResponse));

        Assert.Equal(NetScsi.Iscsi.Pdus.TaskManagementResponse.TaskDoesNotExist, pdu.Response);
        Assert.Equal(0x99u, pdu.InitiatorTaskTag);
        Assert.Equal(0x21u, pdu.StatSN);
        Assert.Equal(0x11u, pdu.ExpCmdSN);
        Assert.Equal(0x50u, pdu.MaxCmdSN);
    }

    // ---- Login Response (§11.13) ----

    private const string LoginResponse =
        "23 87 00 00" + //  0: opcode 0x23, T=1 C=0 CSG=1 NSG=3, Version-max 0, Version-active 0
        "00 00 00 40" + //  4: TotalAHSLength 0, DataSegmentLength 64
        "00 02 3d 00" + //  8: ISID 00 02 3d 00 00 01 (echoed) ...
        "00 01 00 07" + // 12:    ... ISID | TSIH 7 (assigned by the target)
        "00 00 00 01" + // 16: Initiator Task Tag
        "00 00 00 00" + // 20: Reserved
        "00 00 20 00" + // 24: StatSN
        "00 00 00 02" + // 28: ExpCmdSN
        "00 00 00 21" + // 32: MaxCmdSN
        "00 00 00 00" + // 36: Status-Class 0, Status-Detail 0 (success), Reserved
        "00 00 00 00" + // 40: Reserved
        "00 00 00 00";  // 44:

    [Fact]
    public void LoginResponse_WriteTo_MatchesRfcLayout()
    {
        var pdu = new LoginResponsePdu
        {
            Transit = true,
            Continue = false,
            CurrentStage = 1,
            NextStage = 3,
            VersionMax = 0,
            VersionActive = 0,
            DataSegmentLength = 64,
            Isid = 0x00023d000001,
            Tsih = 7,
            InitiatorTaskTag = 1,
            StatSN = 0x2000,
            ExpCmdSN = 2,
            MaxCmdSN = 0x21,
            StatusClass = 0,
            StatusDetail = 0,
        };
        Hex.AssertBytes(Hex.Bytes(LoginResponse), Encode(b => pdu.WriteTo(b)));
    }

    [Fact]
    public void LoginResponse_Parse_RoundTripsEveryField()
    {
        var pdu = LoginResponsePdu.Parse(Hex.Bytes(LoginResponse));

        Assert.True(pdu.Transit);
        Assert.False(pdu.Continue);
        Assert.Equal(1, pdu.CurrentStage);
        Assert.Equal(3, pdu.NextStage);
        Assert.Equal(0, pdu.VersionMax);
        Assert.Equal(0, pdu.VersionActive);
        Assert.Equal(64, pdu.DataSegmentLength);
        Assert.Equal(0x00023d000001UL, pdu.Isid);
        Assert.Equal(7, pdu.Tsih);
        Assert.Equal(1u, pdu.InitiatorTaskTag);
        Assert.Equal(0x2000u, pdu.StatSN);
        Assert.Equal(2u, pdu.ExpCmdSN);
        Assert.Equal(0x21u, pdu.MaxCmdSN);
        Assert.Equal(0, pdu.StatusClass);
        Assert.Equal(0, pdu.StatusDetail);
    }

    [Fact]
    public void LoginResponse_FailureStatus_AtBytes36And37()
    {
        // Initiator error (0x02) / authentication failure (0x01), no stage transition, C=1 for flag coverage.
        var pdu = new LoginResponsePdu { Continue = true, VersionMax = 0x01, VersionActive = 0x02, StatusClass = 0x02, StatusDetail = 0x01 };
        var bhs = Encode(b => pdu.WriteTo(b));

        Assert.Equal(Hex.Bytes("23 40 01 02"), bhs[..4]);
        Assert.Equal(Hex.Bytes("02 01 00 00"), bhs[36..40]);
        var parsed = LoginResponsePdu.Parse(bhs);
        Assert.True(parsed.Continue);
        Assert.False(parsed.Transit);
        Assert.Equal((0x01, 0x02, 0x02, 0x01), (parsed.VersionMax, parsed.VersionActive, parsed.StatusClass, parsed.StatusDetail));
    }

    // ---- Text Response (§11.11) ----

    private const string TextResponse =
        "24 40 00 00" + //  0: opcode 0x24, F=0 C=1 (more text follows)
        "00 00 10 00" + //  4: TotalAHSLength 0, DataSegmentLength 4096
        "00 05 00 00" + //  8: LUN 5
        "00 00 00 00" + // 12:
        "00 00 00 03" + // 16: Initiator Task Tag
        "00 00 00 10" + // 20: Target Transfer Tag (continuation handle)
        "00 00 00 02" + // 24: StatSN
        "00 00 00 03" + // 28: ExpCmdSN
        "00 00 00 22" + // 32: MaxCmdSN
        "00 00 00 00" + // 36: Reserved
        "00 00 00 00" + // 40:
        "00 00 00 00";  // 44:

    [Fact]
    public void TextResponse_WriteTo_MatchesRfcLayout()
    {
        var pdu = new TextResponsePdu
        {
            Final = false,
            Continue = true,
            DataSegmentLength = 4096,
            Lun = 0x0005_0000_0000_0000,
            InitiatorTaskTag = 3,
            TargetTransferTag = 0x10,
            StatSN = 2,
            ExpCmdSN = 3,
            MaxCmdSN = 0x22,
        };
        Hex.AssertBytes(Hex.Bytes(TextResponse), Encode(b => pdu.WriteTo(b)));
    }

    [Fact]
    public void TextResponse_Parse_RoundTripsEveryField()
    {
        var pdu = TextResponsePdu.Parse(Hex.Bytes(TextResponse));

        Assert.False(pdu.Final);
        Assert.True(pdu.Continue);
        Assert.Equal(4096, pdu.DataSegmentLength);
        Assert.Equal(0x0005_0000_0000_0000UL, pdu.Lun);
        Assert.Equal(3u, pdu.InitiatorTaskTag);
        Assert.Equal(0x10u, pdu.TargetTransferTag);
        Assert.Equal(2u, pdu.StatSN);
        Assert.Equal(3u, pdu.ExpCmdSN);
        Assert.Equal(0x22u, pdu.MaxCmdSN);
    }

    [Fact]
    public void TextResponse_Final_SetsFBitOnly()
    {
        var bhs = Encode(b => new TextResponsePdu { Final = true, Continue = false }.WriteTo(b));
        Assert.Equal(0x80, bhs[1]);
    }

    // ---- Logout Response (§11.15) ----

    private const string LogoutResponse =
        "26 80 01 00" + //  0: opcode 0x26, bit 7 = 1, Response 1 (CID not found), Reserved
        "00 00 00 00" + //  4: TotalAHSLength 0, DataSegmentLength 0
        "00 00 00 00" + //  8: Reserved
        "00 00 00 00" + // 12:
        "00 00 00 0b" + // 16: Initiator Task Tag
        "00 00 00 00" + // 20: Reserved
        "00 00 00 06" + // 24: StatSN
        "00 00 00 07" + // 28: ExpCmdSN
        "00 00 00 25" + // 32: MaxCmdSN
        "00 00 00 00" + // 36: Reserved
        "00 02 00 14" + // 40: Time2Wait 2 | Time2Retain 20
        "00 00 00 00";  // 44: Reserved

    [Fact]
    public void LogoutResponse_WriteTo_MatchesRfcLayout()
    {
        var pdu = new LogoutResponsePdu
        {
            Response = NetScsi.Iscsi.Pdus.LogoutResponse.CidNotFound,
            InitiatorTaskTag = 0x0b,
            StatSN = 6,
            ExpCmdSN = 7,
            MaxCmdSN = 0x25,
            Time2Wait = 2,
            Time2Retain = 20,
        };
        Hex.AssertBytes(Hex.Bytes(LogoutResponse), Encode(b => pdu.WriteTo(b)));
    }

    [Fact]
    public void LogoutResponse_Parse_RoundTripsEveryField()
    {
        var pdu = LogoutResponsePdu.Parse(Hex.Bytes(LogoutResponse));

        Assert.Equal(NetScsi.Iscsi.Pdus.LogoutResponse.CidNotFound, pdu.Response);
        Assert.Equal(0x0bu, pdu.InitiatorTaskTag);
        Assert.Equal(6u, pdu.StatSN);
        Assert.Equal(7u, pdu.ExpCmdSN);
        Assert.Equal(0x25u, pdu.MaxCmdSN);
        Assert.Equal(2, pdu.Time2Wait);
        Assert.Equal(20, pdu.Time2Retain);
    }

    // ---- Reject (§11.17) ----

    private const string Reject =
        "3f 80 03 00" + //  0: opcode 0x3f, bit 7 = 1, Reason 0x03 (SNACK reject), Reserved
        "00 00 00 30" + //  4: TotalAHSLength 0, DataSegmentLength 48 (the rejected header)
        "00 00 00 00" + //  8: Reserved
        "00 00 00 00" + // 12:
        "ff ff ff ff" + // 16: 0xffffffff
        "00 00 00 00" + // 20: Reserved
        "00 00 00 07" + // 24: StatSN
        "00 00 00 08" + // 28: ExpCmdSN
        "00 00 00 28" + // 32: MaxCmdSN
        "00 00 00 02" + // 36: DataSN/R2TSN
        "00 00 00 00" + // 40: Reserved
        "00 00 00 00";  // 44:

    [Fact]
    public void Reject_WriteTo_MatchesRfcLayout()
    {
        var pdu = new RejectPdu
        {
            Reason = RejectReason.SnackReject,
            DataSegmentLength = 48,
            StatSN = 7,
            ExpCmdSN = 8,
            MaxCmdSN = 0x28,
            DataSN = 2,
        };
        Hex.AssertBytes(Hex.Bytes(Reject), Encode(b => pdu.WriteTo(b)));
    }

    [Fact]
    public void Reject_Parse_RoundTripsEveryField()
    {
        var pdu = RejectPdu.Parse(Hex.Bytes(Reject));

        Assert.Equal(RejectReason.SnackReject, pdu.Reason);
        Assert.Equal(48, pdu.DataSegmentLength);
        Assert.Equal(7u, pdu.StatSN);
        Assert.Equal(8u, pdu.ExpCmdSN);
        Assert.Equal(0x28u, pdu.MaxCmdSN);
        Assert.Equal(2u, pdu.DataSN);
    }

    // ---- Asynchronous Message (§11.9) ----

    private const string AsyncDroppingConnection =
        "32 80 00 00" + //  0: opcode 0x32, bit 7 = 1
        "00 00 00 00" + //  4: TotalAHSLength 0, DataSegmentLength 0
        "00 06 00 00" + //  8: LUN 6
        "00 00 00 00" + // 12:
        "ff ff ff ff" + // 16: 0xffffffff
        "00 00 00 00" + // 20: Reserved
        "00 00 00 30" + // 24: StatSN
        "00 00 00 31" + // 28: ExpCmdSN
        "00 00 00 50" + // 32: MaxCmdSN
        "02 09 00 01" + // 36: AsyncEvent 2 (dropping connection), AsyncVCode 9, Parameter1 = CID 1
        "00 02 00 14" + // 40: Parameter2 = Time2Wait 2 | Parameter3 = Time2Retain 20
        "00 00 00 00";  // 44: Reserved

    [Fact]
    public void AsyncMessage_WriteTo_MatchesRfcLayout()
    {
        var pdu = new AsyncMessagePdu
        {
            DataSegmentLength = 0,
            Lun = 0x0006_0000_0000_0000,
            StatSN = 0x30,
            ExpCmdSN = 0x31,
            MaxCmdSN = 0x50,
            Event = AsyncEvent.DroppingConnection,
            VendorCode = 9,
            Parameter1 = 1,
            Parameter2 = 2,
            Parameter3 = 20,
        };
        Hex.AssertBytes(Hex.Bytes(AsyncDroppingConnection), Encode(b => pdu.WriteTo(b)));
    }

    [Fact]
    public void AsyncMessage_Parse_RoundTripsEveryField()
    {
        var bhs = Hex.Bytes(AsyncDroppingConnection);
        bhs[7] = 0x12; // also prove DataSegmentLength is read (sense data for a SCSI async event)
        var pdu = AsyncMessagePdu.Parse(bhs);

        Assert.Equal(0x12, pdu.DataSegmentLength);
        Assert.Equal(0x0006_0000_0000_0000UL, pdu.Lun);
        Assert.Equal(0x30u, pdu.StatSN);
        Assert.Equal(0x31u, pdu.ExpCmdSN);
        Assert.Equal(0x50u, pdu.MaxCmdSN);
        Assert.Equal(AsyncEvent.DroppingConnection, pdu.Event);
        Assert.Equal(9, pdu.VendorCode);
        Assert.Equal(1, pdu.Parameter1);
        Assert.Equal(2, pdu.Parameter2);
        Assert.Equal(20, pdu.Parameter3);
    }
}
