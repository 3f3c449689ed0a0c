namespace NetScsi.Functional.Tests.InitiatorCli;

/// <summary>
/// A fact that needs root (network namespaces, AF_PACKET) and Debian's vblade: skipped, saying which is missing,
/// elsewhere. test.sh runs as root and installs vblade.
/// </summary>
public sealed class VbladeFactAttribute : FactAttribute
{
    public VbladeFactAttribute()
    {
        if (GetEuid() != 0)
        {
            Skip = "needs root (network namespaces and AF_PACKET sockets): run as root, as test.sh in CI does";
        }
        else if (!File.Exists("/usr/sbin/vblade") && !File.Exists("/usr/bin/vblade"))
        {
            Skip = "vblade is not installed (apt-get install -y vblade aoetools; test.sh installs it)";
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();
}
