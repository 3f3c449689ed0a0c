using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace NetScsi.Cli.Hosting;

/// <summary>
/// <c>Type=notify</c> (sd_notify(3)): READY=1 once the target listens on every portal (the host has started every
/// service), STOPPING=1 when a stop begins. Active whenever <c>NOTIFY_SOCKET</c> is set, as sd_notify is, so a
/// test can stand in for systemd; nothing happens otherwise.
/// </summary>
internal sealed class SystemdNotifyService(IHostApplicationLifetime lifetime, ServeOutcome outcome) : IHostedService
{
    private readonly SystemdNotifier _notifier = new();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_notifier.IsEnabled)
        {
            lifetime.ApplicationStarted.Register(() =>
            {
                // A target that failed to start stops at once; it never was ready.
                if (outcome.Failure is null)
                {
                    _notifier.Notify(ServiceState.Ready);
                }
            });
            lifetime.ApplicationStopping.Register(() => _notifier.Notify(ServiceState.Stopping));
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
