using System.Text.Json.Serialization;

namespace NetScsi.Cli.Control;

/// <summary>
/// One request on the control socket: one JSON object on one line (docs/operations.md, "Control socket").
/// Which fields a command reads is listed there; the others are ignored.
/// </summary>
internal sealed class ControlRequest
{
    /// <summary>lun.add, lun.remove, lun.resize, lun.list, acl.add, acl.remove, acl.list, chap.set, chap.clear,
    /// portal.add, portal.remove, portal.list, session.list, session.drop, saveconfig, reload.</summary>
    public string? Command { get; set; }

    /// <summary>The target's IQN; may be left out when the target serves one.</summary>
    public string? Target { get; set; }

    /// <summary>lun.add: a LUN spec (as --lun); acl.add: INITIATOR[=LUN,...]; chap.set: USER:SECRET; portal.*: ADDR:PORT.</summary>
    public string? Spec { get; set; }

    public int? Lun { get; set; }

    /// <summary>lun.resize: the new size ("2G" or bytes).</summary>
    public string? Size { get; set; }

    /// <summary>acl.remove: the initiator name; chap.set/clear: an ACL's CHAP instead of the target's.</summary>
    public string? Initiator { get; set; }

    /// <summary>chap.set/clear: the mutual CHAP credentials (what the target answers with).</summary>
    public bool Mutual { get; set; }

    public int? Tsih { get; set; }

    /// <summary>saveconfig: where to write; default the --config file.</summary>
    public string? File { get; set; }

    /// <summary>Remove a LUN that is in use, shrink a LUN.</summary>
    public bool Force { get; set; }
}

/// <summary>The answer: one JSON object on one line.</summary>
internal sealed class ControlResponse
{
    public bool Ok { get; set; }

    /// <summary>Why the request was refused (nothing changed).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; set; }

    /// <summary>What changed, one line per change.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Changes { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<LunJson>? Luns { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<AclJson>? Acls { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Portals { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<SessionJson>? Sessions { get; set; }

    public static ControlResponse Refused(string error) => new() { Ok = false, Error = error };
}

internal sealed record LunJson(string Target, int Lun, string Backing, long SizeBytes, int BlockSize, bool ReadOnly, int Sessions, int CommandsInFlight);

internal sealed record AclJson(string Target, string Initiator, List<int>? Luns, bool Chap);

internal sealed record SessionJson(
    string Target,
    string Initiator,
    string Isid,
    int Tsih,
    int Connections,
    string? Portal,
    string? Remote,
    bool HeaderDigest,
    bool DataDigest,
    Dictionary<string, string> Negotiated,
    int CommandsInFlight,
    List<int> Luns);

// One line per message: not indented. camelCase like the config file.
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(ControlRequest))]
[JsonSerializable(typeof(ControlResponse))]
internal sealed partial class ControlJsonContext : JsonSerializerContext;
