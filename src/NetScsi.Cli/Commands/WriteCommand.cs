using System.CommandLine;
using System.Globalization;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Initiator;
using NetScsi.Cli.Parsing;
using NetScsi.Transport.Aoe.Client;

namespace NetScsi.Cli.Commands;

/// <summary><c>netscsi write URL --lba N -i FILE</c>: a file's bytes (whole blocks) onto a LUN.</summary>
internal sealed class WriteCommand
{
    private const int ChunkBytes = 1024 * 1024;

    private readonly CliContext _context;
    private readonly InitiatorOptions _options;
    private readonly PathOptions _paths;
    private readonly Argument<string> _target = new("target") { Description = "iscsi://HOST[:PORT]/TARGET-IQN/LUN, NODE[/LUN] (LUN 0 when omitted) or aoe://IFACE/SHELF.SLOT" };
    private readonly Option<ulong> _lba = new("--lba") { Description = "First block [default: 0]", HelpName = "N", CustomParser = r => NumberParser.Whole(r, "--lba", 0UL, ulong.MaxValue) };
    private readonly Option<string> _input = new("--input", "-i") { Description = "File to write; its size must be a whole number of blocks", HelpName = "FILE", Required = true };
    private readonly Option<bool> _fua = new("--fua") { Description = "Force unit access: every WRITE reaches stable storage before it completes" };

    public WriteCommand(CliContext context)
    {
        _context = context;
        _options = new InitiatorOptions(context);
        Command = new Command("write", "Write a file to a LUN at a block address (destroys what was there)") { _target, _lba, _input, _fua };
        _options.AddTo(Command);
        _paths = new PathOptions(context);
        _paths.AddTo(Command);
        Command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(context, () => ExecuteAsync(parseResult, cancellationToken), cancellationToken));
    }

    public Command Command { get; }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        string spec = parseResult.GetValue(_target)!;
        ulong lba = parseResult.GetValue(_lba);
        string path = parseResult.GetValue(_input)!;
        bool fua = parseResult.GetValue(_fua);
        if (AoeTargets.IsAoe(spec))
        {
            _paths.RefuseFor(parseResult, spec);
            return await ExecuteAoeAsync(spec, parseResult, lba, path, fua, cancellationToken).ConfigureAwait(false);
        }

        var target = TargetResolver.ResolveTarget(spec, _options.Read(parseResult));
        await using var file = LocalFiles.OpenRead(path);
        long length = LocalFiles.Length(file, path);

        var session = await _paths.ConnectAsync(parseResult, target, cancellationToken).ConfigureAwait(false);
        try
        {
            var capacity = await session.ReadCapacityAsync(target.Lun, cancellationToken).ConfigureAwait(false);
            int blockSize = capacity.BlockSize;
            if (length == 0 || length % blockSize != 0)
            {
                throw CliException.Usage(string.Create(CultureInfo.InvariantCulture,
                    $"'{path}' is {length} bytes: not a whole number of {blockSize}-byte blocks (pad it, e.g. truncate -s %{blockSize})"));
            }

            ulong blocks = (ulong)(length / blockSize);
            if (lba >= capacity.BlockCount || blocks > capacity.BlockCount - lba)
            {
                throw CliException.Usage(string.Create(CultureInfo.InvariantCulture,
                    $"{blocks} blocks at --lba {lba} run past the end of LUN {target.Lun} ({capacity.BlockCount} blocks)"));
            }

            int chunkBlocks = Math.Max(1, ChunkBytes / blockSize);
            byte[] buffer = new byte[chunkBlocks * blockSize];
            for (ulong done = 0; done < blocks;)
            {
                int n = (int)Math.Min((ulong)chunkBlocks, blocks - done);
                int bytes = n * blockSize;
                await LocalFiles.ReadExactlyAsync(file, buffer.AsMemory(0, bytes), path, cancellationToken).ConfigureAwait(false);
                await session.WriteAsync(target.Lun, lba + done, buffer.AsMemory(0, bytes), fua, cancellationToken).ConfigureAwait(false);
                done += (ulong)n;
            }
        }
        finally
        {
            await PathOptions.CloseAsync(session).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// An AoE device: a megabyte of WRITE SECTORS (EXT) frames at a time. ATA PIO writes have no FUA bit, so --fua
    /// becomes a FLUSH CACHE (EXT) after each megabyte.
    /// </summary>
    private async Task<int> ExecuteAoeAsync(string spec, ParseResult parseResult, ulong lba, string path, bool fua, CancellationToken cancellationToken)
    {
        await using var file = LocalFiles.OpenRead(path);
        long length = LocalFiles.Length(file, path);
        if (length == 0 || length % AoeDevice.SectorSize != 0)
        {
            throw CliException.Usage(string.Create(CultureInfo.InvariantCulture,
                $"'{path}' is {length} bytes: not a whole number of 512-byte sectors (pad it, e.g. truncate -s %512)"));
        }

        await using var device = await AoeTargets.OpenAsync(spec, _options.Read(parseResult), cancellationToken).ConfigureAwait(false);
        ulong sectors = (ulong)(length / AoeDevice.SectorSize);
        if (lba >= device.SectorCount || sectors > device.SectorCount - lba)
        {
            throw CliException.Usage(string.Create(CultureInfo.InvariantCulture,
                $"{sectors} sectors at --lba {lba} run past the end of {device} ({device.SectorCount} sectors)"));
        }

        byte[] buffer = new byte[ChunkBytes];
        for (ulong done = 0; done < sectors;)
        {
            int n = (int)Math.Min((ulong)(ChunkBytes / AoeDevice.SectorSize), sectors - done);
            int bytes = n * AoeDevice.SectorSize;
            await LocalFiles.ReadExactlyAsync(file, buffer.AsMemory(0, bytes), path, cancellationToken).ConfigureAwait(false);
            await device.WriteAsync(lba + done, buffer.AsMemory(0, bytes), cancellationToken).ConfigureAwait(false);
            if (fua)
            {
                await device.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            done += (ulong)n;
        }

        return ExitCodes.Success;
    }
}
