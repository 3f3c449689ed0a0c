using System.IO.Pipelines;

namespace NetScsi.Transport;

/// <summary>An <see cref="IDuplexPipe"/> made of a reader and a writer.</summary>
public sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;
}
