namespace NetScsi.Transport.Aoe;

/// <summary>How an <see cref="AoeTarget"/> runs.</summary>
public sealed record AoeTargetOptions
{
    /// <summary>Requests one slot accepts at once (Buffer Count in the config reply); the target holds that many buffers per slot.</summary>
    public int BufferCount { get; init; } = 64;

    /// <summary>Firmware Version in the config reply (and the driver's sysfs <c>firmware-version</c>).</summary>
    public ushort FirmwareVersion { get; init; } = 0x0001;

    /// <summary>Frames one receive or send call moves at most.</summary>
    public int BatchFrames { get; init; } = 32;

    /// <summary>The most MACs a slot's MAC Mask List holds (also bounded by what one frame carries).</summary>
    public int MacMaskCapacity { get; init; } = 64;

    /// <summary>Distinct initiator MACs the target keeps a SCSI nexus for; ATA requests from further ones are dropped.</summary>
    public int MaxInitiators { get; init; } = 1024;

    /// <summary>The relative target port identifier AoE nexuses carry to the SCSI layer.</summary>
    public ushort RelativeTargetPortId { get; init; } = 1;

    /// <summary>IDENTIFY DEVICE model number.</summary>
    public string ModelNumber { get; init; } = "NETSCSI VIRTUAL-DISK";

    /// <summary>IDENTIFY DEVICE firmware revision.</summary>
    public string FirmwareRevision { get; init; } = "0001";

    /// <summary>How long <see cref="AoeTarget.DisposeAsync"/> waits for requests in flight.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
