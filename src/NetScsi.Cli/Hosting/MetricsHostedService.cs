using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NetScsi.Cli.Configuration;
using NetScsi.Iscsi.Target;
using NetScsi.Scsi.Metrics;
using NetScsi.Storage.Rbd;
using NetScsi.Transport.Ethernet;
using Prometheus;

namespace NetScsi.Cli.Hosting;

/// <summary>
/// <c>--metrics ADDR:PORT</c>: the target's System.Diagnostics.Metrics instruments (the SCSI layer's per LUN, the
/// iSCSI engine's per target, the RBD lock followers', the Ethernet data mover's) and the process' own, served for Prometheus at <c>http://ADDR:PORT/metrics</c>
/// by prometheus-net (a stable release that needs no ASP.NET Core; OpenTelemetry's stand-alone Prometheus
/// exporter is still a beta). Nothing is measured when this is off.
/// </summary>
internal sealed class MetricsHostedService(ServeConfiguration configuration, IHostApplicationLifetime lifetime, ServeOutcome outcome, ILoggerFactory loggerFactory)
    : IHostedService, IDisposable
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("NetScsi.Cli");
    private IDisposable? _adapter;
    private MetricServer? _server;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (configuration.Metrics is not { } endpoint)
        {
            return Task.CompletedTask;
        }

        _adapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            InstrumentFilterPredicate = instrument => instrument.Meter.Name is ScsiMeter.Name or IscsiMeter.Name or RbdMeter.Name or EthernetMeter.Name,
            // Command durations run from microseconds (memory) to seconds (a stalled disk): 10 µs doubling to ~5 s.
            ResolveHistogramBuckets = _ => Histogram.ExponentialBuckets(0.00001, 2, 20),
        });
        try
        {
            _server = new MetricServer(HttpListenerHost(endpoint.Address), endpoint.Port);
            _server.Start();
        }
        catch (HttpListenerException e)
        {
            Dispose();
            outcome.Failure = CliException.Runtime($"--metrics {Parsing.MetricsEndpointParser.Format(endpoint)}: cannot listen ({e.Message})");
            lifetime.StopApplication();
            return Task.CompletedTask;
        }

        CliLog.Metrics(_logger, $"http://{Parsing.MetricsEndpointParser.Format(endpoint)}/metrics");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _server?.Dispose();
        _server = null;
        _adapter?.Dispose();
        _adapter = null;
    }

    // HttpListener prefixes name a host: "+" takes every address.
    private static string HttpListenerHost(IPAddress address) =>
        address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) ? "+"
        : address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]"
        : address.ToString();
}
