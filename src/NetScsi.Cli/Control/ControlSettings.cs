using NetScsi.Cli.Configuration;

namespace NetScsi.Cli.Control;

/// <summary>How serve's control plane is reached and what reload re-reads; the controller once the target runs.</summary>
/// <param name="SocketPath">The Unix socket (<c>--control-socket</c>).</param>
/// <param name="ConfigPath">The --config file (saveconfig's default, reload's source); null = none.</param>
/// <param name="ReloadSource">Re-reads the config file and applies the flags on top, as serve did; null without --config.</param>
internal sealed record ControlSettings(string SocketPath, string? ConfigPath, Func<ServeConfiguration>? ReloadSource)
{
    public const string DefaultSocketPath = "/run/netscsi/control.sock";

    /// <summary>Set by the target's hosted service once the target listens.</summary>
    public TargetController? Controller { get; set; }
}
