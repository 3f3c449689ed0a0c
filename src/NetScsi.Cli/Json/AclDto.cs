namespace NetScsi.Cli.Json;

internal sealed class AclDto
{
    public string? Initiator { get; set; }

    public List<int>? Luns { get; set; }

    public ChapDto? Chap { get; set; }
}
