namespace NetScsi.Cli.Hosting;

internal sealed record ServedTarget(string Iqn, string? Alias, IReadOnlyList<ServedLun> Luns, bool Chap, bool MutualChap, int AclCount);
