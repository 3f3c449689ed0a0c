namespace NetScsi.Cli.Configuration;

/// <summary>Errors stop the command (exit 2); warnings are printed and the target runs.</summary>
internal sealed record ValidationResult(IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings)
{
    public bool IsValid => Errors.Count == 0;
}
