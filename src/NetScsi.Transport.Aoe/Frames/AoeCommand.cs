namespace NetScsi.Transport.Aoe;

/// <summary>The AoE header's Command field (AoE r11 §2).</summary>
public enum AoeCommand : byte
{
    /// <summary>Issue ATA Command (§3).</summary>
    Ata = 0,

    /// <summary>Query Config Information (§4).</summary>
    QueryConfig = 1,

    /// <summary>Mac Mask List (§5).</summary>
    MacMaskList = 2,

    /// <summary>Reserve/Release (§6).</summary>
    ReserveRelease = 3,
}
