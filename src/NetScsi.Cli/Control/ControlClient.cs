using System.Net.Sockets;
using System.Text.Json;

namespace NetScsi.Cli.Control;

/// <summary>Sends one request to a running target's control socket and reads its one-line answer.</summary>
internal static class ControlClient
{
    /// <exception cref="Configuration.CliException">The socket cannot be reached, or the answer is not a response.</exception>
    public static async Task<ControlResponse> SendAsync(string socketPath, ControlRequest request, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(Path.GetFullPath(socketPath)), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new Configuration.CliException(ExitCodes.ConnectFailure,
                $"cannot reach the target's control socket '{socketPath}': {e.Message} (is netscsi target serve running, with this --control-socket?)");
        }

        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var line = JsonSerializer.SerializeToUtf8Bytes(request, ControlJsonContext.Default.ControlRequest);
        await stream.WriteAsync(line, cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream);
        var answer = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new Configuration.CliException(ExitCodes.ConnectFailure, $"the target closed the control socket '{socketPath}' without answering");
        try
        {
            return JsonSerializer.Deserialize(answer, ControlJsonContext.Default.ControlResponse)
                ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new Configuration.CliException(ExitCodes.RuntimeFailure, $"the control socket '{socketPath}' answered something that is not a response: {e.Message}");
        }
    }
}
