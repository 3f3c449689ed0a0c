using NetScsi.Cli.Hosting;

namespace NetScsi.Cli;

/// <summary>What the commands write to and how they build a target; tests substitute all three.</summary>
internal sealed record CliContext(TextWriter Output, TextWriter Error, ITargetRunnerFactory RunnerFactory);
