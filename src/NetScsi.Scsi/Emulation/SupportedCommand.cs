namespace NetScsi.Scsi.Emulation;

/// <summary>
/// One command of a device type's <see cref="CommandTable"/>: its operation code, service action and CDB USAGE DATA
/// (SPC-4 §6.35.3: the opcode, then a bit set for every CDB bit that is not reserved; the control byte reports NACA
/// only). A command with <see cref="IsAvailable"/> false (UNMAP on a fully provisioned unit) is neither reported nor
/// accepted.
/// </summary>
internal sealed class SupportedCommand(byte opcode, byte? serviceAction, byte[] usage, Func<ScsiLogicalUnit, bool>? available = null)
{
    public byte Opcode { get; } = opcode;

    /// <summary>The service action, or null for a command without service actions.</summary>
    public byte? ServiceAction { get; } = serviceAction;

    /// <summary>CDB USAGE DATA; its length is the CDB length.</summary>
    public byte[] Usage { get; } = usage;

    /// <summary>Whether <paramref name="unit"/> implements the command (some depend on the unit's configuration).</summary>
    public bool IsAvailable(ScsiLogicalUnit unit) => available is null || available(unit);
}
