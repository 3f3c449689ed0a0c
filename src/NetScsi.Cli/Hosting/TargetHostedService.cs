using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Control;

namespace NetScsi.Cli.Hosting;

/// <summary>Starts the target with the host and stops it (gracefully) with the host.</summary>
internal sealed class TargetHostedService : IHostedService, IAsyncDisposable
{
    private readonly ServeConfiguration _configuration;
    private readonly ITargetRunnerFactory _factory;
    private readonly ILoggerFactory _loggerFactory;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ServeOutcome _outcome;
    private readonly TextWriter _output;
    private readonly ILogger _logger;
    private readonly ControlSettings _control;
    private ITargetRunner? _runner;

    public TargetHostedService(
        ServeConfiguration configuration,
        ITargetRunnerFactory factory,
        ILoggerFactory loggerFactory,
        IHostApplicationLifetime lifetime,
        ServeOutcome outcome,
        ServeOutput output,
        ControlSettings control)
    {
        _control = control;
        _configuration = configuration;
        _factory = factory;
        _loggerFactory = loggerFactory;
        _lifetime = lifetime;
        _outcome = outcome;
        _output = output.Writer;
        _logger = loggerFactory.CreateLogger("NetScsi.Cli");
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _runner = await _factory.CreateAsync(_configuration, _loggerFactory, cancellationToken).ConfigureAwait(false);
            try
            {
                await _runner.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (System.Net.Sockets.SocketException e)
            {
                await DisposeRunnerAsync().ConfigureAwait(false);
                throw ListenErrors.Describe(e, _configuration.Portals);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            CliLog.StartFailed(_logger, e);
            await DisposeRunnerAsync().ConfigureAwait(false);
            _outcome.Failure = e;
            _lifetime.StopApplication();
            return;
        }

        foreach (var portal in _runner.ListeningPortals)
        {
            CliLog.Listening(_logger, Parsing.PortalParser.Format(portal));
        }

        try
        {
            if (_runner.CreateController(_configuration, _control, _loggerFactory) is { } controller)
            {
                controller.OnStarted();
                _control.Controller = controller;
            }
        }
        catch (CliException e)
        {
            // The running configuration did not survive its copy (it is kept as the config file would hold it): the
            // target serves on, unchangeable, rather than not at all.
            CliLog.NoControlPlane(_logger, e.Message);
        }

        ServeBanner.Write(_output, _runner.ListeningPortals, _runner.Targets);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_runner is null)
        {
            return;
        }

        CliLog.Stopping(_logger);
        try
        {
            await _runner.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            CliLog.StopFailed(_logger, e);
            _outcome.Failure ??= e;
        }
        finally
        {
            await DisposeRunnerAsync().ConfigureAwait(false);
        }

        CliLog.Stopped(_logger);
    }

    public ValueTask DisposeAsync() => DisposeRunnerAsync();

    private async ValueTask DisposeRunnerAsync()
    {
        var runner = Interlocked.Exchange(ref _runner, null);
        if (runner is not null)
        {
            await runner.DisposeAsync().ConfigureAwait(false);
        }
    }
}
