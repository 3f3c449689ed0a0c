using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Control;

namespace NetScsi.Cli.Hosting;

/// <summary>
/// Runs the target under Microsoft.Extensions.Hosting: the console lifetime turns SIGINT/SIGTERM into a
/// graceful stop (stop accepting, end sessions, flush), after which the process exits 0.
/// </summary>
internal static class ServeHost
{
    /// <summary>How long a graceful stop may take before the host gives up on it.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(
        ServeConfiguration configuration,
        ITargetRunnerFactory factory,
        TextWriter output,
        TextWriter error,
        CancellationToken cancellationToken,
        ControlSettings? control = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<IHostLifetime, ConsoleLifetime>();
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);

        builder.Logging.SetMinimumLevel(configuration.LogLevel);
        if (Environment.GetEnvironmentVariable("JOURNAL_STREAM") is not null)
        {
            // Under systemd the output goes to the journal: one line per entry with its <level> prefix, no timestamp
            // (the journal adds its own).
            builder.Logging.AddSystemdConsole();
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
        }

        // Everything the logger writes goes to stderr; stdout carries only the banner.
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);

        builder.Services.AddSingleton(configuration);
        builder.Services.AddSingleton(factory);
        builder.Services.AddSingleton(new ServeOutput(output));
        builder.Services.AddSingleton<ServeOutcome>();
        builder.Services.AddHostedService<MetricsHostedService>();
        builder.Services.AddSingleton(control ?? new ControlSettings(ControlSettings.DefaultSocketPath, null, null));
        builder.Services.AddHostedService<TargetHostedService>();
        builder.Services.AddHostedService<ControlSocketService>();
        builder.Services.AddHostedService<SystemdNotifyService>();

        using var host = builder.Build();
        var outcome = host.Services.GetRequiredService<ServeOutcome>();
        try
        {
            await host.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancelled during start-up: treat as a normal stop.
        }

        if (outcome.Failure is { } failure)
        {
            await error.WriteLineAsync($"netscsi: error: {Describe(failure)}").ConfigureAwait(false);
            return failure is CliException cli ? cli.ExitCode : ExitCodes.RuntimeFailure;
        }

        return ExitCodes.Success;
    }

    private static string Describe(Exception e) => e switch
    {
        CliException cli => cli.Message,
        IOException or UnauthorizedAccessException => UserMessages.Of(e),
        _ => $"unexpected error: {UserMessages.Of(e)}",
    };
}
