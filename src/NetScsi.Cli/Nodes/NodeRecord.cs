namespace NetScsi.Cli.Nodes;

/// <summary>
/// A saved node: where a target is, how to log in to it and what to negotiate. Stored as
/// <c>NAME.json</c> (mode 0600: it may hold CHAP secrets) in the node directory. Null fields mean
/// "the default"; command-line flags override every field.
/// </summary>
internal sealed class NodeRecord
{
    /// <summary>Record name (the file name without .json); the target IQN for records that <c>discover --save</c> made.</summary>
    public string Name { get; set; } = "";

    /// <summary>Portal, <c>host[:port]</c> (IPv6 in brackets).</summary>
    public string Portal { get; set; } = "";

    /// <summary>Target IQN/EUI/NAA name.</summary>
    public string Target { get; set; } = "";

    /// <summary>Initiator name to log in with; null = the default.</summary>
    public string? InitiatorName { get; set; }

    /// <summary>One-way CHAP: the credentials the target checks.</summary>
    public NodeChap? Chap { get; set; }

    /// <summary>Mutual CHAP: the credentials the target must answer with.</summary>
    public NodeChap? MutualChap { get; set; }

    /// <summary>"None" or "CRC32C"; null = None.</summary>
    public string? HeaderDigest { get; set; }

    /// <summary>"None" or "CRC32C"; null = None.</summary>
    public string? DataDigest { get; set; }

    /// <summary>MaxRecvDataSegmentLength we declare; null = the library default (256 KiB).</summary>
    public int? MaxRecvDataSegmentLength { get; set; }

    /// <summary>ImmediateData we offer; null = Yes.</summary>
    public bool? ImmediateData { get; set; }

    /// <summary>InitialR2T we offer; null = No.</summary>
    public bool? InitialR2T { get; set; }

    /// <summary>Login and command timeout in seconds; null = the default.</summary>
    public double? TimeoutSeconds { get; set; }
}

internal sealed class NodeChap
{
    public string User { get; set; } = "";

    public string Secret { get; set; } = "";
}
