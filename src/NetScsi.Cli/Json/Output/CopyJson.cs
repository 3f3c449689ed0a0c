namespace NetScsi.Cli.Json.Output;

/// <summary><c>netscsi copy --json</c>: bytes moved, how the zeros were written, speed, verification.</summary>
internal sealed record CopyJson(
    string Source,
    string Destination,
    long Bytes,
    long DataBytes,
    long ZeroBytes,
    IReadOnlyDictionary<string, long> ZeroBytesByMethod,
    double Seconds,
    double MbPerS,
    bool Verified);
