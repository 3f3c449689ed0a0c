using Microsoft.Extensions.Logging;

namespace NetScsi.Cli.Hosting;

internal static partial class CliLog
{
    [LoggerMessage(1, LogLevel.Information, "Listening on {Portal}")]
    public static partial void Listening(ILogger logger, string portal);

    [LoggerMessage(2, LogLevel.Information, "Stopping: ending sessions and flushing logical units")]
    public static partial void Stopping(ILogger logger);

    [LoggerMessage(3, LogLevel.Information, "Stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(4, LogLevel.Debug, "Target failed to start")]
    public static partial void StartFailed(ILogger logger, Exception exception);

    [LoggerMessage(5, LogLevel.Error, "Error while stopping the target")]
    public static partial void StopFailed(ILogger logger, Exception exception);

    [LoggerMessage(6, LogLevel.Information, "Metrics for Prometheus at {Url}")]
    public static partial void Metrics(ILogger logger, string url);

    [LoggerMessage(7, LogLevel.Warning, "No control plane (netscsi target lun/acl/... and reload will not work): {Reason}")]
    public static partial void NoControlPlane(ILogger logger, string reason);
}
