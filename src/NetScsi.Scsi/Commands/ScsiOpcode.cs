namespace NetScsi.Scsi.Commands;

/// <summary>
/// Operation codes (SPC-4 §D.3.1, SBC-4 §5, SCSI-2 §18.2 for the communications device) of the commands the
/// emulation knows. An operation code means different commands for different device types (0Ah is WRITE(6) to a
/// block device and SEND MESSAGE(6) to a communications device).
/// </summary>
public static class ScsiOpcode
{
    public const byte TestUnitReady = 0x00;
    public const byte RequestSense = 0x03;
    public const byte Read6 = 0x08;
    public const byte Write6 = 0x0A;
    public const byte Inquiry = 0x12;
    public const byte ModeSelect6 = 0x15;
    public const byte Reserve6 = 0x16;
    public const byte Release6 = 0x17;
    public const byte ModeSense6 = 0x1A;
    public const byte StartStopUnit = 0x1B;
    public const byte ReceiveDiagnosticResults = 0x1C;
    public const byte SendDiagnostic = 0x1D;
    public const byte PreventAllowMediumRemoval = 0x1E;
    public const byte ReadCapacity10 = 0x25;
    public const byte ReadDefectData10 = 0x37;
    public const byte Read10 = 0x28;
    public const byte Write10 = 0x2A;
    public const byte WriteAndVerify10 = 0x2E;
    public const byte Verify10 = 0x2F;
    public const byte PreFetch10 = 0x34;
    public const byte SynchronizeCache10 = 0x35;
    public const byte ReadBuffer10 = 0x3C;
    public const byte WriteSame10 = 0x41;
    public const byte Unmap = 0x42;
    public const byte Sanitize = 0x48;
    public const byte ModeSelect10 = 0x55;
    public const byte Reserve10 = 0x56;
    public const byte Release10 = 0x57;
    public const byte ModeSense10 = 0x5A;
    public const byte PersistentReserveIn = 0x5E;
    public const byte PersistentReserveOut = 0x5F;
    public const byte ExtendedCopy = 0x83;
    public const byte ReceiveCopyResults = 0x84;
    public const byte ReadAttribute = 0x8C;
    public const byte Read16 = 0x88;
    public const byte CompareAndWrite = 0x89;
    public const byte Write16 = 0x8A;
    public const byte OrWrite16 = 0x8B;
    public const byte WriteAndVerify16 = 0x8E;
    public const byte Verify16 = 0x8F;
    public const byte PreFetch16 = 0x90;
    public const byte SynchronizeCache16 = 0x91;
    public const byte WriteSame16 = 0x93;
    public const byte WriteAtomic16 = 0x9C;
    public const byte ServiceActionIn16 = 0x9E;
    public const byte ReportLuns = 0xA0;
    public const byte MaintenanceIn = 0xA3;
    public const byte MaintenanceOut = 0xA4;
    public const byte Read12 = 0xA8;
    public const byte Write12 = 0xAA;
    public const byte WriteAndVerify12 = 0xAE;
    public const byte Verify12 = 0xAF;
    public const byte ReadDefectData12 = 0xB7;

    /// <summary>SCSI-2 §18.2 (communications devices): GET MESSAGE and SEND MESSAGE in their 6/10/12-byte forms.</summary>
    public const byte GetMessage6 = 0x08;
    public const byte SendMessage6 = 0x0A;
    public const byte GetMessage10 = 0x28;
    public const byte SendMessage10 = 0x2A;
    public const byte GetMessage12 = 0xA8;
    public const byte SendMessage12 = 0xAA;

    /// <summary>Vendor-specific (SPC-4 §4.2.5.1: C0h-FFh): READ MESSAGE DATA, a communications unit's pull of registered message data (docs/messaging.md).</summary>
    public const byte ReadMessageData = 0xC1;

    /// <summary>SERVICE ACTION IN(16) service actions (SBC-4 §5.16, §5.21).</summary>
    public const byte ReadCapacity16ServiceAction = 0x10;
    public const byte GetLbaStatusServiceAction = 0x12;

    /// <summary>MAINTENANCE IN service action REPORT SUPPORTED OPERATION CODES (SPC-4 §6.35).</summary>
    public const byte ReportSupportedOperationCodesServiceAction = 0x0C;

    /// <summary>MAINTENANCE IN service action REPORT TARGET PORT GROUPS (SPC-4 §6.27).</summary>
    public const byte ReportTargetPortGroupsServiceAction = 0x0A;

    /// <summary>MAINTENANCE OUT service action SET TARGET PORT GROUPS (SPC-4 §6.39).</summary>
    public const byte SetTargetPortGroupsServiceAction = 0x0A;

    /// <summary>EXTENDED COPY (LID1) service action (SPC-4 §6.4).</summary>
    public const byte ExtendedCopyLid1ServiceAction = 0x00;

    /// <summary>RECEIVE COPY RESULTS service actions (SPC-4 §6.18): COPY STATUS, OPERATING PARAMETERS.</summary>
    public const byte CopyStatusServiceAction = 0x00;
    public const byte OperatingParametersServiceAction = 0x03;

    /// <summary>SANITIZE service actions (SBC-4 §5.30).</summary>
    public const byte SanitizeOverwrite = 0x01;
    public const byte SanitizeBlockErase = 0x02;
    public const byte SanitizeCryptoErase = 0x03;
    public const byte SanitizeExitFailureMode = 0x1F;
}
