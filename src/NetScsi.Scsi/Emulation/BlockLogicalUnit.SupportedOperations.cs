using System.Buffers.Binary;
using NetScsi.Scsi.Commands;

namespace NetScsi.Scsi.Emulation;

public sealed partial class BlockLogicalUnit
{
    private const int CommandDescriptorLength = 8;
    private const int CommandTimeoutsDescriptorLength = 12;
    private const uint RecommendedCommandTimeoutSeconds = 30;

    /// <summary>
    /// The commands this unit supports, each with its CDB USAGE DATA (SPC-4 §6.35.3): the opcode, then a
    /// bit set for every CDB bit that is not reserved. The control byte reports NACA only.
    /// </summary>
    private static readonly SupportedCommand[] s_supportedCommands =
    [
        new(ScsiOpcode.TestUnitReady, null, false, [0x00, 0x00, 0x00, 0x00, 0x00, 0x04]),
        new(ScsiOpcode.RequestSense, null, false, [0x03, 0x01, 0x00, 0x00, 0xFF, 0x04]),
        new(ScsiOpcode.Read6, null, false, [0x08, 0x1F, 0xFF, 0xFF, 0xFF, 0x04]),
        new(ScsiOpcode.Write6, null, false, [0x0A, 0x1F, 0xFF, 0xFF, 0xFF, 0x04]),
        new(ScsiOpcode.Inquiry, null, false, [0x12, 0x03, 0xFF, 0xFF, 0xFF, 0x04]),
        new(ScsiOpcode.ModeSelect6, null, false, [0x15, 0x11, 0x00, 0x00, 0xFF, 0x04]),
        new(ScsiOpcode.Reserve6, null, false, [0x16, 0x00, 0x00, 0x00, 0x00, 0x04]),
        new(ScsiOpcode.Release6, null, false, [0x17, 0x00, 0x00, 0x00, 0x00, 0x04]),
        new(ScsiOpcode.ModeSense6, null, false, [0x1A, 0x08, 0xFF, 0xFF, 0xFF, 0x04]),
        new(ScsiOpcode.StartStopUnit, null, false, [0x1B, 0x01, 0x00, 0x0F, 0xF7, 0x04]),
        new(ScsiOpcode.PreventAllowMediumRemoval, null, false, [0x1E, 0x00, 0x00, 0x00, 0x03, 0x04]),
        new(ScsiOpcode.ReadCapacity10, null, false, [0x25, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x01, 0x04]),
        new(ScsiOpcode.Read10, null, false, [0x28, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0x04]),
        new(ScsiOpcode.Write10, null, false, [0x2A, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0x04]),
        new(ScsiOpcode.WriteAndVerify10, null, false, [0x2E, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0x04]),
        new(ScsiOpcode.Verify10, null, false, [0x2F, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0x04]),
        new(ScsiOpcode.ReadDefectData10, null, false, [0x37, 0x00, 0x1F, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x04]),
        new(ScsiOpcode.PreFetch10, null, false, [0x34, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0x04]),
        new(ScsiOpcode.SynchronizeCache10, null, false, [0x35, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0x04]),
        new(ScsiOpcode.WriteSame10, null, false, [0x41, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0x04]),
        new(ScsiOpcode.Unmap, null, true, [0x42, 0x01, 0x00, 0x00, 0x00, 0x00, 0x1F, 0xFF, 0xFF, 0x04]),
        new(ScsiOpcode.Sanitize, ScsiOpcode.SanitizeOverwrite, false, SanitizeUsage),
        new(ScsiOpcode.Sanitize, ScsiOpcode.SanitizeBlockErase, true, SanitizeUsage),
        new(ScsiOpcode.Sanitize, ScsiOpcode.SanitizeExitFailureMode, false, SanitizeUsage),
        new(ScsiOpcode.ModeSelect10, null, false, [0x55, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x04]),
        new(ScsiOpcode.Reserve10, null, false, [0x56, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04]),
        new(ScsiOpcode.Release10, null, false, [0x57, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04]),
        new(ScsiOpcode.ModeSense10, null, false, [0x5A, 0x18, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x04]),
        new(ScsiOpcode.PersistentReserveIn, 0x00, false, PrInUsage),
        new(ScsiOpcode.PersistentReserveIn, 0x01, false, PrInUsage),
        new(ScsiOpcode.PersistentReserveIn, 0x02, false, PrInUsage),
        new(ScsiOpcode.PersistentReserveIn, 0x03, false, PrInUsage),
        new(ScsiOpcode.PersistentReserveOut, 0x00, false, PrOutUsage),
        new(ScsiOpcode.PersistentReserveOut, 0x01, false, PrOutUsage),
        new(ScsiOpcode.PersistentReserveOut, 0x02, false, PrOutUsage),
        new(ScsiOpcode.PersistentReserveOut, 0x03, false, PrOutUsage),
        new(ScsiOpcode.PersistentReserveOut, 0x04, false, PrOutUsage),
        new(ScsiOpcode.PersistentReserveOut, 0x05, false, PrOutUsage),
        new(ScsiOpcode.PersistentReserveOut, 0x06, false, PrOutUsage),
        new(ScsiOpcode.PersistentReserveOut, 0x07, false, PrOutUsage),
        new(ScsiOpcode.ExtendedCopy, ScsiOpcode.ExtendedCopyLid1ServiceAction, false,
            [0x83, 0x1F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x04]),
        new(ScsiOpcode.ReceiveCopyResults, ScsiOpcode.CopyStatusServiceAction, false, ReceiveCopyResultsUsage),
        new(ScsiOpcode.ReceiveCopyResults, ScsiOpcode.OperatingParametersServiceAction, false, ReceiveCopyResultsUsage),
        new(ScsiOpcode.Read16, null, false, Usage16(ScsiOpcode.Read16, 0xF8)),
        new(ScsiOpcode.Write16, null, false, Usage16(ScsiOpcode.Write16, 0xF8)),
        new(ScsiOpcode.CompareAndWrite, null, false,
            [0x89, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0xFF, 0x1F, 0x04]),
        new(ScsiOpcode.OrWrite16, null, false, Usage16(ScsiOpcode.OrWrite16, 0xF8)),
        new(ScsiOpcode.WriteAndVerify16, null, false, Usage16(ScsiOpcode.WriteAndVerify16, 0xF6)),
        new(ScsiOpcode.Verify16, null, false, Usage16(ScsiOpcode.Verify16, 0xF6)),
        new(ScsiOpcode.PreFetch16, null, false, Usage16(ScsiOpcode.PreFetch16, 0x02)),
        new(ScsiOpcode.SynchronizeCache16, null, false, Usage16(ScsiOpcode.SynchronizeCache16, 0x02)),
        new(ScsiOpcode.WriteSame16, null, false, Usage16(ScsiOpcode.WriteSame16, 0xF9)),
        new(ScsiOpcode.WriteAtomic16, null, false,
            [0x9C, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0xFF, 0xFF, 0x1F, 0x04]),
        new(ScsiOpcode.ServiceActionIn16, ScsiOpcode.ReadCapacity16ServiceAction, false,
            [0x9E, 0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x04]),
        new(ScsiOpcode.ServiceActionIn16, ScsiOpcode.GetLbaStatusServiceAction, true,
            [0x9E, 0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x04]),
        new(ScsiOpcode.ReportLuns, null, false, [0xA0, 0x00, 0xFF, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x04]),
        new(ScsiOpcode.MaintenanceIn, ScsiOpcode.ReportSupportedOperationCodesServiceAction, false,
            [0xA3, 0x1F, 0x87, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x04]),
        new(ScsiOpcode.Read12, null, false, [0xA8, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0x04]),
        new(ScsiOpcode.Write12, null, false, [0xAA, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0x04]),
        new(ScsiOpcode.WriteAndVerify12, null, false, [0xAE, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0x04]),
        new(ScsiOpcode.Verify12, null, false, [0xAF, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0x04]),
        new(ScsiOpcode.ReadDefectData12, null, false, [0xB7, 0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x04]),
    ];

    private static byte[] PrInUsage => [0x5E, 0x1F, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x04];

    private static byte[] SanitizeUsage => [0x48, 0xBF, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x04];

    private static byte[] ReceiveCopyResultsUsage =>
        [0x84, 0x1F, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x04];

    private static byte[] PrOutUsage => [0x5F, 0x1F, 0xFF, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x04];

    private static byte[] Usage16(byte opcode, byte flags) =>
        [opcode, flags, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0x04];

    /// <summary>MAINTENANCE IN dispatch (SPC-4 §6.35 is the only service action here).</summary>
    private void MaintenanceIn(ScsiTask task)
    {
        if ((task.Cdb[1] & 0x1F) != ScsiOpcode.ReportSupportedOperationCodesServiceAction)
        {
            task.InvalidFieldInCdb(1, 4);
            return;
        }
        ReportSupportedOperationCodes(task);
    }

    /// <summary>SPC-4 §6.35: REPORT SUPPORTED OPERATION CODES.</summary>
    private void ReportSupportedOperationCodes(ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        bool timeouts = (cdb[2] & 0x80) != 0; // RCTD
        int options = cdb[2] & 0x07;
        byte requestedOpcode = cdb[3];
        ushort requestedServiceAction = CdbDecoder.ReadUInt16(cdb, 4);
        int allocationLength = (int)Math.Min(CdbDecoder.ReadUInt32(cdb, 6), int.MaxValue);

        if (options == 0)
        {
            // All commands: 4-byte header, then a command descriptor (plus timeouts) per command.
            int perCommand = CommandDescriptorLength + (timeouts ? CommandTimeoutsDescriptorLength : 0);
            Span<byte> d = stackalloc byte[4 + (s_supportedCommands.Length * perCommand)];
            d.Clear();
            int offset = 4;
            foreach (SupportedCommand command in s_supportedCommands)
            {
                if (!IsSupported(command))
                {
                    continue;
                }
                Span<byte> desc = d[offset..];
                desc[0] = command.Opcode;
                if (command.ServiceAction is byte serviceAction)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(desc[2..], serviceAction);
                    desc[5] = 0x01; // SERVACTV
                }
                if (timeouts)
                {
                    desc[5] |= 0x02; // CTDP
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

        if (options is not (1 or 2 or 3))
        {
            task.InvalidFieldInCdb(2, 2);
            return;
        }
        bool opcodeHasServiceActions = false;
        SupportedCommand? match = null;
        foreach (SupportedCommand command in s_supportedCommands)
        {
            if (command.Opcode != requestedOpcode || !IsSupported(command))
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
        if ((options == 1 && opcodeHasServiceActions) || (options == 2 && !opcodeHasServiceActions && match is not null))
        {
            task.InvalidFieldInCdb(2, 2);
            return;
        }
        if (options == 1 && match is not null && match.ServiceAction is not null)
        {
            match = null;
        }

        Span<byte> one = stackalloc byte[4 + 16 + CommandTimeoutsDescriptorLength];
        one.Clear();
        int length = 4;
        if (match is null)
        {
            one[1] = 0x01; // SUPPORT: not supported
        }
        else
        {
            one[1] = 0x03; // SUPPORT: supported in conformance with a SCSI standard
            BinaryPrimitives.WriteUInt16BigEndian(one[2..], (ushort)match.Usage.Length);
            match.Usage.CopyTo(one[4..]);
            length += match.Usage.Length;
            if (timeouts)
            {
                one[1] |= 0x80; // CTDP
                WriteCommandTimeouts(one[length..]);
                length += CommandTimeoutsDescriptorLength;
            }
        }
        CompleteDataIn(task, one[..length], allocationLength);
    }

    private bool IsSupported(SupportedCommand command) =>
        (!command.ThinOnly || IsThin) &&
        (command.Opcode != ScsiOpcode.Sanitize || command.ServiceAction != ScsiOpcode.SanitizeBlockErase || SupportsBlockErase) &&
        (command.Opcode != ScsiOpcode.CompareAndWrite || _options.MaxCompareAndWriteLengthBlocks != 0);

    /// <summary>SPC-4 §6.35.4: command timeouts descriptor.</summary>
    private static void WriteCommandTimeouts(Span<byte> d)
    {
        d[..CommandTimeoutsDescriptorLength].Clear();
        BinaryPrimitives.WriteUInt16BigEndian(d, 0x0A); // DESCRIPTOR LENGTH
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], 0); // NOMINAL COMMAND PROCESSING TIMEOUT: not specified
        BinaryPrimitives.WriteUInt32BigEndian(d[8..], RecommendedCommandTimeoutSeconds);
    }

    private sealed class SupportedCommand(byte opcode, byte? serviceAction, bool thinOnly, byte[] usage)
    {
        public byte Opcode { get; } = opcode;

        public byte? ServiceAction { get; } = serviceAction;

        public bool ThinOnly { get; } = thinOnly;

        public byte[] Usage { get; } = usage;
    }
}
