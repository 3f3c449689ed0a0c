using NetScsi.Cli.Configuration;

namespace NetScsi.Cli.Json;

internal sealed class TargetDto
{
    public string? Iqn { get; set; }

    public string? Alias { get; set; }

    /// <summary>Each entry a LUN spec string or an object (<see cref="LunConfigJsonConverter"/>).</summary>
    public List<LunConfig>? Luns { get; set; }

    public ChapDto? Chap { get; set; }

    public ChapDto? MutualChap { get; set; }

    public List<AclDto>? Acls { get; set; }
}
