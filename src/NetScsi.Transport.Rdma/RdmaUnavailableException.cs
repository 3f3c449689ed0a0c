namespace NetScsi.Transport.Rdma;

/// <summary>
/// RDMA cannot be used on this machine: the verbs libraries are missing or no RDMA device exists. The message says
/// which, and how to get one (soft-RoCE), so the CLI can print it as it is.
/// </summary>
public sealed class RdmaUnavailableException : IOException
{
    public RdmaUnavailableException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
