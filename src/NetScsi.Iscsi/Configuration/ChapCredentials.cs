namespace NetScsi.Iscsi.Configuration;

/// <summary>A CHAP name and secret (RFC 7143 §12.1.3).</summary>
public sealed record ChapCredentials(string User, string Secret);
