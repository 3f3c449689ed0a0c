using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Storage;

namespace NetScsi.Scsi.Emulation;

/// <summary>
/// A direct-access block device logical unit (SBC-4 over SPC-4) backed by an <see cref="IBlockDevice"/>.
/// Commands run concurrently; ordering follows the task attribute (<see cref="TaskSetGate"/>).
/// Dispatch goes block commands first, then primary commands, then INVALID COMMAND OPERATION CODE.
/// </summary>
public sealed partial class BlockLogicalUnit : ILogicalUnit, ITaskAbortSource
{
    private readonly IBlockDevice _device;
    private readonly LogicalUnitOptions _options;
    private readonly TaskSetGate _gate = new();
    private readonly ConcurrentDictionary<ItNexus, NexusState> _nexuses = new();
    private readonly Lock _mediumLock = new();
    private readonly int _blockSize;
    private readonly uint _maxTransferBlocks;
    private readonly uint _maxWriteSameBlocks;
    private readonly int _physicalBlockExponent;
    private readonly string _serialNumber;
    private readonly byte[] _standardInquiry;
    private readonly byte[] _naaDesignator;
    private long _lastBlockCount;
    private volatile bool _writeCacheEnabled = DefaultWriteCacheEnabled;
    private volatile bool _descriptorSense;
    private volatile bool _softwareWriteProtect;
    private volatile bool _mediumPresent = true;

    private const bool DefaultWriteCacheEnabled = true;

    public BlockLogicalUnit(IBlockDevice device, LogicalUnitOptions options)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(options);
        if (device.BlockSize <= 0 || (device.BlockSize & (device.BlockSize - 1)) != 0)
        {
            throw new ArgumentException("Block size must be a power of two.", nameof(device));
        }
        _device = device;
        _options = options;
        _blockSize = device.BlockSize;
        _maxTransferBlocks = options.MaxTransferLengthBlocks > 0
            ? (uint)options.MaxTransferLengthBlocks
            : (uint)Math.Max(1, LogicalUnitOptions.DefaultMaxTransferBytes / _blockSize);
        _maxWriteSameBlocks = options.MaxWriteSameLengthBlocks != 0 ? options.MaxWriteSameLengthBlocks : _maxTransferBlocks;
        _lastBlockCount = device.BlockCount;
        _physicalBlockExponent = options.ReportPhysicalBlockSize ? PhysicalBlockExponent(device) : 0;

        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(device.Identity ?? string.Empty));
        _serialNumber = string.IsNullOrEmpty(options.SerialNumber) ? Convert.ToHexString(hash, 0, 8) : options.SerialNumber;
        _naaDesignator = BuildNaaDesignator(options.IeeeCompanyId, hash);
        _standardInquiry = BuildStandardInquiry(options);
        if (options.ReservationStatePath is { } reservationStatePath)
        {
            // SPC-4 §5.13.5: registrations and the reservation made with APTPL = 1 survive power loss.
            PersistentReservationStore.TryLoad(reservationStatePath, _pr);
        }
    }

    /// <summary>The backing device.</summary>
    public IBlockDevice Device => _device;

    /// <summary>The unit serial number reported in VPD page 0x80.</summary>
    public string SerialNumber => _serialNumber;

    /// <summary>True when writes are refused with DATA PROTECT.</summary>
    public bool IsWriteProtected => _options.ReadOnly || _device.IsReadOnly || _softwareWriteProtect;

    /// <summary>True unless a removable medium was ejected (START STOP UNIT with LOEJ).</summary>
    public bool IsMediumPresent => _mediumPresent;

    /// <summary>Control mode page D_SENSE: sense data is returned in descriptor format.</summary>
    public bool DescriptorSense => _descriptorSense;

    /// <summary>Caching mode page WCE: writes may complete before they are on stable storage.</summary>
    public bool WriteCacheEnabled => _writeCacheEnabled;

    /// <summary>MAXIMUM TRANSFER LENGTH in blocks.</summary>
    public uint MaxTransferLengthBlocks => _maxTransferBlocks;

    /// <summary>MAXIMUM WRITE SAME LENGTH in blocks.</summary>
    public uint MaxWriteSameLengthBlocks => _maxWriteSameBlocks;

    private bool IsThin => _device.SupportsUnmap;

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
        if (task.Cdb[0] == ScsiOpcode.Sanitize)
        {
            // Admits itself (like an ORDERED task) only to start the background operation; see SanitizeAsync.
            return SanitizeAsync(task, cancellationToken);
        }
        TaskAttribute attribute = task.Attribute is TaskAttribute.Ordered or TaskAttribute.HeadOfQueue
            ? task.Attribute
            : TaskAttribute.Simple;
        if (RunsExclusively(task.Cdb[0]))
        {
            // SBC-4 §5.3 (COMPARE AND WRITE), §5.10 (ORWRITE), §5.48 (WRITE ATOMIC): read-modify-write and
            // atomic commands; running them like an ORDERED task (after everything older, before anything
            // younger) keeps every other command out while they run.
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
                // power cycle (RFC 7143 §11.5.1) and reports POWER ON OCCURRED.
                ushort asc = evt == LogicalUnitEvent.TargetColdReset ? Asc.PowerOnOccurred : Asc.BusDeviceResetFunctionOccurred;
                _writeCacheEnabled = DefaultWriteCacheEnabled;
                _descriptorSense = false;
                _softwareWriteProtect = false;
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
                    lock (state.CopyResults)
                    {
                        // SPC-4 §6.18: held EXTENDED COPY results belong to the nexus.
                        state.CopyResults.Clear();
                    }
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
    public ValueTask FlushAsync(CancellationToken cancellationToken) => _device.FlushAsync(cancellationToken);

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

    private NexusState GetNexusState(ItNexus nexus) =>
        // SPC-4 §5.14: a nexus seen for the first time starts with POWER ON, RESET, OR BUS DEVICE RESET OCCURRED.
        _nexuses.GetOrAdd(nexus, static _ => new NexusState(Asc.PowerOnResetOrBusDeviceResetOccurred));

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

        // SBC-4 §4.10: a changed capacity is announced to every nexus.
        long count = _device.BlockCount;
        if (count != Volatile.Read(ref _lastBlockCount) && Interlocked.Exchange(ref _lastBlockCount, count) != count)
        {
            RaiseUnitAttention(Asc.CapacityDataHasChanged, except: null);
        }

        // SPC-4 §5.14: INQUIRY, REPORT LUNS and REQUEST SENSE neither report nor clear a unit attention.
        if (state is not null && opcode is not (ScsiOpcode.Inquiry or ScsiOpcode.ReportLuns or ScsiOpcode.RequestSense)
            && state.TryTake(out ushort unitAttention))
        {
            task.CheckCondition(SenseKey.UnitAttention, unitAttention);
            return false;
        }
        if (RefusedWhileSanitizing(task, opcode))
        {
            return false;
        }

        int length = CdbDecoder.GetCdbLength(opcode);
        if (length == 0)
        {
            task.InvalidCommandOperationCode();
            return false;
        }
        if (cdb.Length < length)
        {
            task.InvalidFieldInCdb(0);
            return false;
        }
        // SAM-5 §5.2: NACA = 1 needs ACA support, which this unit does not have.
        if ((cdb[length - 1] & 0x04) != 0)
        {
            task.InvalidFieldInCdb(length - 1, 2);
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
        catch (IOException ex) when (IsOutOfSpace(ex))
        {
            // SBC-4 §4.7.3.7: a thin unit that cannot allocate: DATA PROTECT, SPACE ALLOCATION FAILED WRITE PROTECT.
            task.CheckCondition(SenseKey.DataProtect, Asc.SpaceAllocationFailedWriteProtect);
        }
        catch (IOException)
        {
            // SBC-4 §4.18: storage failures surface as MEDIUM ERROR.
            task.CheckCondition(SenseKey.MediumError, IsWriteCommand(opcode) ? Asc.WriteError : Asc.UnrecoveredReadError);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception)
        {
            // Never crash the target for an unexpected failure: HARDWARE ERROR, INTERNAL TARGET FAILURE.
            task.CheckCondition(SenseKey.HardwareError, Asc.InternalTargetFailure);
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

    private ValueTask DispatchAsync(ScsiTask task, byte opcode, CancellationToken cancellationToken)
    {
        // Block commands (SBC-4) first; all need the medium.
        switch (opcode)
        {
            case ScsiOpcode.Read6:
            case ScsiOpcode.Read10:
            case ScsiOpcode.Read12:
            case ScsiOpcode.Read16:
                return MediumReady(task) ? ReadAsync(task, cancellationToken) : default;
            case ScsiOpcode.Write6:
            case ScsiOpcode.Write10:
            case ScsiOpcode.Write12:
            case ScsiOpcode.Write16:
            case ScsiOpcode.WriteAndVerify10:
            case ScsiOpcode.WriteAndVerify12:
            case ScsiOpcode.WriteAndVerify16:
                return MediumReady(task) ? WriteAsync(task, cancellationToken) : default;
            case ScsiOpcode.Verify10:
            case ScsiOpcode.Verify12:
            case ScsiOpcode.Verify16:
                return MediumReady(task) ? VerifyAsync(task, cancellationToken) : default;
            case ScsiOpcode.WriteSame10:
            case ScsiOpcode.WriteSame16:
                return MediumReady(task) ? WriteSameAsync(task, cancellationToken) : default;
            case ScsiOpcode.CompareAndWrite:
                if (_options.MaxCompareAndWriteLengthBlocks == 0)
                {
                    task.InvalidCommandOperationCode();
                    return default;
                }
                return MediumReady(task) ? CompareAndWriteAsync(task, cancellationToken) : default;
            case ScsiOpcode.OrWrite16:
                return MediumReady(task) ? OrWriteAsync(task, cancellationToken) : default;
            case ScsiOpcode.WriteAtomic16:
                return MediumReady(task) ? WriteAtomicAsync(task, cancellationToken) : default;
            case ScsiOpcode.ReadDefectData10:
            case ScsiOpcode.ReadDefectData12:
                if (MediumReady(task))
                {
                    ReadDefectData(task);
                }
                return default;
            case ScsiOpcode.Unmap:
                if (!IsThin)
                {
                    // SBC-4 §5.30: UNMAP exists only when LBPU = 1.
                    task.InvalidCommandOperationCode();
                    return default;
                }
                return MediumReady(task) ? UnmapAsync(task, cancellationToken) : default;
            case ScsiOpcode.SynchronizeCache10:
            case ScsiOpcode.SynchronizeCache16:
                return MediumReady(task) ? SynchronizeCacheAsync(task, cancellationToken) : default;
            case ScsiOpcode.PreFetch10:
            case ScsiOpcode.PreFetch16:
                if (MediumReady(task))
                {
                    PreFetch(task);
                }
                return default;
            case ScsiOpcode.ReadCapacity10:
                if (MediumReady(task))
                {
                    ReadCapacity10(task);
                }
                return default;
            case ScsiOpcode.ServiceActionIn16:
                return ServiceActionIn16Async(task, cancellationToken);
            case ScsiOpcode.ExtendedCopy:
                if ((task.Cdb[1] & 0x1F) != ScsiOpcode.ExtendedCopyLid1ServiceAction)
                {
                    task.InvalidFieldInCdb(1, 4);
                    return default;
                }
                return MediumReady(task) ? ExtendedCopyAsync(task, cancellationToken) : default;
            case ScsiOpcode.StartStopUnit:
                return StartStopUnitAsync(task, cancellationToken);
        }

        // Primary commands (SPC-4).
        switch (opcode)
        {
            case ScsiOpcode.TestUnitReady:
                MediumReady(task);
                break;
            case ScsiOpcode.RequestSense:
                RequestSense(task);
                break;
            case ScsiOpcode.Inquiry:
                Inquiry(task);
                break;
            case ScsiOpcode.ModeSense6:
            case ScsiOpcode.ModeSense10:
                ModeSense(task);
                break;
            case ScsiOpcode.ModeSelect6:
            case ScsiOpcode.ModeSelect10:
                ModeSelect(task);
                break;
            case ScsiOpcode.PreventAllowMediumRemoval:
                PreventAllowMediumRemoval(task);
                break;
            case ScsiOpcode.MaintenanceIn:
                MaintenanceIn(task);
                break;
            case ScsiOpcode.Reserve6:
            case ScsiOpcode.Reserve10:
                Reserve(task);
                break;
            case ScsiOpcode.PersistentReserveIn:
                PersistentReserveIn(task);
                break;
            case ScsiOpcode.ReceiveCopyResults:
                ReceiveCopyResults(task);
                break;
            case ScsiOpcode.PersistentReserveOut:
                PersistentReserveOut(task);
                break;
            case ScsiOpcode.Release6:
            case ScsiOpcode.Release10:
                Release(task);
                break;
            default:
                task.InvalidCommandOperationCode();
                break;
        }
        return default;
    }

    private ValueTask ServiceActionIn16Async(ScsiTask task, CancellationToken cancellationToken)
    {
        switch (task.Cdb[1] & 0x1F)
        {
            case ScsiOpcode.ReadCapacity16ServiceAction:
                if (MediumReady(task))
                {
                    ReadCapacity16(task);
                }
                return default;
            case ScsiOpcode.GetLbaStatusServiceAction:
                if (!MediumReady(task))
                {
                    return default;
                }
                if (!IsThin)
                {
                    // SBC-4 §5.8: GET LBA STATUS needs logical block provisioning management (LBPME = 1).
                    task.InvalidFieldInCdb(1, 4);
                    return default;
                }
                return GetLbaStatusAsync(task, cancellationToken);
            default:
                task.InvalidFieldInCdb(1, 4);
                return default;
        }
    }

    /// <summary>SBC-4 §4.14: media-access commands report NOT READY, MEDIUM NOT PRESENT once ejected.</summary>
    private bool MediumReady(ScsiTask task)
    {
        if (!_mediumPresent)
        {
            task.CheckCondition(SenseKey.NotReady, Asc.MediumNotPresent);
            return false;
        }
        if (_sanitizeFailed)
        {
            // SBC-4 §4.11.4: sanitize failure mode until a SANITIZE succeeds or EXIT FAILURE MODE.
            task.CheckCondition(SenseKey.MediumError, Asc.SanitizeCommandFailed);
            return false;
        }
        return true;
    }

    // ENOSPC (28) on Unix; ERROR_HANDLE_DISK_FULL (39) and ERROR_DISK_FULL (112) as HRESULTs on Windows.
    private static bool IsOutOfSpace(IOException ex) =>
        ex.HResult is 28 or unchecked((int)0x80070027) or unchecked((int)0x80070070);

    private static bool IsWriteCommand(byte opcode) => opcode is
        ScsiOpcode.Write6 or ScsiOpcode.Write10 or ScsiOpcode.Write12 or ScsiOpcode.Write16 or
        ScsiOpcode.WriteAndVerify10 or ScsiOpcode.WriteAndVerify12 or ScsiOpcode.WriteAndVerify16 or
        ScsiOpcode.WriteSame10 or ScsiOpcode.WriteSame16 or ScsiOpcode.Unmap or ScsiOpcode.CompareAndWrite or
        ScsiOpcode.SynchronizeCache10 or ScsiOpcode.SynchronizeCache16 or ScsiOpcode.StartStopUnit or
        ScsiOpcode.OrWrite16 or ScsiOpcode.WriteAtomic16 or ScsiOpcode.ExtendedCopy or ScsiOpcode.Sanitize;

    private static bool RunsExclusively(byte opcode) =>
        opcode is ScsiOpcode.CompareAndWrite or ScsiOpcode.OrWrite16 or ScsiOpcode.WriteAtomic16;

    /// <summary>log2(physical block size / logical block size), 0 when the device reports nothing usable.</summary>
    private static int PhysicalBlockExponent(IBlockDevice device)
    {
        int physical = device.PhysicalBlockSize;
        int logical = device.BlockSize;
        if (physical <= logical || physical % logical != 0)
        {
            return 0;
        }
        int ratio = physical / logical;
        return (ratio & (ratio - 1)) == 0 ? Math.Min(System.Numerics.BitOperations.Log2((uint)ratio), 15) : 0;
    }

    /// <summary>
    /// Returns parameter data: the command asks for <paramref name="allocationLength"/> bytes, the unit has
    /// <paramref name="data"/>; SPC-4 §4.2.5.6 says transfer the lesser, and the task buffer bounds what moves.
    /// </summary>
    private static void CompleteDataIn(ScsiTask task, ReadOnlySpan<byte> data, int allocationLength)
    {
        int available = Math.Min(data.Length, allocationLength);
        task.CommandTransferLength = available;
        int n = Math.Min(available, DataInCapacity(task));
        data[..n].CopyTo(task.Buffer.Span);
        task.DataInLength = n;
    }

    /// <summary>
    /// How many data-in bytes the task can take: its buffer, unless the transport flagged the command as
    /// write-only (then no data-in moves and the transport reports the residual).
    /// </summary>
    internal static int DataInCapacity(ScsiTask task) =>
        task.Direction is DataDirection.Read or DataDirection.Bidirectional ? task.Buffer.Length : 0;

    /// <summary>How many data-out bytes arrived: none unless the task carries Data-Out.</summary>
    internal static int DataOutLength(ScsiTask task) =>
        task.Direction is DataDirection.Write or DataDirection.Bidirectional ? task.Buffer.Length : 0;

    /// <summary>
    /// SBC-4 §4.5 checks shared by the block commands: the protection field must be zero (no protection
    /// information), the range must lie on the medium (LBA OUT OF RANGE), and the length must not exceed
    /// <paramref name="maxBlocks"/> (INVALID FIELD IN CDB).
    /// </summary>
    private bool ValidateBlockRange(ScsiTask task, in BlockCdb cdb, uint maxBlocks)
    {
        if (cdb.CdbLength != 6 && cdb.Protect != 0)
        {
            task.InvalidFieldInCdb(1, 7);
            return false;
        }
        ulong count = (ulong)_device.BlockCount;
        if (cdb.Lba > count || cdb.TransferLength > count - cdb.Lba)
        {
            task.LbaOutOfRange();
            return false;
        }
        if (cdb.TransferLength > maxBlocks)
        {
            task.InvalidFieldInCdb(TransferLengthOffset(cdb.CdbLength));
            return false;
        }
        return true;
    }

    private static int TransferLengthOffset(int cdbLength) => cdbLength switch
    {
        6 => 4,
        10 => 7,
        12 => 6,
        _ => 10,
    };

    private bool CheckWritable(ScsiTask task)
    {
        if (!IsWriteProtected)
        {
            return true;
        }
        // SBC-4 §4.11: DATA PROTECT, WRITE PROTECTED.
        task.CheckCondition(SenseKey.DataProtect, Asc.WriteProtected);
        return false;
    }

    private static byte[] BuildNaaDesignator(uint companyId, byte[] hash)
    {
        // SPC-4 §7.8.6.6.5: NAA 6h (IEEE Registered Extended): NAA (4 bits), IEEE COMPANY_ID (24 bits),
        // VENDOR SPECIFIC IDENTIFIER (36 bits), VENDOR SPECIFIC IDENTIFIER EXTENSION (64 bits). The vendor
        // parts come from a hash of the device identity so they are stable across restarts.
        byte[] naa = new byte[16];
        uint id = companyId & 0xFFFFFF;
        naa[0] = (byte)(0x60u | (id >> 20));
        naa[1] = (byte)(id >> 12);
        naa[2] = (byte)(id >> 4);
        naa[3] = (byte)(((id & 0x0Fu) << 4) | (hash[0] & 0x0Fu));
        hash.AsSpan(1, 12).CopyTo(naa.AsSpan(4));
        return naa;
    }
}
