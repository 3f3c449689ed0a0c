using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using NetScsi.Cli.Json;
using NetScsi.Cli.Parsing;

namespace NetScsi.Cli.Configuration;

/// <summary>
/// Writes a <see cref="ServeConfiguration"/> as the JSON config file (docs/config.md) that
/// <see cref="ConfigFileLoader"/> reads back into the same configuration (saveconfig; the round trip is tested).
/// </summary>
internal static class ConfigFileWriter
{
    private static readonly JsonTypeInfo<ConfigFileDto> s_typeInfo = CreateTypeInfo();

    public static byte[] ToJson(ServeConfiguration configuration)
    {
        var dto = new ConfigFileDto
        {
            Portals = [.. configuration.Portals],
            QueueDepth = configuration.QueueDepth,
            MaxConnections = configuration.MaxConnections == ServeConfiguration.DefaultMaxConnections ? null : configuration.MaxConnections,
            LogLevel = configuration.LogLevel.ToString().ToLowerInvariant(),
            Metrics = configuration.Metrics is { } metrics ? MetricsEndpointParser.Format(metrics) : null,
            DiscoveryChap = ToDto(configuration.DiscoveryChap),
            DiscoveryMutualChap = ToDto(configuration.DiscoveryMutualChap),
            Alua = configuration.Alua is { } alua
                ? new AluaDto
                {
                    Tpg = alua.Local is { } local ? TpgSpecParser.Format(local) : null,
                    PeerTpgs = alua.Peers.Count == 0 ? null : alua.Peers.ConvertAll(TpgSpecParser.Format),
                    FollowLock = alua.FollowLock ? true : null,
                }
                : null,
            Limits = new LimitsDto
            {
                MaxConnectionsInLogin = configuration.Limits.MaxConnectionsInLogin,
                MaxConnectionsPerInitiatorAddress = configuration.Limits.MaxConnectionsPerInitiatorAddress,
                MaxSessionsPerTarget = configuration.Limits.MaxSessionsPerTarget,
                MaxSessionsPerInitiatorAddress = configuration.Limits.MaxSessionsPerInitiatorAddress,
                OutputStallTimeoutSeconds = (int)configuration.Limits.OutputStallTimeout.TotalSeconds,
            },
            Targets = configuration.Targets.ConvertAll(t => new TargetDto
            {
                Iqn = t.Iqn,
                Alias = t.Alias,
                Luns = [.. t.Luns],
                Chap = ToDto(t.Chap),
                MutualChap = ToDto(t.MutualChap),
                Acls = t.Acls.Count == 0 ? null : t.Acls.ConvertAll(a => new AclDto { Initiator = a.InitiatorName, Luns = a.Luns, Chap = ToDto(a.Chap) }),
            }),
        };
        return JsonSerializer.SerializeToUtf8Bytes(dto, s_typeInfo);
    }

    /// <summary>A deep copy, through the file format (what is not in the file is not in the copy).</summary>
    public static ServeConfiguration Clone(ServeConfiguration configuration) =>
        ConfigFileLoader.Parse(ToJson(configuration), "running configuration");

    /// <summary>Writes the file whole or not at all (a temporary file renamed over it), readable by its owner only.</summary>
    public static void Save(ServeConfiguration configuration, string path)
    {
        var full = Path.GetFullPath(path);
        var temporary = full + ".tmp";
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
        };
        if (!OperatingSystem.IsWindows())
        {
            // The file holds CHAP secrets.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(ToJson(configuration));
            stream.Write("\n"u8);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, full, overwrite: true);
    }

    private static ChapDto? ToDto(ChapConfig? chap) => chap is null ? null : new ChapDto { User = chap.User, Secret = chap.Secret };

    private static JsonTypeInfo<ConfigFileDto> CreateTypeInfo()
    {
        var options = new JsonSerializerOptions(ConfigJsonContext.Default.Options)
        {
            WriteIndented = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        return (JsonTypeInfo<ConfigFileDto>)options.GetTypeInfo(typeof(ConfigFileDto));
    }
}
