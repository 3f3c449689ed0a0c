using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using NetScsi.Scsi.Commands;

namespace NetScsi.Scsi.Emulation;

/// <summary>
/// The SPC-4 core every logical unit here is built from: unit attentions per I_T nexus (SPC-4 §5.14), the task set
/// and its task attributes (<see cref="TaskSetGate"/>), INQUIRY with the device type and VPD pages 00h/80h/83h,
/// REQUEST SENSE, TEST UNIT READY, REPORT SUPPORTED OPERATION CODES from the device type's <see cref="CommandTable"/>,
/// RESERVE/RELEASE and PERSISTENT RESERVE IN/OUT (<see cref="PersistentReservations"/>). A device type derives from it,
/// hands it a command table and an <see cref="InquiryProfile"/>, and implements its own commands in
/// <see cref="DispatchAsync"/>; the hooks below let it add VPD pages, readiness, sense and reset behaviour.
/// Commands run concurrently; ordering follows the task attribute.
/// </summary>
public abstract partial class ScsiLogicalUnit : ILogicalUnit, ITaskAbortSource, IDesignatedLogicalUnit
{
    private const int NacaBit = 2;
    private const byte NacaMask = 0x04;

    private protected readonly TaskSetGate _gate = new();
    private readonly ConcurrentDictionary<ItNexus, NexusState> _nexuses = new();
    private readonly CommandTable _commands;
    private readonly ScsiLogicalUnitOptions _unitOptions;
    private readonly string _serialNumber;
    private readonly byte[] _standardInquiry;
    private readonly byte[] _naaDesignator;
    private readonly PersistentReservations _pr;

    /// <summary>Control mode page D_SENSE (SPC-4 §7.5.8): sense data in descriptor format.</summary>
    private protected volatile bool _descriptorSense;

    /// <param name="options">How the unit names itself.</param>
    /// <param name="identity">What the serial number and NAA designator are derived from when not configured: stable
    /// across restarts, unique per unit (a backing file's path, an interface name).</param>
    /// <param name="profile">The device type's standard INQUIRY fields.</param>
    /// <param name="commands">The device type's commands (static, shared by its units).</param>
    private protected ScsiLogicalUnit(ScsiLogicalUnitOptions options, string? identity, in InquiryProfile profile, CommandTable commands)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(commands);
        _unitOptions = options;
        _commands = commands;
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(identity ?? string.Empty));
        _serialNumber = string.IsNullOrEmpty(options.SerialNumber) ? Convert.ToHexString(hash, 0, 8) : options.SerialNumber;
        _naaDesignator = BuildNaaDesignator(options.IeeeCompanyId, hash);
        _standardInquiry = BuildStandardInquiry(options, profile);
        _pr = new PersistentReservations(this, options.ReservationStatePath, options.Version1Registrant);
        if (options.Alua is { } alua)
        {
            alua.StateChanged += OnAluaStateChanged;
        }
    }

    /// <summary>The unit serial number reported in VPD page 0x80.</summary>
    public string SerialNumber => _serialNumber;

    /// <summary>Control mode page D_SENSE: sense data is returned in descriptor format.</summary>
    public bool DescriptorSense => _descriptorSense;

    /// <summary>PERIPHERAL DEVICE TYPE reported by INQUIRY.</summary>
    public byte PeripheralDeviceType => (byte)(_standardInquiry[0] & Scsi.PeripheralDeviceType.Mask);

    /// <summary>The current persistent reservation type (None when there is none).</summary>
    public PersistentReservationType PersistentReservation => _pr.Type;

    /// <inheritdoc/>
    public event EventHandler<TasksAbortRequestedEventArgs>? TasksAbortRequested;

    /// <inheritdoc/>
    public ValueTask ExecuteAsync(ScsiTask task, CancellationToken cancellationToken)
    {
        task.DescriptorSenseFormat = _descriptorSense;
        task.Status = ScsiStatus.Good;
        task.DataInLength = 0;
        task.CommandTransferLength = -1;
        task.SetSenseLength(0);
        if (!PreCheck(task))
        {
            return default;
        }
        byte opcode = task.Cdb[0];
        if (AdmitsItself(opcode))
        {
            return DispatchAsync(task, opcode, cancellationToken);
        }
        TaskAttribute attribute = task.Attribute is TaskAttribute.Ordered or TaskAttribute.HeadOfQueue
            ? task.Attribute
            : TaskAttribute.Simple;
        if (RunsExclusively(opcode, task.Cdb))
        {
            // Read-modify-write and atomic commands run like an ORDERED task (after everything older, before
            // anything younger), which keeps every other command out while they run.
            attribute = TaskAttribute.Ordered;
        }
        if (_gate.TryEnter(attribute))
        {
            return RunAdmittedAsync(task, attribute, cancellationToken);
        }
        return EnterAndRunAsync(task, attribute, cancellationToken);
    }

    /// <inheritdoc/>
    public void OnEvent(LogicalUnitEvent evt, ItNexus? origin)
    {
        ReleaseReservationOnEvent(evt, origin);
        switch (evt)
        {
            case LogicalUnitEvent.LogicalUnitReset:
            case LogicalUnitEvent.TargetWarmReset:
            case LogicalUnitEvent.TargetColdReset:
                // SAM-5 §6.3.2 (hard reset), §6.3.3 (logical unit reset): unit attention for every
                // I_T nexus, prevent-removal state released, mode parameters back to their defaults.
                // A TMF-caused reset reports BUS DEVICE RESET FUNCTION OCCURRED; a cold reset is a
                // power cycle and reports POWER ON OCCURRED.
                ushort asc = evt == LogicalUnitEvent.TargetColdReset ? Asc.PowerOnOccurred : Asc.BusDeviceResetFunctionOccurred;
                _descriptorSense = false;
                OnReset();
                foreach (KeyValuePair<ItNexus, NexusState> entry in _nexuses)
                {
                    entry.Value.PreventsRemoval = false;
                    entry.Value.Add(asc);
                }
                break;

            case LogicalUnitEvent.NexusLoss:
                // SAM-5 §6.3.4: I_T NEXUS LOSS OCCURRED is reported to the initiator port of the lost
                // nexus when it returns; its PREVENT state ends (SPC-4 §6.13).
                if (origin is not null)
                {
                    NexusState state = GetNexusState(origin);
                    state.PreventsRemoval = false;
                    OnNexusLoss(origin);
                    state.Clear();
                    state.Add(Asc.ItNexusLossOccurred);
                }
                break;

            case LogicalUnitEvent.CommandsClearedByAnotherInitiator:
                // SAM-5 §7.4 (CLEAR TASK SET, TST = 000b): the other nexuses learn their tasks are gone.
                RaiseUnitAttention(Asc.CommandsClearedByAnotherInitiator, except: origin);
                break;

            case LogicalUnitEvent.ReportedLunsDataChanged:
                RaiseUnitAttention(Asc.ReportedLunsDataHasChanged, except: null);
                break;
        }
    }

    /// <inheritdoc/>
    public abstract ValueTask FlushAsync(CancellationToken cancellationToken);

    /// <summary>Queues a unit attention (an <see cref="Asc"/> pair) for every known nexus except <paramref name="except"/>.</summary>
    public void RaiseUnitAttention(ushort ascAndAscq, ItNexus? except)
    {
        foreach (KeyValuePair<ItNexus, NexusState> entry in _nexuses)
        {
            if (except is null || !entry.Key.Equals(except))
            {
                entry.Value.Add(ascAndAscq);
            }
        }
    }

    /// <inheritdoc/>
    public bool HasDesignator(int codeSet, int designatorType, ReadOnlySpan<byte> designator) =>
        // The NAA designator (binary, type 3) is the unit's unique name; initiators and copy managers pick it.
        codeSet == DesignatorCodeSetBinary && designatorType == DesignatorTypeNaa && designator.SequenceEqual(_naaDesignator);

    // ---- what a device type provides ----

    /// <summary>Runs an admitted command: the device type's commands first, then <see cref="ExecutePrimaryCommand"/>.</summary>
    private protected abstract ValueTask DispatchAsync(ScsiTask task, byte opcode, CancellationToken cancellationToken);

    /// <summary>Called before the unit attention check of every command (e.g. to raise CAPACITY DATA HAS CHANGED).</summary>
    private protected virtual void OnCommandArrived()
    {
    }

    /// <summary>After the unit attention check: true when the command is refused before it runs (sense set).</summary>
    private protected virtual bool RefusedBeforeExecution(ScsiTask task, byte opcode) => false;

    /// <summary>Commands that manage their own admission to the task set (they are dispatched without it).</summary>
    private protected virtual bool AdmitsItself(byte opcode) => false;

    /// <summary>Commands that run like ORDERED tasks whatever their attribute (<paramref name="cdb"/> not yet validated).</summary>
    private protected virtual bool RunsExclusively(byte opcode, ReadOnlySpan<byte> cdb) => false;

    /// <summary>How a device-type command meets another nexus' persistent reservation (SPC-4 table 47).</summary>
    private protected virtual ReservationAccess ClassifyDeviceCommand(byte opcode, ReadOnlySpan<byte> cdb) => ReservationAccess.Write;

    /// <summary>TEST UNIT READY and the device-type commands that need the unit ready: false with sense set when not.</summary>
    private protected virtual bool CheckReady(ScsiTask task) => true;

    /// <summary>What REQUEST SENSE reports when no unit attention is pending: false for NO SENSE.</summary>
    private protected virtual bool TryGetDeviceSense(out SenseKey key, out ushort ascAndAscq, out SenseKeySpecific keySpecific)
    {
        key = SenseKey.NoSense;
        ascAndAscq = Asc.NoAdditionalSenseInformation;
        keySpecific = default;
        return false;
    }

    /// <summary>A command failed with an exception: complete it with the right sense (default HARDWARE ERROR).</summary>
    private protected virtual void OnCommandFailed(ScsiTask task, byte opcode, Exception exception) =>
        // Never crash the target for an unexpected failure: HARDWARE ERROR, INTERNAL TARGET FAILURE.
        task.CheckCondition(SenseKey.HardwareError, Asc.InternalTargetFailure);

    /// <summary>A reset (SAM-5 §6.3): the device type returns its own mode parameters to their defaults.</summary>
    private protected virtual void OnReset()
    {
    }

    /// <summary>The nexus is gone (SAM-5 §6.3.4): the device type drops what it kept for it.</summary>
    private protected virtual void OnNexusLoss(ItNexus nexus)
    {
    }

    // ---- services for device types ----

    /// <summary>
    /// The primary commands (SPC-4) the core answers for every device type: TEST UNIT READY, REQUEST SENSE, INQUIRY,
    /// MAINTENANCE IN (REPORT SUPPORTED OPERATION CODES, REPORT TARGET PORT GROUPS), MAINTENANCE OUT (SET TARGET PORT
    /// GROUPS), RESERVE/RELEASE, PERSISTENT RESERVE IN/OUT; anything else
    /// is INVALID COMMAND OPERATION CODE.
    /// </summary>
    private protected void ExecutePrimaryCommand(ScsiTask task, byte opcode)
    {
        switch (opcode)
        {
            case ScsiOpcode.TestUnitReady:
                CheckReady(task);
                break;
            case ScsiOpcode.RequestSense:
                RequestSense(task);
                break;
            case ScsiOpcode.Inquiry:
                Inquiry(task);
                break;
            case ScsiOpcode.MaintenanceIn:
                MaintenanceIn(task);
                break;
            case ScsiOpcode.MaintenanceOut:
                MaintenanceOut(task);
                break;
            case ScsiOpcode.Reserve6:
            case ScsiOpcode.Reserve10:
                Reserve(task);
                break;
            case ScsiOpcode.Release6:
            case ScsiOpcode.Release10:
                Release(task);
                break;
            case ScsiOpcode.PersistentReserveIn:
                _pr.ReserveIn(task);
                break;
            case ScsiOpcode.PersistentReserveOut:
                if (_pr.ReserveOut(task) is { } abort)
                {
                    // SPC-4 §5.13.11.2.5: the preempted nexuses' tasks are aborted; the transport owns them.
                    TasksAbortRequested?.Invoke(this, abort);
                }
                break;
            default:
                task.InvalidCommandOperationCode();
                break;
        }
    }

    /// <summary>
    /// The per-nexus state (unit attentions, PREVENT state). A nexus seen for the first time starts with
    /// POWER ON, RESET, OR BUS DEVICE RESET OCCURRED (SPC-4 §5.14).
    /// </summary>
    internal NexusState GetNexusState(ItNexus nexus) =>
        _nexuses.GetOrAdd(nexus, static _ => new NexusState(Asc.PowerOnResetOrBusDeviceResetOccurred));

    /// <summary>Every nexus the unit has seen a command from.</summary>
    internal ICollection<ItNexus> KnownNexuses => _nexuses.Keys;

    /// <summary>True when any nexus has PREVENT ALLOW MEDIUM REMOVAL in effect.</summary>
    private protected bool AnyNexusPreventsRemoval()
    {
        foreach (KeyValuePair<ItNexus, NexusState> entry in _nexuses)
        {
            if (entry.Value.PreventsRemoval)
            {
                return true;
            }
        }
        return false;
    }

    /// <inheritdoc cref="ScsiTaskData.CompleteDataIn"/>
    private protected static void CompleteDataIn(ScsiTask task, ReadOnlySpan<byte> data, int allocationLength) =>
        ScsiTaskData.CompleteDataIn(task, data, allocationLength);

    /// <inheritdoc cref="ScsiTaskData.DataInCapacity"/>
    private protected static int DataInCapacity(ScsiTask task) => ScsiTaskData.DataInCapacity(task);

    /// <inheritdoc cref="ScsiTaskData.DataOutLength"/>
    private protected static int DataOutLength(ScsiTask task) => ScsiTaskData.DataOutLength(task);

    // ---- the pipeline ----

    private bool PreCheck(ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        if (cdb.IsEmpty)
        {
            task.InvalidCommandOperationCode();
            return false;
        }
        byte opcode = cdb[0];
        NexusState? state = task.Nexus is null ? null : GetNexusState(task.Nexus);
        OnCommandArrived();

        // SPC-4 §5.14: INQUIRY, REPORT LUNS and REQUEST SENSE neither report nor clear a unit attention.
        if (state is not null && opcode is not (ScsiOpcode.Inquiry or ScsiOpcode.ReportLuns or ScsiOpcode.RequestSense)
            && state.TryTake(out ushort unitAttention))
        {
            task.CheckCondition(SenseKey.UnitAttention, unitAttention);
            return false;
        }
        if (RefusedBeforeExecution(task, opcode))
        {
            return false;
        }

        int length = CdbDecoder.GetCdbLength(opcode);
        if (length == 0)
        {
            length = _commands.VendorCdbLength(opcode);
        }
        if (length == 0 || !_commands.Implements(opcode, this))
        {
            task.InvalidCommandOperationCode();
            return false;
        }
        if (RefusedByAccessState(task, opcode))
        {
            return false;
        }
        if (cdb.Length < length)
        {
            task.InvalidFieldInCdb(0);
            return false;
        }
        // SAM-5 §5.2: NACA = 1 needs ACA support, which this unit does not have.
        if ((cdb[length - 1] & NacaMask) != 0)
        {
            task.InvalidFieldInCdb(length - 1, NacaBit);
            return false;
        }
        return !ConflictsWithReservation(task, opcode) && !ConflictsWithPersistentReservation(task, opcode);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask EnterAndRunAsync(ScsiTask task, TaskAttribute attribute, CancellationToken cancellationToken)
    {
        await _gate.EnterAsync(attribute, cancellationToken).ConfigureAwait(false);
        await RunAdmittedAsync(task, attribute, cancellationToken).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask RunAdmittedAsync(ScsiTask task, TaskAttribute attribute, CancellationToken cancellationToken)
    {
        byte opcode = task.Cdb[0];
        try
        {
            await DispatchAsync(task, opcode, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            OnCommandFailed(task, opcode, e);
        }
        finally
        {
            if (task.StoredDataIn is not null)
            {
                // The data is still in storage: the task completes when the transport has sent it.
                task.HoldTaskSetUntilDataInReleased(_gate, attribute);
            }
            else
            {
                _gate.Exit(attribute);
            }
        }
    }

    /// <summary>SPC-4 §5.13.1: the persistent reservation check, with the core's classification of primary commands.</summary>
    private bool ConflictsWithPersistentReservation(ScsiTask task, byte opcode)
    {
        if (!_pr.Active)
        {
            return false;
        }
        ReadOnlySpan<byte> cdb = task.Cdb;
        if (!_pr.Conflicts(task.Nexus, opcode, ClassifyForReservation(opcode, cdb)))
        {
            return false;
        }
        task.Status = ScsiStatus.ReservationConflict;
        return true;
    }

    /// <summary>SPC-4 table 47 for the primary commands; the device type classifies its own.</summary>
    private ReservationAccess ClassifyForReservation(byte opcode, ReadOnlySpan<byte> cdb)
    {
        switch (opcode)
        {
            case ScsiOpcode.Inquiry:
            case ScsiOpcode.ReportLuns:
            case ScsiOpcode.RequestSense:
            case ScsiOpcode.PersistentReserveIn:
            case ScsiOpcode.PersistentReserveOut:
            case ScsiOpcode.MaintenanceIn:
            case ScsiOpcode.TestUnitReady:
                return ReservationAccess.Allowed;
            case ScsiOpcode.PreventAllowMediumRemoval:
                return (cdb[4] & PreventMask) == 0 ? ReservationAccess.Allowed : ReservationAccess.Write;
            // SPC-4 table 47: allowed through write-exclusive types, conflicting under exclusive access
            // (REPORT CAPABILITIES ALLOW COMMANDS = 011b); the unimplemented ones then fail as unsupported.
            case ScsiOpcode.ModeSense6:
            case ScsiOpcode.ModeSense10:
            case ScsiOpcode.ReceiveCopyResults:
            case ScsiOpcode.ReadBuffer10:
            case ScsiOpcode.ReadAttribute:
            case ScsiOpcode.ReceiveDiagnosticResults:
                return ReservationAccess.Read;
            default:
                return ClassifyDeviceCommand(opcode, cdb);
        }
    }
}
