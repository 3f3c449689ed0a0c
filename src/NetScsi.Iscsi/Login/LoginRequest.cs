namespace NetScsi.Iscsi.Login;

/// <summary>The fields of a decoded Login Request PDU the login state machine needs (RFC 7143 §11.12).</summary>
public readonly record struct LoginRequest
{
    /// <summary>CSG.</summary>
    public byte CurrentStage { get; init; }

    /// <summary>NSG; meaningful only with <see cref="Transit"/>.</summary>
    public byte NextStage { get; init; }

    /// <summary>T bit.</summary>
    public bool Transit { get; init; }

    /// <summary>C bit: the text continues in the next request.</summary>
    public bool Continue { get; init; }

    public byte VersionMax { get; init; }

    public byte VersionMin { get; init; }

    /// <summary>48-bit ISID in the low bits.</summary>
    public ulong Isid { get; init; }

    public ushort Tsih { get; init; }

    public uint Itt { get; init; }

    public ushort Cid { get; init; }

    public uint CmdSN { get; init; }

    public uint ExpStatSN { get; init; }

    /// <summary>The data segment: key=value text.</summary>
    public ReadOnlyMemory<byte> Data { get; init; }
}
