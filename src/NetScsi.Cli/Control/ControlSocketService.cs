using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace NetScsi.Cli.Control;

/// <summary>
/// The control socket of <c>netscsi target serve</c>: a Unix socket (mode 0600, no network) where each line is one
/// JSON request and gets one JSON line back (docs/operations.md), and SIGHUP, which reloads the config file. All
/// the work is the <see cref="TargetController"/>'s; this only carries lines.
/// </summary>
internal sealed partial class ControlSocketService : IHostedService, IDisposable
{
    /// <summary>A request line longer than this closes the connection.</summary>
    private const int MaxLineBytes = 64 * 1024;

    private readonly ControlSettings _settings;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _listener;
    private Task? _acceptLoop;
    private PosixSignalRegistration? _sighup;

    public ControlSocketService(ControlSettings settings, ILoggerFactory loggerFactory)
    {
        _settings = settings;
        _logger = loggerFactory.CreateLogger("NetScsi.Control");
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_settings.Controller is not { } controller)
        {
            // The target did not start (the host is stopping) or has no controller.
            return Task.CompletedTask;
        }

        if (!OperatingSystem.IsWindows())
        {
            _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                _ = ReloadOnSignalAsync(controller);
            });
        }

        var path = Path.GetFullPath(_settings.SocketPath);
        try
        {
            _listener = Bind(path);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // The target serves on without it: a control socket is not worth refusing storage for.
            LogNoSocket(_logger, path, e.Message);
            return Task.CompletedTask;
        }

        LogListening(_logger, path);
        _acceptLoop = AcceptLoopAsync(_listener, controller);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _sighup?.Dispose();
        if (_listener is { } listener)
        {
            listener.Dispose();
            TryDelete(Path.GetFullPath(_settings.SocketPath));
        }

        if (_acceptLoop is { } loop)
        {
            await loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _sighup?.Dispose();
        _listener?.Dispose();
        _stopping.Dispose();
    }

    private static Socket Bind(string path)
    {
        var directory = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        if (File.Exists(path))
        {
            // A live target answers on it: leave it alone. A stale file (a target that was killed) goes.
            using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                throw new InvalidOperationException("another target is using it (give serve --control-socket PATH)");
            }
            catch (SocketException)
            {
                File.Delete(path);
            }
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            socket.Listen(16);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task AcceptLoopAsync(Socket listener, TargetController controller)
    {
        var clients = new List<Task>();
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                break;
            }

            clients.RemoveAll(t => t.IsCompleted);
            clients.Add(ServeClientAsync(client, controller));
        }

        await Task.WhenAll(clients).ConfigureAwait(false);
    }

    private async Task ServeClientAsync(Socket client, TargetController controller)
    {
        await Task.Yield();
        using (client)
        await using (var stream = new NetworkStream(client, ownsSocket: false))
        {
            var buffer = new List<byte>();
            var chunk = new byte[4096];
            try
            {
                while (true)
                {
                    int read = await stream.ReadAsync(chunk, _stopping.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return;
                    }

                    for (int i = 0; i < read; i++)
                    {
                        if (chunk[i] != (byte)'\n')
                        {
                            buffer.Add(chunk[i]);
                            continue;
                        }

                        var response = await HandleAsync([.. buffer], controller).ConfigureAwait(false);
                        buffer.Clear();
                        var bytes = JsonSerializer.SerializeToUtf8Bytes(response, ControlJsonContext.Default.ControlResponse);
                        await stream.WriteAsync(bytes, _stopping.Token).ConfigureAwait(false);
                        await stream.WriteAsync("\n"u8.ToArray(), _stopping.Token).ConfigureAwait(false);
                    }

                    if (buffer.Count > MaxLineBytes)
                    {
                        return;
                    }
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
            }
        }
    }

    private async Task<ControlResponse> HandleAsync(byte[] line, TargetController controller)
    {
        ControlRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(line, ControlJsonContext.Default.ControlRequest);
        }
        catch (JsonException e)
        {
            return ControlResponse.Refused($"not a JSON request: {e.Message}");
        }

        if (request?.Command is null)
        {
            return ControlResponse.Refused("the request has no 'command'");
        }

        return await controller.ExecuteAsync(request, _stopping.Token).ConfigureAwait(false);
    }

    private async Task ReloadOnSignalAsync(TargetController controller)
    {
        LogSighup(_logger);
        try
        {
            // Refusals and changes are logged by the controller.
            await controller.ExecuteAsync(new ControlRequest { Command = "reload" }, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Control socket {Path}")]
    private static partial void LogListening(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No control socket at {Path}: {Reason}; netscsi target commands cannot reach this target")]
    private static partial void LogNoSocket(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "SIGHUP: reloading the config file")]
    private static partial void LogSighup(ILogger logger);
}
