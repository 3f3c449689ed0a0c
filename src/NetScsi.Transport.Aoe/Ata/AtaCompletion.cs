namespace NetScsi.Transport.Aoe.Ata;

/// <summary>
/// What an ATA command came to: either an AoE-level refusal (<see cref="AoeError"/> not <see cref="Aoe.AoeError.None"/>:
/// the response carries the E flag and no ATA registers or data) or the ATA registers to answer with and how many
/// octets of data were placed in the response buffer.
/// </summary>
public readonly record struct AtaCompletion(AoeError AoeError, AoeAtaHeader Registers, int DataLength)
{
    public static AtaCompletion Refused(AoeError error) => new(error, default, 0);

    public AtaStatus Status => (AtaStatus)Registers.CommandStatus;

    public AtaError Error => (AtaError)Registers.ErrorFeature;
}
