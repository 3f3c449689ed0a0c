using System.Text.Json;
using System.Text.RegularExpressions;
using NetScsi.Cli.Json;
using NetScsi.Cli.Parsing;

namespace NetScsi.Cli.Configuration;

/// <summary>
/// Reads the JSON config file (docs/config.md) into a <see cref="ServeConfiguration"/>. Every error is
/// a <see cref="CliException"/> naming the file, and for JSON errors the line, column and property.
/// </summary>
internal static partial class ConfigFileLoader
{
    public static ServeConfiguration Load(string path)
    {
        byte[] bytes;
        if (Directory.Exists(path))
        {
            throw CliException.Usage($"cannot read config file '{path}': it is a directory, not a JSON file");
        }

        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw CliException.Usage($"cannot read config file '{path}': {UserMessages.Of(e)}");
        }

        return Parse(bytes, path);
    }

    /// <param name="json">UTF-8 JSON.</param>
    /// <param name="fileName">Used in messages.</param>
    public static ServeConfiguration Parse(ReadOnlySpan<byte> json, string fileName)
    {
        ConfigFileDto? dto;
        try
        {
            dto = JsonSerializer.Deserialize(json, ConfigJsonContext.Default.ConfigFileDto);
        }
        catch (JsonException e)
        {
            throw CliException.Usage(Describe(e, fileName));
        }

        if (dto is null)
        {
            throw CliException.Usage($"{fileName}: the config file must hold a JSON object, not null");
        }

        return ToConfiguration(dto, fileName);
    }

    private static ServeConfiguration ToConfiguration(ConfigFileDto dto, string fileName)
    {
        var config = new ServeConfiguration();
        if (dto.Portals is not null)
        {
            if (dto.Portals.Count == 0)
            {
                throw CliException.Usage($"{fileName}: 'portals' is empty; list at least one, or leave it out for the default 127.0.0.1:3260");
            }

            config.Portals.AddRange(dto.Portals);
        }

        if (dto.QueueDepth is int queueDepth)
        {
            config.QueueDepth = queueDepth;
        }

        if (dto.MaxConnections is int maxConnections)
        {
            config.MaxConnections = maxConnections;
        }

        if (dto.LogLevel is not null)
        {
            config.LogLevel = LogLevelParser.TryParse(dto.LogLevel, out var level)
                ? level
                : throw CliException.Usage($"{fileName}: logLevel: {LogLevelParser.Error(dto.LogLevel)}");
        }

        if (dto.Limits is { } limits)
        {
            config.Limits.MaxConnectionsInLogin = Limit(limits.MaxConnectionsInLogin, config.Limits.MaxConnectionsInLogin, "maxConnectionsInLogin", fileName);
            config.Limits.MaxConnectionsPerInitiatorAddress = Limit(limits.MaxConnectionsPerInitiatorAddress, config.Limits.MaxConnectionsPerInitiatorAddress, "maxConnectionsPerInitiatorAddress", fileName);
            config.Limits.MaxSessionsPerTarget = Limit(limits.MaxSessionsPerTarget, config.Limits.MaxSessionsPerTarget, "maxSessionsPerTarget", fileName);
            config.Limits.MaxSessionsPerInitiatorAddress = Limit(limits.MaxSessionsPerInitiatorAddress, config.Limits.MaxSessionsPerInitiatorAddress, "maxSessionsPerInitiatorAddress", fileName);
            config.Limits.OutputStallTimeout = limits.OutputStallTimeoutSeconds switch
            {
                null => config.Limits.OutputStallTimeout,
                >= 0 => TimeSpan.FromSeconds(limits.OutputStallTimeoutSeconds.Value),
                _ => throw CliException.Usage($"{fileName}: limits.outputStallTimeoutSeconds must be 0 (never) or more"),
            };
        }

        if (dto.Metrics is not null)
        {
            config.Metrics = Parsing.MetricsEndpointParser.TryParse(dto.Metrics, out var metrics, out var metricsError)
                ? metrics
                : throw CliException.Usage($"{fileName}: metrics: {metricsError}");
        }

        if (dto.Alua is { } alua)
        {
            config.Alua = new AluaConfig { FollowLock = alua.FollowLock ?? false };
            if (alua.Tpg is not null)
            {
                config.Alua.Local = TpgSpecParser.TryParse(alua.Tpg, "alua.tpg", out var local, out var tpgError)
                    ? local
                    : throw CliException.Usage($"{fileName}: {tpgError}");
            }

            foreach (var peer in alua.PeerTpgs ?? [])
            {
                config.Alua.Peers.Add(TpgSpecParser.TryParse(peer ?? "", "alua.peerTpgs", out var spec, out var peerError)
                    ? spec!
                    : throw CliException.Usage($"{fileName}: {peerError}"));
            }
        }

        config.DiscoveryChap = ToChap(dto.DiscoveryChap, $"{fileName}: discoveryChap");
        config.DiscoveryMutualChap = ToChap(dto.DiscoveryMutualChap, $"{fileName}: discoveryMutualChap");

        for (int i = 0; i < (dto.Targets?.Count ?? 0); i++)
        {
            var t = dto.Targets![i] ?? throw CliException.Usage($"{fileName}: targets[{i}] is null");
            var where = $"{fileName}: targets[{i}]";
            var target = new TargetConfig
            {
                Iqn = t.Iqn ?? throw CliException.Usage($"{where}: missing required property 'iqn'"),
                Alias = t.Alias,
                Chap = ToChap(t.Chap, $"{where}.chap"),
                MutualChap = ToChap(t.MutualChap, $"{where}.mutualChap"),
                DefinedInFile = true,
            };
            foreach (var lun in t.Luns ?? [])
            {
                target.Luns.Add(lun ?? throw CliException.Usage($"{where}.luns: a LUN is null"));
            }

            for (int a = 0; a < (t.Acls?.Count ?? 0); a++)
            {
                var acl = t.Acls![a] ?? throw CliException.Usage($"{where}.acls[{a}] is null");
                target.Acls.Add(new AclConfig
                {
                    InitiatorName = acl.Initiator ?? throw CliException.Usage($"{where}.acls[{a}]: missing required property 'initiator'"),
                    Luns = acl.Luns,
                    Chap = ToChap(acl.Chap, $"{where}.acls[{a}].chap"),
                });
            }

            config.Targets.Add(target);
        }

        return config;
    }

    private static int Limit(int? value, int current, string name, string fileName) => value switch
    {
        null => current,
        >= 1 => value.Value,
        _ => throw CliException.Usage($"{fileName}: limits.{name} must be at least 1"),
    };

    private static ChapConfig? ToChap(ChapDto? dto, string where)
    {
        if (dto is null)
        {
            return null;
        }

        var chap = new ChapConfig(
            dto.User ?? throw CliException.Usage($"{where}: missing required property 'user'"),
            dto.Secret ?? throw CliException.Usage($"{where}: missing required property 'secret'"));
        return ChapRules.TryValidate(chap, where, out var error) ? chap : throw CliException.Usage(error);
    }

    /// <summary>"file:LINE:COL: what (at targets[0].luns[1])", with the serializer's boilerplate removed.</summary>
    internal static string Describe(JsonException e, string fileName)
    {
        string what;
        if (e is ConfigJsonException)
        {
            what = e.Message;
        }
        else if (UnmappedProperty().Match(e.Message) is { Success: true } unmapped)
        {
            what = $"unknown property '{unmapped.Groups[1].Value}'";
        }
        else if (DuplicateProperty().Match(e.Message) is { Success: true } duplicate)
        {
            what = $"property '{duplicate.Groups[1].Value}' given twice";
        }
        else if (e.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal))
        {
            what = "value has the wrong type";
        }
        else
        {
            // Reader errors ("'}' is invalid after a value...") are clear once the position suffix is cut.
            what = e.Message;
            foreach (var marker in (ReadOnlySpan<string>)[" Path: $", " LineNumber: "])
            {
                int cut = what.IndexOf(marker, StringComparison.Ordinal);
                if (cut >= 0)
                {
                    what = what[..cut];
                }
            }

            // Never show the serializer's .NET type names ("... of type 'NetScsi.Cli.Json.TargetDto'").
            what = TypeName().Replace(what, "");
        }

        var location = e.LineNumber is long line
            ? $"{fileName}:{line + 1}:{(e.BytePositionInLine ?? 0) + 1}"
            : fileName;
        var path = e.Path is { Length: > 1 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : null;
        return path is null ? $"{location}: {what}" : $"{location}: {what} (at {path})";
    }

    [GeneratedRegex("^The JSON property '(.*)' could not be mapped")]
    private static partial Regex UnmappedProperty();

    [GeneratedRegex("^Duplicate property '(.*)' encountered")]
    private static partial Regex DuplicateProperty();

    [GeneratedRegex(" *(during deserialization )?(of|for) type '[^']*'")]
    private static partial Regex TypeName();
}
