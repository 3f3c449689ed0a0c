using NetScsi.Scsi.Commands;

namespace NetScsi.Scsi.Emulation;

/// <summary>
/// The commands one device type implements: the SPC primary commands every <see cref="ScsiLogicalUnit"/> answers,
/// plus the device type's own. It is the one list REPORT SUPPORTED OPERATION CODES reports and the unit admits:
/// an operation code no available entry names is answered INVALID COMMAND OPERATION CODE before it runs.
/// Built once per device type (a static), ordered by operation code and service action.
/// </summary>
internal sealed class CommandTable
{
    private const int OpcodeCount = 256;

    private readonly SupportedCommand[] _commands;
    private readonly SupportedCommand[]?[] _byOpcode = new SupportedCommand[]?[OpcodeCount];

    private CommandTable(SupportedCommand[] commands)
    {
        _commands = commands;
        foreach (IGrouping<byte, SupportedCommand> group in commands.GroupBy(static c => c.Opcode))
        {
            _byOpcode[group.Key] = group.ToArray();
        }
    }

    /// <summary>Every command, available or not, ordered by operation code and service action.</summary>
    public IReadOnlyList<SupportedCommand> Commands => _commands;

    /// <summary>The primary commands (SPC-4) of every unit, with the device type's <paramref name="deviceCommands"/>.</summary>
    public static CommandTable WithPrimaryCommands(IEnumerable<SupportedCommand> deviceCommands)
    {
        var all = new List<SupportedCommand>(PrimaryCommands());
        foreach (SupportedCommand command in deviceCommands)
        {
            if (all.Exists(c => c.Opcode == command.Opcode && c.ServiceAction == command.ServiceAction))
            {
                throw new ArgumentException($"Command {command.Opcode:X2}h/{command.ServiceAction} is listed twice.", nameof(deviceCommands));
            }
            all.Add(command);
        }
        return new CommandTable([.. all.OrderBy(static c => c.Opcode).ThenBy(static c => c.ServiceAction ?? -1)]);
    }

    /// <summary>True when <paramref name="unit"/> implements the operation code (with at least one service action).</summary>
    public bool Implements(byte opcode, ScsiLogicalUnit unit)
    {
        SupportedCommand[]? entries = _byOpcode[opcode];
        if (entries is null)
        {
            return false;
        }
        foreach (SupportedCommand entry in entries)
        {
            if (entry.IsAvailable(unit))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The CDB length of a vendor-specific operation code (groups 6 and 7, SPC-4 §4.2.5.1, whose length the operation
    /// code does not tell): the length of its CDB USAGE DATA; 0 when the table has none.
    /// </summary>
    public int VendorCdbLength(byte opcode) => _byOpcode[opcode] is { Length: > 0 } entries ? entries[0].Usage.Length : 0;

    /// <summary>The entries of one operation code (empty when none).</summary>
    public ReadOnlySpan<SupportedCommand> ForOpcode(byte opcode) => _byOpcode[opcode];

    /// <summary>SPC-4 commands answered by <see cref="ScsiLogicalUnit"/> itself for every device type.</summary>
    private static IEnumerable<SupportedCommand> PrimaryCommands()
    {
        byte[] prInUsage = [ScsiOpcode.PersistentReserveIn, 0x1F, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x04];
        byte[] prOutUsage = [ScsiOpcode.PersistentReserveOut, 0x1F, 0xFF, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x04];
        yield return new(ScsiOpcode.TestUnitReady, null, [0x00, 0x00, 0x00, 0x00, 0x00, 0x04]);
        yield return new(ScsiOpcode.RequestSense, null, [ScsiOpcode.RequestSense, 0x01, 0x00, 0x00, 0xFF, 0x04]);
        yield return new(ScsiOpcode.Inquiry, null, [ScsiOpcode.Inquiry, 0x03, 0xFF, 0xFF, 0xFF, 0x04]);
        yield return new(ScsiOpcode.Reserve6, null, [ScsiOpcode.Reserve6, 0x00, 0x00, 0x00, 0x00, 0x04]);
        yield return new(ScsiOpcode.Release6, null, [ScsiOpcode.Release6, 0x00, 0x00, 0x00, 0x00, 0x04]);
        yield return new(ScsiOpcode.Reserve10, null, [ScsiOpcode.Reserve10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04]);
        yield return new(ScsiOpcode.Release10, null, [ScsiOpcode.Release10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04]);
        for (byte serviceAction = PersistentReserveInCdb.ReadKeys; serviceAction <= PersistentReserveInCdb.ReadFullStatus; serviceAction++)
        {
            yield return new(ScsiOpcode.PersistentReserveIn, serviceAction, prInUsage);
        }
        for (byte serviceAction = PersistentReserveOutCdb.Register; serviceAction <= PersistentReserveOutCdb.RegisterAndMove; serviceAction++)
        {
            yield return new(ScsiOpcode.PersistentReserveOut, serviceAction, prOutUsage);
        }
        yield return new(ScsiOpcode.ReportLuns, null, [ScsiOpcode.ReportLuns, 0x00, 0xFF, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x04]);
        yield return new(ScsiOpcode.MaintenanceIn, ScsiOpcode.ReportTargetPortGroupsServiceAction,
            [ScsiOpcode.MaintenanceIn, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x04], ScsiLogicalUnit.HasAluaPredicate);
        yield return new(ScsiOpcode.MaintenanceIn, ScsiOpcode.ReportSupportedOperationCodesServiceAction,
            [ScsiOpcode.MaintenanceIn, 0x1F, 0x87, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x04]);
        yield return new(ScsiOpcode.MaintenanceOut, ScsiOpcode.SetTargetPortGroupsServiceAction,
            [ScsiOpcode.MaintenanceOut, 0x1F, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x04], ScsiLogicalUnit.HasExplicitAluaPredicate);
    }
}
