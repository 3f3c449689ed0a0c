namespace NetScsi.Cli.Hosting;

/// <summary>A LUN as it was opened (an existing file's real size, not the configured one).</summary>
internal sealed record ServedLun(int Number, string Backing, long SizeBytes, int BlockSize, bool ReadOnly, bool Removable, string? DelayControl = null);
