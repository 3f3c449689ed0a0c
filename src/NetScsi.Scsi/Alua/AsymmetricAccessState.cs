namespace NetScsi.Scsi.Alua;

/// <summary>
/// The asymmetric access states of a target port group (SPC-4 §5.15.2.4, the ASYMMETRIC ACCESS STATE field of REPORT
/// and SET TARGET PORT GROUPS). The values are the field's codes.
/// </summary>
public enum AsymmetricAccessState : byte
{
    /// <summary>Every command runs, at full performance.</summary>
    ActiveOptimized = 0x0,

    /// <summary>Every command runs, possibly slower than through an active/optimized port.</summary>
    ActiveNonOptimized = 0x1,

    /// <summary>Only the commands of SPC-4 §5.15.2.4.4 run; the others: NOT READY, TARGET PORT IN STANDBY STATE.</summary>
    Standby = 0x2,

    /// <summary>Only the commands of SPC-4 §5.15.2.4.5 run; the others: NOT READY, TARGET PORT IN UNAVAILABLE STATE.</summary>
    Unavailable = 0x3,

    /// <summary>Between two states (SPC-4 §5.15.2.4.7): the others: NOT READY, ASYMMETRIC ACCESS STATE TRANSITION.</summary>
    Transitioning = 0xF,
}

/// <summary>How the asymmetric access states of a logical unit change: TPGS in standard INQUIRY data (SPC-4 §6.6.2).</summary>
[Flags]
public enum AluaTransitions : byte
{
    /// <summary>TPGS 00b: no asymmetric logical unit access.</summary>
    None = 0,

    /// <summary>TPGS bit 01b: the device server changes states on its own (implicit ALUA).</summary>
    Implicit = 1,

    /// <summary>TPGS bit 10b: SET TARGET PORT GROUPS changes them (explicit ALUA).</summary>
    Explicit = 2,
}

/// <summary>Why a target port group is in its state: the STATUS CODE of REPORT TARGET PORT GROUPS (SPC-4 table 205).</summary>
public enum TargetPortGroupStatus : byte
{
    /// <summary>No status available.</summary>
    None = 0x00,

    /// <summary>Altered by a SET TARGET PORT GROUPS command.</summary>
    AlteredBySetTargetPortGroups = 0x01,

    /// <summary>Altered by an implicit asymmetric logical unit access behaviour.</summary>
    AlteredImplicitly = 0x02,
}

/// <summary>Names and parsing of <see cref="AsymmetricAccessState"/> as users write them.</summary>
public static class AsymmetricAccessStates
{
    /// <summary>The names <see cref="TryParse"/> accepts, for error messages.</summary>
    public const string Names = "active-optimized (ao), active-non-optimized (an), standby, unavailable, transitioning";

    /// <summary>Parses "active-optimized", "ao", "active/optimized", "standby", ... (case-insensitive).</summary>
    public static bool TryParse(string? text, out AsymmetricAccessState state)
    {
        switch (text?.Trim().ToLowerInvariant().Replace('/', '-').Replace('_', '-'))
        {
            case "ao" or "active-optimized" or "optimized":
                state = AsymmetricAccessState.ActiveOptimized;
                return true;
            case "an" or "active-non-optimized" or "non-optimized":
                state = AsymmetricAccessState.ActiveNonOptimized;
                return true;
            case "s" or "standby":
                state = AsymmetricAccessState.Standby;
                return true;
            case "u" or "unavailable":
                state = AsymmetricAccessState.Unavailable;
                return true;
            case "t" or "transitioning":
                state = AsymmetricAccessState.Transitioning;
                return true;
            default:
                state = default;
                return false;
        }
    }

    /// <summary>The canonical name ("active-optimized", ...).</summary>
    public static string Name(AsymmetricAccessState state) => state switch
    {
        AsymmetricAccessState.ActiveOptimized => "active-optimized",
        AsymmetricAccessState.ActiveNonOptimized => "active-non-optimized",
        AsymmetricAccessState.Standby => "standby",
        AsymmetricAccessState.Unavailable => "unavailable",
        AsymmetricAccessState.Transitioning => "transitioning",
        _ => $"reserved ({(byte)state:X}h)",
    };
}
