using System.Buffers.Binary;
using NetScsi.Scsi.Alua;
using NetScsi.Scsi.Commands;

namespace NetScsi.Scsi.Emulation;

public abstract partial class ScsiLogicalUnit
{
    // SPC-4 §6.27 (REPORT TARGET PORT GROUPS): PARAMETER DATA FORMAT, the extended header, the descriptors.
    private const int ParameterDataFormatShift = 5;
    private const int LengthOnlyHeaderFormat = 0;
    private const int ExtendedHeaderFormat = 1;
    private const byte ExtendedHeaderFormatType = 0x10; // FORMAT TYPE 001b
    private const int RtpgLengthOnlyHeaderLength = 4;
    private const int RtpgExtendedHeaderLength = 8;
    private const int TargetPortGroupDescriptorLength = 8;
    private const int TargetPortDescriptorLength = 4;
    // T_SUP, U_SUP, S_SUP, AN_SUP, AO_SUP: the states this unit can report (not offline, not logical block dependent).
    private const byte SupportedStatesBits = 0x8F;
    private const byte AsymmetricAccessStateMask = 0x0F;
    private const int MaxRtpgStackLength = 1024;

    // SPC-4 §6.39 (SET TARGET PORT GROUPS): a 4-byte header, then 4-byte descriptors.
    private const int StpgHeaderLength = 4;
    private const int StpgDescriptorLength = 4;
    private const int MaxStpgDescriptors = 64;

    /// <summary>The unit's target port groups, or null without ALUA.</summary>
    public IAluaStateProvider? Alua => _unitOptions.Alua;

    /// <summary>REPORT TARGET PORT GROUPS is there with ALUA.</summary>
    internal static Func<ScsiLogicalUnit, bool> HasAluaPredicate { get; } = HasAlua;

    /// <summary>SET TARGET PORT GROUPS is there with explicit ALUA.</summary>
    internal static Func<ScsiLogicalUnit, bool> HasExplicitAluaPredicate { get; } = HasExplicitAlua;

    private static bool HasAlua(ScsiLogicalUnit unit) => unit._unitOptions.Alua is not null;

    private static bool HasExplicitAlua(ScsiLogicalUnit unit) =>
        unit._unitOptions.Alua is { } alua && (alua.Transitions & AluaTransitions.Explicit) != 0;

    private static byte TargetPortGroupSupport(ScsiLogicalUnitOptions options, in InquiryProfile profile) =>
        options.Alua is { } alua ? (byte)alua.Transitions : profile.TargetPortGroupSupport;

    /// <summary>SPC-4 §5.15.2.3: every nexus (but the one whose SET caused it) learns the new states.</summary>
    private void OnAluaStateChanged(object? sender, AluaStateChangedEventArgs e) =>
        RaiseUnitAttention(Asc.AsymmetricAccessStateChanged, except: e.Origin);

    /// <summary>The state of the port <paramref name="nexus"/> uses (active/optimized without ALUA or a group for it).</summary>
    private AsymmetricAccessState PortState(ItNexus? nexus) =>
        _unitOptions.Alua is { } alua && nexus is not null && alua.FindByPort(nexus.RelativeTargetPortId) is { } group
            ? group.State
            : AsymmetricAccessState.ActiveOptimized;

    /// <summary>The target port group of the port <paramref name="nexus"/> uses, for VPD page 83h.</summary>
    private ushort PortGroupId(ItNexus? nexus) =>
        _unitOptions.Alua is { } alua && nexus is not null && alua.FindByPort(nexus.RelativeTargetPortId) is { } group
            ? group.Id
            : _unitOptions.TargetPortGroup;

    /// <summary>
    /// SPC-4 §5.15.2.4: a port in standby, unavailable or transitioning admits only some commands; the others end
    /// NOT READY with the state's additional sense code. True when the command is refused (sense set).
    /// </summary>
    private bool RefusedByAccessState(ScsiTask task, byte opcode)
    {
        if (_unitOptions.Alua is null)
        {
            return false;
        }
        AsymmetricAccessState state = PortState(task.Nexus);
        if (state is AsymmetricAccessState.ActiveOptimized or AsymmetricAccessState.ActiveNonOptimized)
        {
            return false;
        }
        if (AccessStateAdmits(state, opcode))
        {
            return false;
        }
        task.CheckCondition(SenseKey.NotReady, AccessStateSense(state));
        return true;
    }

    private static ushort AccessStateSense(AsymmetricAccessState state) => state switch
    {
        AsymmetricAccessState.Standby => Asc.LogicalUnitNotAccessibleTargetPortInStandbyState,
        AsymmetricAccessState.Unavailable => Asc.LogicalUnitNotAccessibleTargetPortInUnavailableState,
        _ => Asc.LogicalUnitNotAccessibleAsymmetricAccessStateTransition,
    };

    /// <summary>The commands SPC-4 §5.15.2.4.4 (standby), .5 (unavailable) and .7 (transitioning) keep, of those implemented here.</summary>
    private static bool AccessStateAdmits(AsymmetricAccessState state, byte opcode)
    {
        // Every state: INQUIRY, REPORT LUNS, REQUEST SENSE, and MAINTENANCE IN (REPORT TARGET PORT GROUPS, and REPORT
        // SUPPORTED OPERATION CODES, which "may" be supported and tells an initiator what the unit is).
        if (opcode is ScsiOpcode.Inquiry or ScsiOpcode.ReportLuns or ScsiOpcode.RequestSense or ScsiOpcode.MaintenanceIn)
        {
            return true;
        }
        return state switch
        {
            AsymmetricAccessState.Standby => opcode is ScsiOpcode.MaintenanceOut
                or ScsiOpcode.ModeSense6 or ScsiOpcode.ModeSense10 or ScsiOpcode.ModeSelect6 or ScsiOpcode.ModeSelect10
                or ScsiOpcode.ReceiveDiagnosticResults or ScsiOpcode.SendDiagnostic
                or ScsiOpcode.PersistentReserveIn or ScsiOpcode.PersistentReserveOut,
            AsymmetricAccessState.Unavailable => opcode is ScsiOpcode.MaintenanceOut,
            _ => false,
        };
    }

    /// <summary>What REQUEST SENSE reports for the port's state when nothing else is pending (false: the port is active).</summary>
    private bool TryGetAccessStateSense(ItNexus? nexus, out ushort ascAndAscq)
    {
        AsymmetricAccessState state = PortState(nexus);
        ascAndAscq = AccessStateSense(state);
        return state is not (AsymmetricAccessState.ActiveOptimized or AsymmetricAccessState.ActiveNonOptimized);
    }

    /// <summary>SPC-4 §6.27: REPORT TARGET PORT GROUPS, every group of <see cref="Alua"/> with its ports.</summary>
    private void ReportTargetPortGroups(ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        IAluaStateProvider alua = _unitOptions.Alua!;
        int format = cdb[1] >> ParameterDataFormatShift;
        if (format is not (LengthOnlyHeaderFormat or ExtendedHeaderFormat))
        {
            task.InvalidFieldInCdb(1, 7);
            return;
        }
        int allocationLength = (int)Math.Min(CdbDecoder.ReadUInt32(cdb, 6), int.MaxValue);
        int headerLength = format == ExtendedHeaderFormat ? RtpgExtendedHeaderLength : RtpgLengthOnlyHeaderLength;
        IReadOnlyList<TargetPortGroup> groups = alua.Groups;
        int length = headerLength;
        for (int i = 0; i < groups.Count; i++)
        {
            length += TargetPortGroupDescriptorLength + (TargetPortDescriptorLength * groups[i].RelativeTargetPorts.Count);
        }
        Span<byte> d = length <= MaxRtpgStackLength ? stackalloc byte[length] : new byte[length];
        d.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(d, (uint)(length - 4)); // RETURN DATA LENGTH
        if (format == ExtendedHeaderFormat)
        {
            d[4] = ExtendedHeaderFormatType;
            d[5] = alua.ImplicitTransitionTimeSeconds;
        }
        int offset = headerLength;
        for (int i = 0; i < groups.Count; i++)
        {
            TargetPortGroup group = groups[i];
            Span<byte> desc = d[offset..];
            desc[0] = (byte)((byte)group.State & AsymmetricAccessStateMask); // PREF 0
            desc[1] = SupportedStatesBits;
            BinaryPrimitives.WriteUInt16BigEndian(desc[2..], group.Id);
            desc[5] = (byte)group.Status;
            desc[7] = (byte)group.RelativeTargetPorts.Count; // TARGET PORT COUNT
            offset += TargetPortGroupDescriptorLength;
            foreach (ushort port in group.RelativeTargetPorts)
            {
                BinaryPrimitives.WriteUInt16BigEndian(d[(offset + 2)..], port);
                offset += TargetPortDescriptorLength;
            }
        }
        CompleteDataIn(task, d, allocationLength);
    }

    /// <summary>MAINTENANCE OUT dispatch: SET TARGET PORT GROUPS (SPC-4 §6.39) is the only service action here.</summary>
    private void MaintenanceOut(ScsiTask task)
    {
        if ((task.Cdb[1] & ServiceActionMask) != ScsiOpcode.SetTargetPortGroupsServiceAction)
        {
            task.InvalidFieldInCdb(1, 4);
            return;
        }
        SetTargetPortGroups(task);
    }

    /// <summary>SPC-4 §6.39: SET TARGET PORT GROUPS, all the listed groups or none.</summary>
    private void SetTargetPortGroups(ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        uint parameterListLength = CdbDecoder.ReadUInt32(cdb, 6);
        task.CommandTransferLength = (int)Math.Min(parameterListLength, int.MaxValue);
        if (parameterListLength == 0)
        {
            return; // SPC-4 §6.39: not an error; nothing changes.
        }
        ReadOnlySpan<byte> data = task.Buffer.Span[..DataOutLength(task)];
        if (parameterListLength < StpgHeaderLength
            || (parameterListLength - StpgHeaderLength) % StpgDescriptorLength != 0
            || (parameterListLength - StpgHeaderLength) / StpgDescriptorLength > MaxStpgDescriptors
            || data.Length < parameterListLength)
        {
            task.CheckCondition(SenseKey.IllegalRequest, Asc.ParameterListLengthError);
            return;
        }
        int count = (int)((parameterListLength - StpgHeaderLength) / StpgDescriptorLength);
        Span<(ushort GroupId, AsymmetricAccessState State)> changes = stackalloc (ushort, AsymmetricAccessState)[count];
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> desc = data[(StpgHeaderLength + (i * StpgDescriptorLength))..];
            changes[i] = (BinaryPrimitives.ReadUInt16BigEndian(desc[2..]), (AsymmetricAccessState)(desc[0] & AsymmetricAccessStateMask));
        }
        if (!_unitOptions.Alua!.TrySetStates(changes, task.Nexus, out int refused))
        {
            // An unknown group, one this gateway cannot change, or a state a SET may not ask for: the descriptor's field.
            int descriptorOffset = StpgHeaderLength + (Math.Max(refused, 0) * StpgDescriptorLength);
            bool badState = refused >= 0 && refused < count && changes[refused].State is not (AsymmetricAccessState.ActiveOptimized
                or AsymmetricAccessState.ActiveNonOptimized or AsymmetricAccessState.Standby or AsymmetricAccessState.Unavailable);
            task.InvalidFieldInParameterList(badState ? descriptorOffset : descriptorOffset + 2, badState ? 3 : -1);
        }
    }
}
