namespace NetScsi.Transport.Aoe.Ata;

/// <summary>The ATA command codes this device carries out (ACS-3 §7); anything else is aborted.</summary>
public static class AtaOpcode
{
    /// <summary>READ SECTORS (28-bit PIO).</summary>
    public const byte ReadSectors = 0x20;

    /// <summary>READ SECTORS EXT (48-bit PIO).</summary>
    public const byte ReadSectorsExt = 0x24;

    /// <summary>WRITE SECTORS (28-bit PIO).</summary>
    public const byte WriteSectors = 0x30;

    /// <summary>WRITE SECTORS EXT (48-bit PIO).</summary>
    public const byte WriteSectorsExt = 0x34;

    /// <summary>CHECK POWER MODE.</summary>
    public const byte CheckPowerMode = 0xE5;

    /// <summary>FLUSH CACHE.</summary>
    public const byte FlushCache = 0xE7;

    /// <summary>FLUSH CACHE EXT.</summary>
    public const byte FlushCacheExt = 0xEA;

    /// <summary>IDENTIFY DEVICE.</summary>
    public const byte IdentifyDevice = 0xEC;

    /// <summary>SET FEATURES.</summary>
    public const byte SetFeatures = 0xEF;
}
