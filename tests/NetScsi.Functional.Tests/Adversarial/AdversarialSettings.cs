namespace NetScsi.Functional.Tests.Adversarial;

/// <summary>
/// How hard the adversarial tests push. CI runs the short mode (seconds each); <c>NETSCSI_ADVERSARIAL=long</c> runs the
/// long mode documented in docs/reliability.md. <c>NETSCSI_FUZZ_SEED</c> replays one seed, <c>NETSCSI_FUZZ_CASES</c>
/// overrides the number of fuzz cases.
/// </summary>
internal static class AdversarialSettings
{
    public static bool Long => string.Equals(Environment.GetEnvironmentVariable("NETSCSI_ADVERSARIAL"), "long", StringComparison.OrdinalIgnoreCase);

    /// <summary>The seed of a seeded run: fixed unless one is asked for, so a CI failure replays as it happened.</summary>
    public static int Seed(int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("NETSCSI_FUZZ_SEED"), out int seed) ? seed : fallback;

    public static int Cases(int shortMode, int longMode) =>
        int.TryParse(Environment.GetEnvironmentVariable("NETSCSI_FUZZ_CASES"), out int cases) && cases > 0 ? cases
        : Long ? longMode : shortMode;
}
