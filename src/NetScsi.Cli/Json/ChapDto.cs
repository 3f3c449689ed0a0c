namespace NetScsi.Cli.Json;

internal sealed class ChapDto
{
    public string? User { get; set; }

    public string? Secret { get; set; }
}
