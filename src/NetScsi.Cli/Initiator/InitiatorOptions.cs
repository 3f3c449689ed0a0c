using System.CommandLine;
using System.CommandLine.Parsing;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Nodes;
using NetScsi.Cli.Parsing;
using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Login;

namespace NetScsi.Cli.Initiator;

/// <summary>What every initiator command accepts besides its own arguments.</summary>
internal sealed record InitiatorSettings(
    string? InitiatorName,
    bool? HeaderDigest,
    bool? DataDigest,
    ChapConfig? Chap,
    ChapConfig? MutualChap,
    TimeSpan? Timeout,
    NodeStore Nodes)
{
    /// <summary>CHAP_A values to offer, in order; null = the library default (SHA-256, SHA-1, MD5).</summary>
    public IReadOnlyList<ChapAlgorithm>? ChapAlgorithms { get; init; }

    /// <summary>Connections per session (MC/S) to ask for; null = one.</summary>
    public int? Connections { get; init; }
}

/// <summary>
/// The options shared by the initiator commands (<c>--initiator-name</c>, digests, CHAP, <c>--timeout</c>,
/// <c>--node-dir</c>). One instance per command: System.CommandLine options belong to one parent.
/// </summary>
internal sealed class InitiatorOptions
{
    private readonly CliContext _context;

    private readonly Option<string> _initiatorName = new("--initiator-name")
    {
        Description = "Our iSCSI name [default: iqn.2026-11.org.netscsi:initiator-<hostname>]",
        HelpName = "IQN",
    };

    // A string option: System.CommandLine's tokenizer treats a bool? option's value as optional.
    private readonly Option<string> _headerDigest = new("--header-digest")
    {
        Description = "None or CRC32C (CRC32C is then required) [default: None]",
        HelpName = "None|CRC32C",
    };

    // A string option: System.CommandLine's tokenizer treats a bool? option's value as optional.
    private readonly Option<string> _dataDigest = new("--data-digest")
    {
        Description = "None or CRC32C (CRC32C is then required) [default: None]",
        HelpName = "None|CRC32C",
    };

    private readonly Option<ChapConfig> _chap = new("--chap")
    {
        Description = "Log in with CHAP as USER:SECRET (overrides the URL's user%secret and the node record)",
        HelpName = "USER:SECRET",
        CustomParser = r => ParseChap(r, "--chap"),
    };

    private readonly Option<ChapConfig> _mutualChap = new("--mutual-chap")
    {
        Description = "Require the target to authenticate too, with USER:SECRET (mutual CHAP)",
        HelpName = "USER:SECRET",
        CustomParser = r => ParseChap(r, "--mutual-chap"),
    };

    private readonly Option<string> _chapAlgorithms = new("--chap-algorithms")
    {
        Description = "CHAP_A values to offer, in order: sha256,sha1,md5,sha3-256 [default: sha256,sha1,md5]; md5 for Linux tgt",
        HelpName = "LIST",
    };

    private readonly Option<int?> _connections = new("--connections")
    {
        Description = "Connections per session (MC/S, RFC 7143): offered as MaxConnections; the target's answer caps it [default: 1]",
        HelpName = "N",
        CustomParser = r => NumberParser.Whole(r, "--connections", 1, IscsiSessionOptions.MaxConnectionsLimit),
    };

    private readonly Option<TimeSpan?> _timeout = new("--timeout")
    {
        Description = "Connect/login and per-command timeout, seconds or 500ms/2m [default: 30s]",
        HelpName = "DURATION",
        CustomParser = ParseTimeout,
    };

    private readonly Option<string> _nodeDir = new("--node-dir")
    {
        Description = $"Node record directory [default: ${NodeStore.EnvironmentVariable} or ~/.config/netscsi/nodes]",
        HelpName = "DIR",
    };

    public InitiatorOptions(CliContext context)
    {
        _context = context;
        _chapAlgorithms.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is { } list && ParseAlgorithms(list, out var error) is null)
            {
                r.AddError(error!);
            }
        });
        _headerDigest.Validators.Add(r => ValidateDigest(r, "--header-digest"));
        _dataDigest.Validators.Add(r => ValidateDigest(r, "--data-digest"));
        _initiatorName.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (value is not null && !IscsiNameValidator.TryValidate(value, out var error))
            {
                result.AddError($"--initiator-name: {error}");
            }
        });
    }

    /// <summary>Adds the session options (and <c>--node-dir</c>) to a command.</summary>
    public void AddTo(Command command, bool sessionOptions = true)
    {
        if (sessionOptions)
        {
            command.Options.Add(_initiatorName);
            command.Options.Add(_headerDigest);
            command.Options.Add(_dataDigest);
            command.Options.Add(_chap);
            command.Options.Add(_mutualChap);
            command.Options.Add(_chapAlgorithms);
            command.Options.Add(_connections);
            command.Options.Add(_timeout);
        }

        command.Options.Add(_nodeDir);
    }

    public InitiatorSettings Read(ParseResult parseResult) => new(
        parseResult.GetValue(_initiatorName),
        Digest(parseResult.GetValue(_headerDigest)),
        Digest(parseResult.GetValue(_dataDigest)),
        parseResult.GetValue(_chap),
        parseResult.GetValue(_mutualChap),
        parseResult.GetValue(_timeout),
        NodeStore.Locate(parseResult.GetValue(_nodeDir), _context.GetEnvironmentVariable))
    {
        ChapAlgorithms = parseResult.GetValue(_chapAlgorithms) is { } list ? ParseAlgorithms(list, out _) : null,
        Connections = parseResult.GetValue(_connections),
    };

    private static List<ChapAlgorithm>? ParseAlgorithms(string list, out string? error)
    {
        var result = new List<ChapAlgorithm>();
        foreach (var name in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            ChapAlgorithm? algorithm = name.ToLowerInvariant() switch
            {
                "md5" => ChapAlgorithm.Md5,
                "sha1" or "sha-1" => ChapAlgorithm.Sha1,
                "sha256" or "sha-256" => ChapAlgorithm.Sha256,
                "sha3-256" or "sha3_256" => ChapAlgorithm.Sha3_256,
                _ => null,
            };
            if (algorithm is null)
            {
                error = $"--chap-algorithms: unknown algorithm '{name}' (md5, sha1, sha256, sha3-256)";
                return null;
            }

            result.Add(algorithm.Value);
        }

        error = result.Count == 0 ? "--chap-algorithms: empty list" : null;
        return error is null ? result : null;
    }

    private static bool? Digest(string? value) => value is null ? null : DigestParser.TryParse(value, out bool crc) && crc;

    private static void ValidateDigest(OptionResult result, string name)
    {
        var text = result.GetValueOrDefault<string>();
        if (text is not null && !DigestParser.TryParse(text, out _))
        {
            result.AddError($"{name} '{text}': expected None or CRC32C");
        }
    }

    private static ChapConfig? ParseChap(ArgumentResult result, string name)
    {
        if (ChapParser.TryParse(result.Tokens[^1].Value, name, out var chap, out var error))
        {
            return chap;
        }

        result.AddError(error!);
        return null;
    }

    private static TimeSpan? ParseTimeout(ArgumentResult result)
    {
        if (DurationParser.TryParse(result.Tokens[^1].Value, out var value, out var error))
        {
            return value;
        }

        result.AddError($"--timeout: {error}");
        return null;
    }
}
