using NetScsi.Scsi;

namespace NetScsi.Transport;

/// <summary>A read's data for Put_Data: bytes in a buffer, or bytes still where the logical unit's storage holds them.</summary>
public readonly struct DataInSource
{
    private DataInSource(ReadOnlyMemory<byte> memory, StoredData? stored, int length)
    {
        Memory = memory;
        Stored = stored;
        Length = length;
    }

    /// <summary>The data, when it is in a buffer.</summary>
    public ReadOnlyMemory<byte> Memory { get; }

    /// <summary>The data, when it is still in storage (<see cref="ScsiTask.StoredDataIn"/>).</summary>
    public StoredData? Stored { get; }

    /// <summary>Bytes to send.</summary>
    public int Length { get; }

    public static DataInSource FromMemory(ReadOnlyMemory<byte> data) => new(data, null, data.Length);

    /// <summary>The first <paramref name="length"/> bytes of stored data.</summary>
    public static DataInSource FromStorage(StoredData data, int length) => new(default, data, Math.Min(length, data.Length));
}

/// <summary>
/// The fields of a target's PDUs that the protocol engine owns (RFC 7143 §11.7.4, §11.8): the StatSN to carry and
/// the command window. Data-In carries <see cref="StatSN"/> only with status; an R2T carries the current one.
/// </summary>
public readonly record struct TargetSequenceNumbers(uint StatSN, uint ExpCmdSN, uint MaxCmdSN);

/// <summary>A command's status folded into its last Data-In (RFC 7143 §11.7.4: the S bit), with its residual (§11.4.5).</summary>
public readonly record struct DataInStatus(byte Status, bool ResidualOverflow, bool ResidualUnderflow, uint ResidualCount);

/// <summary>How a write's data phase stands once a target has taken its command (immediate data placed).</summary>
public enum DataOutStart
{
    /// <summary>Every byte is in: the command can run.</summary>
    Complete,

    /// <summary>The rest comes unsolicited (InitialR2T=No, within FirstBurstLength): nothing to ask for.</summary>
    AwaitingUnsolicited,

    /// <summary>Some of the data must be solicited: call <see cref="ITargetDataMover.GetData"/>.</summary>
    NeedsGetData,
}
