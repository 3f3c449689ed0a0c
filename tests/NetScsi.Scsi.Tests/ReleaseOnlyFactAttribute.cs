namespace NetScsi.Scsi.Tests;

/// <summary>
/// A fact that only means something in an optimized build: Debug builds compile async state machines
/// as classes, so allocation measurements there count the compiler's boxes, not ours.
/// </summary>
public sealed class ReleaseOnlyFactAttribute : FactAttribute
{
    public ReleaseOnlyFactAttribute()
    {
#if DEBUG
        Skip = "Allocation behaviour is measured in Release builds only (dotnet test -c Release).";
#endif
    }
}
