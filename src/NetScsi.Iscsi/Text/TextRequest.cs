namespace NetScsi.Iscsi.Text;

/// <summary>The fields of a decoded Text Request PDU (RFC 7143 §11.10) the negotiator needs.</summary>
public readonly record struct TextRequest
{
    /// <summary>F bit.</summary>
    public bool Final { get; init; }

    /// <summary>C bit: the text continues in the next request.</summary>
    public bool Continue { get; init; }

    public uint Itt { get; init; }

    /// <summary>0xFFFFFFFF for a new exchange; the target's tag to continue one.</summary>
    public uint TargetTransferTag { get; init; }

    public ReadOnlyMemory<byte> Data { get; init; }
}
