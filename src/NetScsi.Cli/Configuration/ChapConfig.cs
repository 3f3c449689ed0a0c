namespace NetScsi.Cli.Configuration;

/// <summary>CHAP name (CHAP_N) and secret.</summary>
internal sealed record ChapConfig(string User, string Secret)
{
    // The secret never appears in logs or exception messages.
    public override string ToString() => $"ChapConfig {{ User = {User}, Secret = *** }}";
}
