using System.CommandLine;
using System.Globalization;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Initiator;
using NetScsi.Cli.Parsing;
using NetScsi.Iscsi.Initiator;
using NetScsi.Scsi;
using NetScsi.Scsi.Commands;

namespace NetScsi.Cli.Commands;

/// <summary>
/// <c>netscsi unmap URL --lba N --blocks M</c>: UNMAP (SBC-4 §5.32) of a block range, in commands of at most the
/// unit's MAXIMUM UNMAP LBA COUNT. What the blocks read afterwards is the unit's: zeros where it reports LBPRZ.
/// </summary>
internal sealed class UnmapCommand
{
    /// <summary>Per command when the unit reports no limit.</summary>
    private const uint DefaultMaxBlocks = 1 << 20;

    private readonly InitiatorOptions _options;
    private readonly Argument<string> _target = new("target") { Description = "iscsi://HOST[:PORT]/TARGET-IQN/LUN, eth://IFACE/MAC/TARGET-IQN/LUN or NODE[/LUN] (LUN 0 when omitted)" };
    private readonly Option<ulong> _lba = new("--lba") { Description = "First block [default: 0]", HelpName = "N", CustomParser = r => NumberParser.Whole(r, "--lba", 0UL, ulong.MaxValue) };
    private readonly Option<ulong> _blocks = new("--blocks") { Description = "Number of blocks", HelpName = "M", Required = true, CustomParser = r => NumberParser.Whole(r, "--blocks", 1UL, ulong.MaxValue) };

    public UnmapCommand(CliContext context)
    {
        _options = new InitiatorOptions(context);
        Command = new Command("unmap", "Deallocate blocks of a thin-provisioned LUN (UNMAP; destroys what was there)") { _target, _lba, _blocks };
        _options.AddTo(Command);
        Command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(context, () => ExecuteAsync(parseResult, cancellationToken), cancellationToken));
    }

    public Command Command { get; }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        string spec = parseResult.GetValue(_target)!;
        ulong lba = parseResult.GetValue(_lba);
        ulong blocks = parseResult.GetValue(_blocks);
        if (AoeTargets.IsAoe(spec))
        {
            throw CliException.Usage("an AoE device has no UNMAP (its targets take ATA commands); unmap needs a LUN");
        }

        var target = TargetResolver.ResolveTarget(spec, _options.Read(parseResult));
        var session = await Connections.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
        try
        {
            var capacity = await session.ReadCapacityAsync(target.Lun, cancellationToken).ConfigureAwait(false);
            if (lba >= capacity.BlockCount || blocks > capacity.BlockCount - lba)
            {
                throw CliException.Usage(string.Create(CultureInfo.InvariantCulture,
                    $"--lba {lba} --blocks {blocks} runs past the end of LUN {target.Lun} ({capacity.BlockCount} blocks of {capacity.BlockSize} bytes)"));
            }

            var provisioning = await ScsiQueries.ProvisioningAsync(session, target.Lun, cancellationToken).ConfigureAwait(false);
            if (!provisioning.Unmap)
            {
                throw CliException.Usage($"LUN {target.Lun} does not support UNMAP (its Logical Block Provisioning VPD page reports no LBPU)");
            }

            ulong maxBlocks = provisioning.MaxUnmapBlocks is > 0 and < uint.MaxValue ? provisioning.MaxUnmapBlocks : DefaultMaxBlocks;
            byte[] parameters = new byte[UnmapParameterList.LengthFor(1)];
            byte[] cdb = new byte[UnmapCdb.Length];
            for (ulong done = 0; done < blocks;)
            {
                uint n = (uint)Math.Min(maxBlocks, blocks - done);
                UnmapParameterList.Write(parameters, [new UnmapBlockDescriptor(lba + done, n)]);
                new UnmapCdb((ushort)parameters.Length).WriteTo(cdb);
                for (int attempt = 0; ; attempt++)
                {
                    var result = await session.ExecuteAsync(target.Lun, cdb, default, parameters, cancellationToken).ConfigureAwait(false);
                    if (result.IsGood)
                    {
                        break;
                    }

                    if (attempt >= 3 || result.SenseKey != SenseKey.UnitAttention)
                    {
                        throw new ScsiCommandException(result);
                    }
                }

                done += n;
            }
        }
        finally
        {
            await Connections.CloseAsync(session).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }
}
