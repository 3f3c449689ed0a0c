namespace NetScsi.Scsi;

/// <summary>
/// Additional sense code / qualifier pairs (SPC-4 §4.5.6, table D.2), packed as
/// <c>(ASC &lt;&lt; 8) | ASCQ</c> so a pair is one constant usable in switch statements.
/// </summary>
public static class Asc
{
    public const ushort NoAdditionalSenseInformation = 0x0000;
    public const ushort LogicalUnitNotReadyCauseNotReportable = 0x0400;
    public const ushort LogicalUnitNotReadyInitializingCommandRequired = 0x0402;
    public const ushort LogicalUnitNotReadyManualInterventionRequired = 0x0403;
    public const ushort LogicalUnitNotAccessibleAsymmetricAccessStateTransition = 0x040A;
    public const ushort LogicalUnitNotAccessibleTargetPortInStandbyState = 0x040B;
    public const ushort LogicalUnitNotAccessibleTargetPortInUnavailableState = 0x040C;
    public const ushort LogicalUnitNotReadySanitizeInProgress = 0x041B;
    public const ushort UnreachableCopyTarget = 0x0804;
    public const ushort WriteError = 0x0C00;
    public const ushort CopyTargetDeviceNotReachable = 0x0D02;
    public const ushort InformationUnitTooShort = 0x0E01;
    public const ushort InformationUnitTooLong = 0x0E02;
    public const ushort InvalidFieldInCommandInformationUnit = 0x0E03;
    public const ushort UnrecoveredReadError = 0x1100;
    public const ushort ParameterListLengthError = 0x1A00;
    public const ushort MiscompareDuringVerifyOperation = 0x1D00;
    public const ushort InvalidCommandOperationCode = 0x2000;
    public const ushort LbaOutOfRange = 0x2100;
    public const ushort InvalidFieldInCdb = 0x2400;
    public const ushort LogicalUnitNotSupported = 0x2500;
    public const ushort InvalidFieldInParameterList = 0x2600;
    public const ushort InvalidReleaseOfPersistentReservation = 0x2604;
    public const ushort TooManyTargetDescriptors = 0x2606;
    public const ushort UnsupportedTargetDescriptorTypeCode = 0x2607;
    public const ushort TooManySegmentDescriptors = 0x2608;
    public const ushort UnsupportedSegmentDescriptorTypeCode = 0x2609;
    public const ushort WriteProtected = 0x2700;
    public const ushort SpaceAllocationFailedWriteProtect = 0x2707;
    public const ushort NotReadyToReadyChangeMediumMayHaveChanged = 0x2800;
    public const ushort PowerOnResetOrBusDeviceResetOccurred = 0x2900;
    public const ushort PowerOnOccurred = 0x2901;
    public const ushort ScsiBusResetOccurred = 0x2902;
    public const ushort BusDeviceResetFunctionOccurred = 0x2903;
    public const ushort DeviceInternalReset = 0x2904;
    public const ushort ItNexusLossOccurred = 0x2907;
    public const ushort ModeParametersChanged = 0x2A01;
    public const ushort ReservationsPreempted = 0x2A03;
    public const ushort ReservationsReleased = 0x2A04;
    public const ushort RegistrationsPreempted = 0x2A05;
    public const ushort AsymmetricAccessStateChanged = 0x2A06;
    public const ushort CapacityDataHasChanged = 0x2A09;
    public const ushort CommandsClearedByAnotherInitiator = 0x2F00;
    public const ushort ThinProvisioningSoftThresholdReached = 0x3807;
    public const ushort SavingParametersNotSupported = 0x3900;
    public const ushort SanitizeCommandFailed = 0x3103;
    public const ushort MediumNotPresent = 0x3A00;
    public const ushort ReportedLunsDataHasChanged = 0x3F0E;
    public const ushort InternalTargetFailure = 0x4400;
    public const ushort InformationUnitIuCrcErrorDetected = 0x4703;
    public const ushort InitiatorDetectedErrorMessageReceived = 0x4800;
    public const ushort InvalidMessageError = 0x4900;
    public const ushort CommandPhaseError = 0x4A00;
    public const ushort DataPhaseError = 0x4B00;
    public const ushort InvalidTargetPortTransferTagReceived = 0x4B01;
    public const ushort TooMuchWriteData = 0x4B02;
    public const ushort AckNakTimeout = 0x4B03;
    public const ushort NakReceived = 0x4B04;
    public const ushort DataOffsetError = 0x4B05;
    public const ushort InitiatorResponseTimeout = 0x4B06;
    public const ushort OverlappedCommandsAttempted = 0x4E00;
    public const ushort MediumRemovalPrevented = 0x5302;

    /// <summary>The ASC byte of a packed pair.</summary>
    public static byte Code(ushort ascAndAscq) => (byte)(ascAndAscq >> 8);

    /// <summary>The ASCQ byte of a packed pair.</summary>
    public static byte Qualifier(ushort ascAndAscq) => (byte)ascAndAscq;
}
