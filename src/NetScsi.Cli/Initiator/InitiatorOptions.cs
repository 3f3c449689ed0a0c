using System.CommandLine;
using System.CommandLine.Parsing;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Nodes;
using NetScsi.Cli.Parsing;

namespace NetScsi.Cli.Initiator;

/// <summary>What every initiator command accepts besides its own arguments.</summary>
internal sealed record InitiatorSettings(
    string? InitiatorName,
    bool? HeaderDigest,
    bool? DataDigest,
    ChapConfig? Chap,
    ChapConfig? MutualChap,
    TimeSpan? Timeout,
    NodeStore Nodes);

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
        NodeStore.Locate(parseResult.GetValue(_nodeDir), _context.GetEnvironmentVariable));

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
