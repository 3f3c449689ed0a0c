namespace NetScsi.Transport.Aoe.Ata;

/// <summary>
/// What an ATA command came to: either an AoE-level refusal (<see cref="AoeError"/> not <see cref="Aoe.AoeError.None"/>:
/// the response carries the E flag and no ATA registers or data), no response at all (<see cref="Silent"/>: the logical
/// unit was busy or the command was aborted, and the initiator retransmits), or the ATA registers to answer with and how
/// many octets of data were placed in the response buffer.
/// </summary>
public readonly record struct AtaCompletion(AoeError AoeError, AoeAtaHeader Registers, int DataLength, bool Silent = false)
{
    public static AtaCompletion Refused(AoeError error) => new(error, default, 0);

    /// <summary>Send nothing: the initiator's retransmission timer asks again (a busy unit, an aborted command).</summary>
    public static AtaCompletion NoResponse { get; } = new(AoeError.None, default, 0, Silent: true);

    public AtaStatus Status => (AtaStatus)Registers.CommandStatus;

    public AtaError Error => (AtaError)Registers.ErrorFeature;
}
