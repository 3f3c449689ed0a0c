namespace NetScsi.Functional.Tests.InitiatorCli;

/// <summary>
/// A fact that needs root (network namespaces, AF_PACKET) and, with <see cref="NeedsVblade"/>, Debian's vblade:
/// skipped, saying which is missing, elsewhere. test.sh runs as root and installs vblade.
/// </summary>
public sealed class AoeNamespaceFactAttribute : FactAttribute
{
    public AoeNamespaceFactAttribute()
    {
        if (GetEuid() != 0)
        {
            Skip = "needs root (network namespaces and AF_PACKET sockets): run as root, as test.sh in CI does";
        }
    }

    /// <summary>The test runs vblade as the target.</summary>
    public bool NeedsVblade
    {
        get;
        init
        {
            field = value;
            if (value && Skip is null && !File.Exists("/usr/sbin/vblade") && !File.Exists("/usr/bin/vblade"))
            {
                Skip = "vblade is not installed (apt-get install -y vblade aoetools; test.sh installs it)";
            }
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();
}
