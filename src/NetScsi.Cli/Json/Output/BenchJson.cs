using System.Text.Json.Serialization;

namespace NetScsi.Cli.Json.Output;

/// <summary><c>netscsi bench --json</c>: the workload, throughput, latency and CPU.</summary>
internal sealed record BenchJson(
    string Pattern,
    long BlockSize,
    int QueueDepth,
    int Sessions,
    int Connections,
    string Buffers,
    double Seconds,
    long Ios,
    long ReadIos,
    long WriteIos,
    double Iops,
    double MbPerS,
    double MibPerS,
    [property: JsonPropertyName("latency_us")] BenchLatencyJson Latency,
    BenchCpuJson Cpu);

/// <summary>Per-I/O latency in microseconds.</summary>
internal sealed record BenchLatencyJson(
    double Min,
    double Mean,
    double P50,
    double P99,
    [property: JsonPropertyName("p99_9")] double P999,
    double Max);

/// <summary>The client process' CPU while the workload ran.</summary>
internal sealed record BenchCpuJson(double UserPercent, double SystemPercent, double UsPerIo);
