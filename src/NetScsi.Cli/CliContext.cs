using NetScsi.Cli.Hosting;

namespace NetScsi.Cli;

/// <summary>What the commands write to and how they build a target; tests substitute all of it.</summary>
internal sealed record CliContext(TextWriter Output, TextWriter Error, ITargetRunnerFactory RunnerFactory)
{
    /// <summary>Binary standard output (<c>netscsi read</c> without <c>-o</c>); null = the process's stdout.</summary>
    public Stream? BinaryOutput { get; init; }

    /// <summary>True when <see cref="Output"/> is an interactive terminal: tables get colour, copy gets a live progress bar.</summary>
    public bool OutputIsTerminal { get; init; }

    /// <summary>Reads an environment variable (tests substitute it).</summary>
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    public Stream OpenBinaryOutput() => BinaryOutput ?? Console.OpenStandardOutput();
}
