using System.Buffers.Binary;
using NetScsi.Scsi.Commands;

namespace NetScsi.Scsi.Emulation;

public abstract partial class ScsiLogicalUnit
{
    private const int CommandDescriptorLength = 8;
    private const int CommandTimeoutsDescriptorLength = 12;
    private const int MaxCdbUsageLength = 16;
    private const uint RecommendedCommandTimeoutSeconds = 30;
    private const byte ServiceActionMask = 0x1F;

    // SPC-4 §6.35.1: REPORTING OPTIONS and RCTD.
    private const byte ReturnCommandTimeoutsBit = 0x80;
    private const byte ReportingOptionsMask = 0x07;
    private const int ReportAllCommands = 0;
    private const int ReportOneCommand = 1;
    private const int ReportOneServiceAction = 2;
    private const int ReportOneCommandOrServiceAction = 3;

    // SPC-4 §6.35.2 (table 229): SUPPORT, and the flags of the command descriptors.
    private const byte SupportNotSupported = 0x01;
    private const byte SupportInConformance = 0x03;
    private const byte ServiceActionValidBit = 0x01;
    private const byte CommandTimeoutsDescriptorPresentBit = 0x02;
    private const byte OneCommandTimeoutsPresentBit = 0x80;

    /// <summary>MAINTENANCE IN dispatch: REPORT SUPPORTED OPERATION CODES (SPC-4 §6.35), REPORT TARGET PORT GROUPS (§6.27, with ALUA).</summary>
    private void MaintenanceIn(ScsiTask task)
    {
        switch (task.Cdb[1] & ServiceActionMask)
        {
            case ScsiOpcode.ReportSupportedOperationCodesServiceAction:
                ReportSupportedOperationCodes(task);
                break;
            case ScsiOpcode.ReportTargetPortGroupsServiceAction when HasAlua(this):
                ReportTargetPortGroups(task);
                break;
            default:
                task.InvalidFieldInCdb(1, 4);
                break;
        }
    }

    /// <summary>SPC-4 §6.35: REPORT SUPPORTED OPERATION CODES, from the device type's <see cref="CommandTable"/>.</summary>
    private void ReportSupportedOperationCodes(ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        bool timeouts = (cdb[2] & ReturnCommandTimeoutsBit) != 0; // RCTD
        int options = cdb[2] & ReportingOptionsMask;
        byte requestedOpcode = cdb[3];
        ushort requestedServiceAction = CdbDecoder.ReadUInt16(cdb, 4);
        int allocationLength = (int)Math.Min(CdbDecoder.ReadUInt32(cdb, 6), int.MaxValue);

        if (options == ReportAllCommands)
        {
            // All commands: 4-byte header, then a command descriptor (plus timeouts) per command.
            int perCommand = CommandDescriptorLength + (timeouts ? CommandTimeoutsDescriptorLength : 0);
            Span<byte> d = stackalloc byte[4 + (_commands.Commands.Count * perCommand)];
            d.Clear();
            int offset = 4;
            foreach (SupportedCommand command in _commands.Commands)
            {
                if (!command.IsAvailable(this))
                {
                    continue;
                }
                Span<byte> desc = d[offset..];
                desc[0] = command.Opcode;
                if (command.ServiceAction is byte serviceAction)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(desc[2..], serviceAction);
                    desc[5] = ServiceActionValidBit; // SERVACTV
                }
                if (timeouts)
                {
                    desc[5] |= CommandTimeoutsDescriptorPresentBit; // CTDP
                }
                BinaryPrimitives.WriteUInt16BigEndian(desc[6..], (ushort)command.Usage.Length);
                offset += CommandDescriptorLength;
                if (timeouts)
                {
                    WriteCommandTimeouts(d[offset..]);
                    offset += CommandTimeoutsDescriptorLength;
                }
            }
            BinaryPrimitives.WriteUInt32BigEndian(d, (uint)(offset - 4)); // COMMAND DATA LENGTH
            CompleteDataIn(task, d[..offset], allocationLength);
            return;
        }

        if (options is not (ReportOneCommand or ReportOneServiceAction or ReportOneCommandOrServiceAction))
        {
            task.InvalidFieldInCdb(2, 2);
            return;
        }
        bool opcodeHasServiceActions = false;
        SupportedCommand? match = null;
        foreach (SupportedCommand command in _commands.ForOpcode(requestedOpcode))
        {
            if (!command.IsAvailable(this))
            {
                continue;
            }
            opcodeHasServiceActions |= command.ServiceAction is not null;
            if (command.ServiceAction is null || command.ServiceAction == requestedServiceAction)
            {
                match ??= command;
            }
        }
        // SPC-4 §6.35.1: 001b names a command without service actions; 010b one with them.
        if ((options == ReportOneCommand && opcodeHasServiceActions)
            || (options == ReportOneServiceAction && !opcodeHasServiceActions && match is not null))
        {
            task.InvalidFieldInCdb(2, 2);
            return;
        }
        if (options == ReportOneCommand && match is not null && match.ServiceAction is not null)
        {
            match = null;
        }

        Span<byte> one = stackalloc byte[4 + MaxCdbUsageLength + CommandTimeoutsDescriptorLength];
        one.Clear();
        int length = 4;
        if (match is null)
        {
            one[1] = SupportNotSupported;
        }
        else
        {
            one[1] = SupportInConformance;
            BinaryPrimitives.WriteUInt16BigEndian(one[2..], (ushort)match.Usage.Length);
            match.Usage.CopyTo(one[4..]);
            length += match.Usage.Length;
            if (timeouts)
            {
                one[1] |= OneCommandTimeoutsPresentBit; // CTDP
                WriteCommandTimeouts(one[length..]);
                length += CommandTimeoutsDescriptorLength;
            }
        }
        CompleteDataIn(task, one[..length], allocationLength);
    }

    /// <summary>SPC-4 §6.35.4: command timeouts descriptor.</summary>
    private static void WriteCommandTimeouts(Span<byte> d)
    {
        d[..CommandTimeoutsDescriptorLength].Clear();
        BinaryPrimitives.WriteUInt16BigEndian(d, CommandTimeoutsDescriptorLength - 2); // DESCRIPTOR LENGTH
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], 0); // NOMINAL COMMAND PROCESSING TIMEOUT: not specified
        BinaryPrimitives.WriteUInt32BigEndian(d[8..], RecommendedCommandTimeoutSeconds);
    }
}
