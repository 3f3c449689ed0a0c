namespace NetScsi.Transport.Aoe.Ata;

/// <summary>The SET FEATURES subcommands (Feature register, ACS-3 §7.45) this device accepts; others are aborted.</summary>
public static class SetFeaturesSubcommand
{
    /// <summary>Enable volatile write cache.</summary>
    public const byte EnableWriteCache = 0x02;

    /// <summary>Set transfer mode (Count: the mode).</summary>
    public const byte SetTransferMode = 0x03;

    /// <summary>Disable read look-ahead.</summary>
    public const byte DisableReadLookAhead = 0x55;

    /// <summary>Disable reverting to power-on defaults.</summary>
    public const byte DisableRevertToDefaults = 0x66;

    /// <summary>Disable volatile write cache: writes then reach stable storage before they complete.</summary>
    public const byte DisableWriteCache = 0x82;

    /// <summary>Enable read look-ahead.</summary>
    public const byte EnableReadLookAhead = 0xAA;

    /// <summary>Enable reverting to power-on defaults.</summary>
    public const byte EnableRevertToDefaults = 0xCC;
}
