using System.Globalization;
using NetScsi.Scsi;

namespace NetScsi.Iscsi.Initiator;

/// <summary>
/// The outcome of one SCSI command (RFC 7143 §11.4): iSCSI response code, SCSI status, sense data,
/// residual and how many bytes of data-in arrived.
/// </summary>
public readonly struct ScsiResult
{
    /// <summary>Creates a result.</summary>
    /// <param name="response">iSCSI Response: 0 = command completed at target, 1 = target failure.</param>
    /// <param name="status">SCSI status (meaningful when <paramref name="response"/> is 0).</param>
    /// <param name="sense">Sense data (without the 2-byte SenseLength), empty when none.</param>
    /// <param name="dataInLength">Bytes of Data-In placed in the caller's buffer.</param>
    /// <param name="residualOverflow">O bit: the command wanted to move more than the expected length.</param>
    /// <param name="residualUnderflow">U bit: the command moved less than the expected length.</param>
    /// <param name="residualCount">The residual count.</param>
    public ScsiResult(byte response, ScsiStatus status, ReadOnlyMemory<byte> sense, int dataInLength, bool residualOverflow, bool residualUnderflow, uint residualCount)
    {
        Response = response;
        Status = status;
        Sense = sense;
        DataInLength = dataInLength;
        ResidualOverflow = residualOverflow;
        ResidualUnderflow = residualUnderflow;
        ResidualCount = residualCount;
    }

    /// <summary>iSCSI Response field: 0 = command completed at target, 1 = target failure (RFC 7143 §11.4.3).</summary>
    public byte Response { get; }

    /// <summary>SCSI status.</summary>
    public ScsiStatus Status { get; }

    /// <summary>Sense data; empty unless the target sent some (typically with CHECK CONDITION).</summary>
    public ReadOnlyMemory<byte> Sense { get; }

    /// <summary>Bytes of Data-In the target delivered into the caller's buffer.</summary>
    public int DataInLength { get; }

    /// <summary>Residual overflow (O bit): the command would have moved more than the expected data transfer length.</summary>
    public bool ResidualOverflow { get; }

    /// <summary>Residual underflow (U bit): the command moved less than the expected data transfer length.</summary>
    public bool ResidualUnderflow { get; }

    /// <summary>Bytes not transferred (underflow) or not transferable (overflow).</summary>
    public uint ResidualCount { get; }

    /// <summary>True when the command completed at the target with GOOD or CONDITION MET status.</summary>
    public bool IsGood => Response == 0 && Status is ScsiStatus.Good or ScsiStatus.ConditionMet;

    /// <summary>The sense key, or <see cref="SenseKey.NoSense"/> when there is no sense data.</summary>
    public SenseKey SenseKey => TryDecodeSense(out SenseKey key, out _, out _) ? key : SenseKey.NoSense;

    /// <summary>Additional sense code and qualifier (ASC in the high byte), 0 when there is no sense data.</summary>
    public ushort AdditionalSenseCode => TryDecodeSense(out _, out byte asc, out byte ascq) ? (ushort)((asc << 8) | ascq) : (ushort)0;

    /// <summary>Decodes sense key, ASC and ASCQ from fixed (70h/71h) or descriptor (72h/73h) sense data.</summary>
    /// <param name="key">The sense key.</param>
    /// <param name="asc">Additional sense code.</param>
    /// <param name="ascq">Additional sense code qualifier.</param>
    public bool TryDecodeSense(out SenseKey key, out byte asc, out byte ascq)
    {
        ReadOnlySpan<byte> sense = Sense.Span;
        key = SenseKey.NoSense;
        asc = 0;
        ascq = 0;
        if (sense.Length < 1)
        {
            return false;
        }

        switch (sense[0] & 0x7F)
        {
            case 0x70 or 0x71 when sense.Length >= 14:
                key = (SenseKey)(sense[2] & 0x0F);
                asc = sense[12];
                ascq = sense[13];
                return true;
            case 0x72 or 0x73 when sense.Length >= 4:
                key = (SenseKey)(sense[1] & 0x0F);
                asc = sense[2];
                ascq = sense[3];
                return true;
            default:
                return false;
        }
    }

    /// <summary>A one-line description for messages and logs.</summary>
    public string Describe()
    {
        if (Response != 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"iSCSI response 0x{Response:x2} (target failure)");
        }

        if (TryDecodeSense(out SenseKey key, out byte asc, out byte ascq))
        {
            return string.Create(CultureInfo.InvariantCulture, $"SCSI status {Status}, sense {key} ASC/ASCQ {asc:x2}/{ascq:x2}");
        }

        return string.Create(CultureInfo.InvariantCulture, $"SCSI status {Status}");
    }

    /// <inheritdoc/>
    public override string ToString() => Describe();
}
