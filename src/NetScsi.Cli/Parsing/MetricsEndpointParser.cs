using System.Diagnostics.CodeAnalysis;
using System.Net;
using NetScsi.Transport.Tcp;

namespace NetScsi.Cli.Parsing;

/// <summary><c>--metrics ADDR:PORT</c>: an IP address (v4, or v6 in brackets) and a port, both required.</summary>
internal static class MetricsEndpointParser
{
    public static bool TryParse(string text, [NotNullWhen(true)] out IPEndPoint? endpoint, [NotNullWhen(false)] out string? error)
    {
        endpoint = null;
        if (!TcpPortal.TryParse(text?.Trim(), 0, out var portal, out var portalError))
        {
            error = $"--metrics: {portalError}";
            return false;
        }
        if (portal.Address is not { } address)
        {
            error = $"--metrics: '{text}' is not an IP address (expected ADDR:PORT, e.g. 127.0.0.1:9464)";
            return false;
        }
        if (portal.Port == 0)
        {
            error = $"--metrics: '{text}' has no port (expected ADDR:PORT, e.g. 127.0.0.1:9464)";
            return false;
        }
        endpoint = new IPEndPoint(address, portal.Port);
        error = null;
        return true;
    }

    public static string Format(IPEndPoint endpoint) => TcpPortal.Format(endpoint.Address.ToString(), endpoint.Port);
}
