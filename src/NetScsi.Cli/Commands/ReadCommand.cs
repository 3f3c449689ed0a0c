using System.CommandLine;
using System.Globalization;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Initiator;
using NetScsi.Cli.Parsing;
using NetScsi.Transport.Aoe.Client;

namespace NetScsi.Cli.Commands;

/// <summary><c>netscsi read URL --lba N --blocks M [-o FILE]</c>: raw blocks to a file or stdout.</summary>
internal sealed class ReadCommand
{
    /// <summary>Bytes per READ command.</summary>
    private const int ChunkBytes = 1024 * 1024;

    private readonly CliContext _context;
    private readonly InitiatorOptions _options;
    private readonly PathOptions _paths;
    private readonly Argument<string> _target = new("target") { Description = "iscsi://HOST[:PORT]/TARGET-IQN/LUN, NODE[/LUN] (LUN 0 when omitted) or aoe://IFACE/SHELF.SLOT" };
    private readonly Option<ulong> _lba = new("--lba") { Description = "First block [default: 0]", HelpName = "N", CustomParser = r => NumberParser.Whole(r, "--lba", 0UL, ulong.MaxValue) };
    private readonly Option<ulong> _blocks = new("--blocks") { Description = "Number of blocks", HelpName = "M", Required = true, CustomParser = r => NumberParser.Whole(r, "--blocks", 1UL, uint.MaxValue) };
    private readonly Option<string> _output = new("--output", "-o") { Description = "Write to FILE instead of stdout", HelpName = "FILE" };

    public ReadCommand(CliContext context)
    {
        _context = context;
        _options = new InitiatorOptions(context);
        Command = new Command("read", "Read blocks from a LUN to a file or stdout") { _target, _lba, _blocks, _output };
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
        ulong blocks = parseResult.GetValue(_blocks);
        string? path = parseResult.GetValue(_output);
        if (AoeTargets.IsAoe(spec))
        {
            _paths.RefuseFor(parseResult, spec);
            return await ExecuteAoeAsync(spec, parseResult, lba, blocks, path, cancellationToken).ConfigureAwait(false);
        }

        var target = TargetResolver.ResolveTarget(spec, _options.Read(parseResult));

        var session = await _paths.ConnectAsync(parseResult, target, cancellationToken).ConfigureAwait(false);
        Stream? file = null;
        try
        {
            var capacity = await session.ReadCapacityAsync(target.Lun, cancellationToken).ConfigureAwait(false);
            if (lba >= capacity.BlockCount || blocks > capacity.BlockCount - lba)
            {
                throw CliException.Usage(string.Create(CultureInfo.InvariantCulture,
                    $"--lba {lba} --blocks {blocks} runs past the end of LUN {target.Lun} ({capacity.BlockCount} blocks of {capacity.BlockSize} bytes)"));
            }

            file = path is null ? _context.OpenBinaryOutput() : LocalFiles.Create(path);
            int chunkBlocks = Math.Max(1, ChunkBytes / capacity.BlockSize);
            byte[] buffer = new byte[chunkBlocks * capacity.BlockSize];
            for (ulong done = 0; done < blocks;)
            {
                uint n = (uint)Math.Min((ulong)chunkBlocks, blocks - done);
                int bytes = (int)n * capacity.BlockSize;
                await session.ReadAsync(target.Lun, lba + done, n, buffer.AsMemory(0, bytes), cancellationToken).ConfigureAwait(false);
                await LocalFiles.WriteAsync(file, buffer.AsMemory(0, bytes), path, cancellationToken).ConfigureAwait(false);
                done += n;
            }

            await LocalFiles.FlushAsync(file, path, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (path is not null && file is not null)
            {
                await file.DisposeAsync().ConfigureAwait(false);
            }

            await PathOptions.CloseAsync(session).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    /// <summary>An AoE device: 512-octet sectors, read a megabyte at a time (the frames of each in flight together).</summary>
    private async Task<int> ExecuteAoeAsync(string spec, ParseResult parseResult, ulong lba, ulong blocks, string? path, CancellationToken cancellationToken)
    {
        await using var device = await AoeTargets.OpenAsync(spec, _options.Read(parseResult), cancellationToken).ConfigureAwait(false);
        if (lba >= device.SectorCount || blocks > device.SectorCount - lba)
        {
            throw CliException.Usage(string.Create(CultureInfo.InvariantCulture,
                $"--lba {lba} --blocks {blocks} runs past the end of {device} ({device.SectorCount} sectors of 512 bytes)"));
        }

        Stream file = path is null ? _context.OpenBinaryOutput() : LocalFiles.Create(path);
        try
        {
            int chunkBlocks = ChunkBytes / AoeDevice.SectorSize;
            byte[] buffer = new byte[ChunkBytes];
            for (ulong done = 0; done < blocks;)
            {
                int n = (int)Math.Min((ulong)chunkBlocks, blocks - done);
                int bytes = n * AoeDevice.SectorSize;
                await device.ReadAsync(lba + done, buffer.AsMemory(0, bytes), cancellationToken).ConfigureAwait(false);
                await LocalFiles.WriteAsync(file, buffer.AsMemory(0, bytes), path, cancellationToken).ConfigureAwait(false);
                done += (ulong)n;
            }

            await LocalFiles.FlushAsync(file, path, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (path is not null)
            {
                await file.DisposeAsync().ConfigureAwait(false);
            }
        }

        return ExitCodes.Success;
    }
}
