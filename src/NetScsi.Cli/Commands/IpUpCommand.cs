using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Hosting;
using NetScsi.Cli.Parsing;
using NetScsi.IpOverScsi;
using NetScsi.IpOverScsi.Link;
using NetScsi.IpOverScsi.Tun;
using NetScsi.Iscsi.Initiator;
using NetScsi.Scsi.Emulation;
using NetScsi.Transport;

namespace NetScsi.Cli.Commands;

/// <summary>
/// <c>netscsi ip up [NAME] --address A/P --listen PORTAL --peer IP=URL ...</c>: creates the TUN interface, serves
/// the local communications device on the portals, logs in to every peer's, and moves datagrams until SIGINT or
/// SIGTERM; then logs out, stops the target and closes the interface, which the kernel removes.
/// </summary>
internal sealed class IpUpCommand
{
    private readonly CliContext _context;

    private readonly Argument<string> _name = new("name")
    {
        Description = "Interface name, at most 15 bytes; %d lets the kernel number it",
        DefaultValueFactory = _ => "scsi%d",
    };

    private readonly Option<string> _address = new("--address", "-a")
    {
        Description = "The interface's IPv4 address and prefix, A.B.C.D/P (the SCSI network's subnet)",
        HelpName = "A.B.C.D/P",
    };

    private readonly Option<int?> _mtu = new("--mtu")
    {
        Description = $"Interface MTU, {TunInterfaceOptions.MinMtu}..{TunInterfaceOptions.MaxMtu} (RFC 2143 §3: one datagram per SEND MESSAGE(10), never fragmented) [default: {TunInterfaceOptions.MaxMtu}]",
        HelpName = "N",
    };

    private readonly Option<string[]> _listen = new("--listen", "-l")
    {
        Description = "Portal the local communications device is served on, ADDR[:PORT] or eth:IFACE (raw Ethernet); repeatable [default: 127.0.0.1:3260]",
        HelpName = "PORTAL",
    };

    private readonly Option<string[]> _peer = new("--peer", "-p")
    {
        Description = "A neighbour: [its IPv4 address=]the URL of its communications device, iscsi://HOST[:PORT][/IQN[/LUN]] or eth://IFACE/MAC[/IQN[/LUN]] (no IQN: SendTargets; no address: found by a neighbour query); repeatable",
        HelpName = "[IP=]URL",
    };

    private readonly Option<string> _iqn = new("--iqn")
    {
        Description = "Name of the local target [default: iqn.2026-11.org.netscsi:ip-ADDRESS]",
        HelpName = "IQN",
    };

    private readonly Option<int?> _lun = new("--lun")
    {
        Description = "LUN of the local communications device [default: 0]",
        HelpName = "N",
    };

    private readonly Option<string> _queueFull = new("--queue-full")
    {
        Description = "What a datagram meets when the receive queue is full: drop (counted, as a NIC), busy or task-set-full [default: drop]",
        HelpName = "ACTION",
    };

    private readonly Option<int?> _receiveQueue = new("--receive-queue")
    {
        Description = "Datagrams the receive queue holds; 0: no queue, each datagram goes to the interface on the command's path [default: 1024]",
        HelpName = "N",
    };

    private readonly Option<int?> _maxInFlight = new("--max-in-flight")
    {
        Description = "SEND MESSAGE commands outstanding per peer; more datagrams are dropped [default: 64]",
        HelpName = "N",
    };

    private readonly Option<string> _status = new("--status-file")
    {
        Description = $"Where the interface's state is kept for 'netscsi ip show' [default: {IpCommand.StatusDirectory}/NAME.json]",
        HelpName = "FILE",
    };

    private readonly Option<LogLevel?> _logLevel = new("--log-level")
    {
        Description = "trace, debug, information, warning or error; logs go to stderr [default: information]",
        HelpName = "LEVEL",
        CustomParser = result =>
        {
            var text = result.Tokens[^1].Value;
            if (LogLevelParser.TryParse(text, out var level))
            {
                return level;
            }
            result.AddError($"--log-level: {LogLevelParser.Error(text)}");
            return null;
        },
    };

    public IpUpCommand(CliContext context)
    {
        _context = context;
        Command = new Command("up", "Bring up an IP over SCSI interface and run it until interrupted (SIGINT/SIGTERM remove it)")
        {
            _name, _address, _mtu, _listen, _peer, _iqn, _lun, _queueFull, _receiveQueue, _maxInFlight, _status, _logLevel,
        };
        Command.SetAction(ExecuteAsync);
    }

    public Command Command { get; }

    /// <summary>Everything <c>ip up</c> was told, checked.</summary>
    internal sealed record Settings(
        TunInterfaceOptions Tun,
        IReadOnlyList<Portal> Listen,
        IReadOnlyList<IpPeerSpec> Peers,
        string TargetName,
        int Lun,
        MessageQueueFullAction QueueFull,
        int ReceiveQueue,
        int MaxInFlight,
        string? StatusFile,
        LogLevel LogLevel);

    /// <summary>Reads and checks the flags; throws a usage <see cref="CliException"/> naming the first bad one.</summary>
    internal Settings Read(ParseResult parseResult)
    {
        var tun = new TunInterfaceOptions { Name = parseResult.GetValue(_name) ?? "scsi%d" };
        if (parseResult.GetValue(_mtu) is int mtu)
        {
            tun.Mtu = mtu;
        }
        if (parseResult.GetValue(_address) is string address)
        {
            (tun.Address, tun.PrefixLength) = ParseCidr(address);
        }
        if (tun.Validate() is string invalid)
        {
            throw CliException.Usage(invalid);
        }

        var listen = new List<Portal>();
        foreach (string text in parseResult.GetValue(_listen) ?? [])
        {
            if (!PortalParser.TryParse(text, out Portal? portal, out string? error))
            {
                throw CliException.Usage($"--listen: {error}");
            }
            listen.Add(portal);
        }
        if (listen.Count == 0)
        {
            listen.Add(new NetScsi.Transport.Tcp.TcpPortal(new IPEndPoint(IPAddress.Loopback, PortalParser.DefaultPort)));
        }

        var peers = new List<IpPeerSpec>();
        foreach (string text in parseResult.GetValue(_peer) ?? [])
        {
            if (!IpPeerSpec.TryParse(text, out IpPeerSpec? peer, out string? error))
            {
                throw CliException.Usage(error);
            }
            if (peer.Address is not null && peers.Exists(p => peer.Address.Equals(p.Address)))
            {
                throw CliException.Usage($"--peer: {peer.Address} is given twice");
            }
            if (peer.Address is not null && peer.Address.Equals(tun.Address))
            {
                throw CliException.Usage($"--peer: {peer.Address} is this interface's own address");
            }
            peers.Add(peer);
        }

        string targetName = parseResult.GetValue(_iqn)
            ?? "iqn.2026-11.org.netscsi:ip-" + (tun.Address?.ToString() ?? tun.Name.Replace("%d", "", StringComparison.Ordinal));
        if (!IscsiNameValidator.TryValidate(targetName, out string? nameError))
        {
            throw CliException.Usage($"--iqn: {nameError}");
        }

        int lun = parseResult.GetValue(_lun) ?? 0;
        if (lun is < 0 or > 255)
        {
            throw CliException.Usage("--lun: expected 0..255");
        }

        MessageQueueFullAction queueFull = (parseResult.GetValue(_queueFull) ?? "drop").ToLowerInvariant() switch
        {
            "drop" => MessageQueueFullAction.DropAndCount,
            "busy" => MessageQueueFullAction.Busy,
            "task-set-full" => MessageQueueFullAction.TaskSetFull,
            string other => throw CliException.Usage($"--queue-full '{other}': expected drop, busy or task-set-full"),
        };

        int receiveQueue = parseResult.GetValue(_receiveQueue) ?? 1024;
        if (receiveQueue is < 0 or > 65536)
        {
            throw CliException.Usage("--receive-queue: expected 0..65536");
        }
        int maxInFlight = parseResult.GetValue(_maxInFlight) ?? 64;
        if (maxInFlight is < 1 or > 1024)
        {
            throw CliException.Usage("--max-in-flight: expected 1..1024");
        }

        return new Settings(tun, listen, peers, targetName, lun, queueFull, receiveQueue, maxInFlight,
            parseResult.GetValue(_status), parseResult.GetValue(_logLevel) ?? LogLevel.Information);
    }

    private static (IPAddress Address, int PrefixLength) ParseCidr(string text)
    {
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string address = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(address, out IPAddress? ip) || ip.AddressFamily != AddressFamily.InterNetwork || address.Count(c => c == '.') != 3)
        {
            throw CliException.Usage($"--address '{text}': expected an IPv4 address with a prefix, A.B.C.D/P");
        }
        if (slash < 0)
        {
            throw CliException.Usage($"--address '{text}': the prefix length is missing (A.B.C.D/P, e.g. {address}/24)");
        }
        if (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int prefix) || prefix > 32)
        {
            throw CliException.Usage($"--address '{text}': the prefix length must be 0..32");
        }
        return (ip, prefix);
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Settings settings;
        try
        {
            settings = Read(parseResult);
        }
        catch (CliException e)
        {
            await _context.Error.WriteLineAsync($"netscsi: error: {e.Message}").ConfigureAwait(false);
            return e.ExitCode;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using ILoggerFactory loggerFactory = LoggerFactory.Create(b => b
            .SetMinimumLevel(settings.LogLevel)
            .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; })
            .AddFilter("NetScsi.Iscsi", settings.LogLevel <= LogLevel.Debug ? settings.LogLevel : LogLevel.Warning));

        TunInterface tun;
        try
        {
            tun = TunInterface.Create(settings.Tun);
        }
        catch (TunException e)
        {
            await _context.Error.WriteLineAsync($"netscsi: error: {e.Message}").ConfigureAwait(false);
            return ExitCodes.RuntimeFailure;
        }

        var options = new IpOverScsiOptions
        {
            TargetName = settings.TargetName,
            Lun = settings.Lun,
            QueueFullAction = settings.QueueFull,
            ReceiveQueueMessages = settings.ReceiveQueue,
            Links = new PeerLinkOptions { MaxInFlight = settings.MaxInFlight },
            LoggerFactory = loggerFactory,
            LocalAddress = settings.Tun.Address,
        };
        foreach (Portal portal in settings.Listen)
        {
            options.ListenPortals.Add(portal);
        }
        foreach (IDataMoverTransport transport in CliTransports.All)
        {
            options.Transports.Add(transport);
        }
        string initiatorName = settings.TargetName + ".initiator";
        foreach (IpPeerSpec peer in settings.Peers)
        {
            IscsiSessionOptions session = peer.NewSessionOptions();
            session.InitiatorName = initiatorName;
            session.InlineCompletions = true;
            // Lost for good after this long; the link then logs in afresh (a peer that restarts is found again).
            session.ReplacementTimeout = TimeSpan.FromSeconds(5);
            session.LoginTimeout = TimeSpan.FromSeconds(5);
            options.Peers.Add(new PeerOptions
            {
                Address = peer.Address,
                Session = session,
                Lun = peer.Lun,
                DisplayName = peer.DisplayName,
            });
        }

        IpOverScsiInterface link;
        try
        {
            link = await IpOverScsiInterface.StartAsync(tun, options, stop.Token).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            var failure = ListenErrors.Describe(e, settings.Listen);
            await _context.Error.WriteLineAsync($"netscsi: error: {failure.Message}").ConfigureAwait(false);
            return failure.ExitCode;
        }

        string statusFile = settings.StatusFile ?? Path.Combine(IpCommand.StatusDirectory, tun.Name + ".json");
        await using (link.ConfigureAwait(false))
        {
            string address = settings.Tun.Address is null ? "no address" : $"{settings.Tun.Address}/{settings.Tun.PrefixLength}";
            await _context.Output.WriteLineAsync($"interface {tun.Name}: {address}, mtu {tun.Mtu}").ConfigureAwait(false);
            foreach (Portal portal in link.ListeningPortals)
            {
                await _context.Output.WriteLineAsync($"communications device: {settings.TargetName} LUN {settings.Lun} on {PortalParser.Format(portal)}").ConfigureAwait(false);
            }
            foreach (PeerLink peer in link.Links)
            {
                await _context.Output.WriteLineAsync($"peer {peer.Name}").ConfigureAwait(false);
            }
            await _context.Output.WriteLineAsync($"interface {tun.Name} ready").ConfigureAwait(false);
            await _context.Output.FlushAsync(CancellationToken.None).ConfigureAwait(false);

            try
            {
                while (!stop.IsCancellationRequested)
                {
                    IpStatus.TryWrite(statusFile, link, settings);
                    await Task.Delay(TimeSpan.FromSeconds(1), stop.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
            }
            await _context.Output.WriteLineAsync($"interface {tun.Name}: stopping").ConfigureAwait(false);
        }
        IpStatus.TryDelete(statusFile);
        return ExitCodes.Success;
    }
}
