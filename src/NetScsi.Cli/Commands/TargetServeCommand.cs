using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Microsoft.Extensions.Logging;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Control;
using NetScsi.Cli.Hosting;
using NetScsi.Cli.Parsing;

using NetScsi.Transport;

namespace NetScsi.Cli.Commands;

/// <summary>
/// <c>netscsi target serve</c>: build the configuration (config file, then flags, then defaults),
/// validate it, and run the target until SIGINT/SIGTERM.
/// </summary>
internal sealed class TargetServeCommand
{
    private readonly CliContext _context;

    private readonly Option<string> _config = new("--config", "-c")
    {
        Description = "JSON config file (docs/config.md); flags override or add to it",
        HelpName = "FILE",
    };

    private readonly Option<Portal[]> _listen = new("--listen", "-l")
    {
        Description = "Portal to listen on, ADDR[:PORT] (IPv6 in brackets), eth:IFACE, or aoe:IFACE,shelf=S (ATA over Ethernet: LUN n is slot n); repeatable [default: 127.0.0.1:3260]",
        HelpName = "ADDR:PORT",
        CustomParser = ParseEach<Portal>((string s, out Portal? v, out string? e) => PortalParser.TryParse(s, out v, out e)),
    };

    private readonly Option<string> _iqn = new("--iqn")
    {
        Description = $"Target name (iqn./eui./naa.) [default: {ServeDefaults.TargetIqn}]",
        HelpName = "IQN",
    };

    private readonly Option<string> _alias = new("--alias")
    {
        Description = "TargetAlias reported to initiators",
        HelpName = "TEXT",
    };

    private readonly Option<LunConfig[]> _lun = new("--lun")
    {
        Description = "LUN: file:PATH[,size=SIZE][,block-size=512|4096][,readonly][,removable][,lun=N], memory:SIZE[,...] or rbd:POOL/IMAGE[,conf=PATH][,id=CLIENT][,readonly]; repeatable [default: file:./netscsi-data/lun0.img,size=1G]",
        HelpName = "SPEC",
        CustomParser = ParseEach<LunConfig>((string s, out LunConfig? v, out string? e) => LunSpecParser.TryParse(s, out v, out e)),
    };

    private readonly Option<ChapConfig> _chap = ChapOption("--chap", "Require initiators to authenticate with CHAP, USER:SECRET");

    private readonly Option<ChapConfig> _mutualChap = ChapOption("--mutual-chap", "Credentials the target answers with when initiators ask it to authenticate, USER:SECRET");

    private readonly Option<System.Net.IPEndPoint> _metrics = new("--metrics")
    {
        Description = "Serve metrics for Prometheus at http://ADDR:PORT/metrics (per LUN and per target) [default: off]",
        HelpName = "ADDR:PORT",
        CustomParser = ParseOne<System.Net.IPEndPoint>((string s, out System.Net.IPEndPoint? v, out string? e) => MetricsEndpointParser.TryParse(s, out v, out e)),
    };

    private readonly Option<ChapConfig> _discoveryChap = ChapOption("--discovery-chap", "Require discovery sessions (SendTargets) to authenticate with CHAP, USER:SECRET [default: discovery is open]");

    private readonly Option<ChapConfig> _discoveryMutualChap = ChapOption("--discovery-mutual-chap", "Credentials the target answers with when a discovery session asks it to authenticate, USER:SECRET");

    private readonly Option<AclConfig[]> _acl = new("--acl")
    {
        Description = "Allow only listed initiators, INITIATOR[=LUN,LUN...]; repeatable [default: everyone]",
        HelpName = "INITIATOR",
        CustomParser = ParseEach<AclConfig>((string s, out AclConfig? v, out string? e) => AclSpecParser.TryParse(s, out v, out e)),
    };

    private readonly Option<int?> _queueDepth = new("--queue-depth")
    {
        Description = $"Commands a session may have outstanding (CmdSN window) [default: {ServeConfiguration.DefaultQueueDepth}]",
        HelpName = "N",
        CustomParser = ParseQueueDepth,
    };

    private readonly Option<int?> _maxConnections = new("--max-connections")
    {
        Description = $"Most connections one session may have (MC/S; MaxConnections, the initiator's offer if lower), 1..{ServeConfigurationValidator.MaxMaxConnections} [default: {ServeConfiguration.DefaultMaxConnections}]",
        HelpName = "N",
        CustomParser = result => ParseWholeNumber(result, "--max-connections", ServeConfigurationValidator.MaxMaxConnections),
    };

    private readonly Option<string> _controlSocket = new("--control-socket")
    {
        Description = $"Unix socket for netscsi target lun/acl/chap/portal/session/saveconfig/reload (mode 0600) [default: {ControlSettings.DefaultSocketPath}]",
        HelpName = "PATH",
    };

    private readonly Option<LogLevel?> _logLevel = new("--log-level")
    {
        Description = "trace, debug, information, warning or error; logs go to stderr [default: information]",
        HelpName = "LEVEL",
        CustomParser = ParseLogLevel,
    };

    private readonly Option<TpgSpec> _tpg = new("--tpg")
    {
        Description = "ALUA: this gateway's target port group N (1..65535; also its portal group tag) and initial state [default state: active-optimized; with --alua-follow-lock: the state while not owning the lock, default standby]",
        HelpName = "N[=STATE]",
        CustomParser = ParseOne<TpgSpec>((string s, out TpgSpec? v, out string? e) => TpgSpecParser.TryParse(s, "--tpg", out v, out e)),
    };

    private readonly Option<TpgSpec[]> _peerTpg = new("--peer-tpg")
    {
        Description = "ALUA: another gateway's target port group M (its relative target port M), reported by REPORT TARGET PORT GROUPS [default state: active-non-optimized; standby with --alua-follow-lock]; repeatable",
        HelpName = "M[=STATE]",
        CustomParser = ParseEach<TpgSpec>((string s, out TpgSpec? v, out string? e) => TpgSpecParser.TryParse(s, "--peer-tpg", out v, out e)),
    };

    private readonly Option<bool> _aluaFollowLock = new("--alua-follow-lock")
    {
        Description = "ALUA states follow the RBD image's exclusive lock: its owner is active-optimized; a gateway takes the lock when its owner is gone (rbd: LUNs only)",
    };

    public TargetServeCommand(CliContext context)
    {
        _context = context;
        Command = new Command("serve", "Serve iSCSI targets until interrupted (SIGINT/SIGTERM stop gracefully)")
        {
            _config, _listen, _iqn, _alias, _lun, _chap, _mutualChap, _discoveryChap, _discoveryMutualChap, _acl, _queueDepth, _maxConnections, _logLevel, _metrics, _tpg, _peerTpg, _aluaFollowLock, _controlSocket,
        };
        _iqn.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (value is not null && !IscsiNameValidator.TryValidate(value, out var error))
            {
                result.AddError($"--iqn: {error}");
            }
        });
        Command.SetAction(ExecuteAsync);
    }

    public Command Command { get; }

    private delegate bool TryParser<T>(string text, out T? value, out string? error);

    /// <summary>A <c>USER:SECRET</c> option, its errors naming the option.</summary>
    private static Option<ChapConfig> ChapOption(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "USER:SECRET",
        CustomParser = ParseOne<ChapConfig>((string s, out ChapConfig? v, out string? e) => ChapParser.TryParse(s, name, out v, out e)),
    };

    /// <summary>Builds the configuration from the flags (and the config file they name); no I/O beyond reading that file.</summary>
    /// <exception cref="CliException">The config file or the merged configuration is invalid.</exception>
    internal ServeConfiguration BuildConfiguration(ParseResult parseResult, out IReadOnlyList<string> warnings)
    {
        var flags = new ServeFlags
        {
            ConfigPath = parseResult.GetValue(_config),
            Listen = parseResult.GetValue(_listen) ?? [],
            Iqn = parseResult.GetValue(_iqn),
            Alias = parseResult.GetValue(_alias),
            Luns = parseResult.GetValue(_lun) ?? [],
            Chap = parseResult.GetValue(_chap),
            MutualChap = parseResult.GetValue(_mutualChap),
            Acls = parseResult.GetValue(_acl) ?? [],
            DiscoveryChap = parseResult.GetValue(_discoveryChap),
            Metrics = parseResult.GetValue(_metrics),
            DiscoveryMutualChap = parseResult.GetValue(_discoveryMutualChap),
            QueueDepth = parseResult.GetValue(_queueDepth),
            MaxConnections = parseResult.GetValue(_maxConnections),
            LogLevel = parseResult.GetValue(_logLevel),
            Tpg = parseResult.GetValue(_tpg),
            PeerTpgs = parseResult.GetValue(_peerTpg) ?? [],
            AluaFollowLock = parseResult.GetValue(_aluaFollowLock),
        };

        var fromFile = flags.ConfigPath is null ? null : ConfigFileLoader.Load(flags.ConfigPath);
        var configuration = ServeConfigurationBuilder.Build(fromFile, flags);
        var validation = ServeConfigurationValidator.Validate(configuration);
        if (!validation.IsValid)
        {
            throw CliException.Usage(string.Join(Environment.NewLine + "netscsi: error: ", validation.Errors));
        }

        warnings = validation.Warnings;
        return configuration;
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        ServeConfiguration configuration;
        try
        {
            configuration = BuildConfiguration(parseResult, out var warnings);
            foreach (var warning in warnings)
            {
                await _context.Error.WriteLineAsync($"netscsi: warning: {warning}").ConfigureAwait(false);
            }
        }
        catch (CliException e)
        {
            await _context.Error.WriteLineAsync($"netscsi: error: {e.Message}").ConfigureAwait(false);
            return e.ExitCode;
        }

        var configPath = parseResult.GetValue(_config);
        var control = new ControlSettings(
            parseResult.GetValue(_controlSocket) ?? ControlSettings.DefaultSocketPath,
            configPath,
            configPath is null ? null : () => BuildConfiguration(parseResult, out _));
        return await ServeHost.RunAsync(configuration, _context.RunnerFactory, _context.Output, _context.Error, cancellationToken, control)
            .ConfigureAwait(false);
    }

    private static Func<ArgumentResult, T[]?> ParseEach<T>(TryParser<T> tryParse) where T : class => result =>
    {
        var values = new List<T>(result.Tokens.Count);
        foreach (var token in result.Tokens)
        {
            if (tryParse(token.Value, out var value, out var error))
            {
                values.Add(value!);
            }
            else
            {
                result.AddError(error!);
            }
        }

        return values.ToArray();
    };

    private static Func<ArgumentResult, T?> ParseOne<T>(TryParser<T> tryParse) where T : class => result =>
    {
        var token = result.Tokens[^1].Value;
        if (tryParse(token, out var value, out var error))
        {
            return value;
        }

        result.AddError(error!);
        return null;
    };

    private static int? ParseQueueDepth(ArgumentResult result) => ParseWholeNumber(result, "--queue-depth", ServeConfigurationValidator.MaxQueueDepth);

    private static int? ParseWholeNumber(ArgumentResult result, string option, int max)
    {
        var text = result.Tokens[^1].Value;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= max)
        {
            return n;
        }

        result.AddError($"{option} '{text}': expected a whole number 1..{max}");
        return null;
    }

    private static LogLevel? ParseLogLevel(ArgumentResult result)
    {
        var text = result.Tokens[^1].Value;
        if (LogLevelParser.TryParse(text, out var level))
        {
            return level;
        }

        result.AddError($"--log-level: {LogLevelParser.Error(text)}");
        return null;
    }
}
