namespace NetScsi.Scsi.Emulation;

/// <summary>
/// What a device type puts in the standard INQUIRY data (SPC-4 §6.6.2) besides what every unit reports: the
/// peripheral device type and the bits that follow from the device type's abilities.
/// </summary>
/// <param name="PeripheralDeviceType">PERIPHERAL DEVICE TYPE (<see cref="Scsi.PeripheralDeviceType"/>).</param>
/// <param name="Removable">RMB: the medium is removable.</param>
/// <param name="ThirdPartyCopy">3PC: the unit is a copy manager (EXTENDED COPY).</param>
/// <param name="TargetPortGroupSupport">TPGS (00b: no asymmetric logical unit access).</param>
/// <param name="DeviceTypeStandard">The version descriptor of the device type's command set, 0 for none.</param>
internal readonly record struct InquiryProfile(
    byte PeripheralDeviceType,
    bool Removable = false,
    bool ThirdPartyCopy = false,
    byte TargetPortGroupSupport = 0,
    ushort DeviceTypeStandard = 0);
