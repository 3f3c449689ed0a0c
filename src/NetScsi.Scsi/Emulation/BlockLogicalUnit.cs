using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Storage;

namespace NetScsi.Scsi.Emulation;

/// <summary>
/// A direct-access block device logical unit (SBC-4) backed by an <see cref="IBlockDevice"/>, built on the SPC-4
/// core (<see cref="ScsiLogicalUnit"/>). Dispatch goes block commands first, then the primary commands of the core,
/// then INVALID COMMAND OPERATION CODE; REPORT SUPPORTED OPERATION CODES reports <see cref="s_commands"/>.
/// </summary>
public sealed partial class BlockLogicalUnit : ScsiLogicalUnit
{
    private readonly IBlockDevice _device;
    private readonly LogicalUnitOptions _options;
    private readonly CopyManager _copyManager;
    private readonly Lock _mediumLock = new();
    private readonly int _blockSize;
    private readonly uint _maxTransferBlocks;
    private readonly uint _maxWriteSameBlocks;
    private readonly int _physicalBlockExponent;
    private long _lastBlockCount;
    private volatile bool _writeCacheEnabled = DefaultWriteCacheEnabled;
    private volatile bool _softwareWriteProtect;
    private volatile bool _mediumPresent = true;

    private const bool DefaultWriteCacheEnabled = true;

    public BlockLogicalUnit(IBlockDevice device, LogicalUnitOptions options)
        : base(
            options ?? throw new ArgumentNullException(nameof(options)),
            (device ?? throw new ArgumentNullException(nameof(device))).Identity,
            new InquiryProfile(Scsi.PeripheralDeviceType.DirectAccessBlock, options.Removable, ThirdPartyCopy: true, DeviceTypeStandard: VersionDescriptor.Sbc3),
            s_commands)
    {
        if (device.BlockSize <= 0 || (device.BlockSize & (device.BlockSize - 1)) != 0)
        {
            throw new ArgumentException("Block size must be a power of two.", nameof(device));
        }
        _device = device;
        _options = options;
        _copyManager = new CopyManager(this);
        _blockSize = device.BlockSize;
        _maxTransferBlocks = options.MaxTransferLengthBlocks > 0
            ? (uint)options.MaxTransferLengthBlocks
            : (uint)Math.Max(1, LogicalUnitOptions.DefaultMaxTransferBytes / _blockSize);
        _maxWriteSameBlocks = options.MaxWriteSameLengthBlocks != 0 ? options.MaxWriteSameLengthBlocks : _maxTransferBlocks;
        _lastBlockCount = device.BlockCount;
        _physicalBlockExponent = options.ReportPhysicalBlockSize ? PhysicalBlockExponent(device) : 0;
    }

    /// <summary>The backing device.</summary>
    public IBlockDevice Device => _device;

    /// <summary>True when writes are refused with DATA PROTECT.</summary>
    public bool IsWriteProtected => _options.ReadOnly || _device.IsReadOnly || _softwareWriteProtect;

    /// <summary>True unless a removable medium was ejected (START STOP UNIT with LOEJ).</summary>
    public bool IsMediumPresent => _mediumPresent;

    /// <summary>Caching mode page WCE: writes may complete before they are on stable storage.</summary>
    public bool WriteCacheEnabled => _writeCacheEnabled;

    /// <summary>MAXIMUM TRANSFER LENGTH in blocks.</summary>
    public uint MaxTransferLengthBlocks => _maxTransferBlocks;

    /// <summary>MAXIMUM WRITE SAME LENGTH in blocks.</summary>
    public uint MaxWriteSameLengthBlocks => _maxWriteSameBlocks;

    /// <summary>Logical block length in bytes.</summary>
    internal int BlockSize => _blockSize;

    private bool IsThin => _device.SupportsUnmap;

    /// <inheritdoc/>
    public override ValueTask FlushAsync(CancellationToken cancellationToken) => _device.FlushAsync(cancellationToken);

    /// <summary>SBC-4 §4.10: a changed capacity is announced to every nexus.</summary>
    private protected override void OnCommandArrived()
    {
        long count = _device.BlockCount;
        if (count != Volatile.Read(ref _lastBlockCount) && Interlocked.Exchange(ref _lastBlockCount, count) != count)
        {
            RaiseUnitAttention(Asc.CapacityDataHasChanged, except: null);
        }
    }

    private protected override bool RefusedBeforeExecution(ScsiTask task, byte opcode) => RefusedWhileSanitizing(task, opcode);

    // Admits itself (like an ORDERED task) only to start the background operation; see SanitizeAsync.
    private protected override bool AdmitsItself(byte opcode) => opcode == ScsiOpcode.Sanitize;

    // SBC-4 §5.3 (COMPARE AND WRITE), §5.10 (ORWRITE), §5.48 (WRITE ATOMIC): read-modify-write and atomic commands;
    // a COMPARE AND WRITE the device does atomically itself needs no exclusion here.
    private protected override bool RunsExclusively(byte opcode, ReadOnlySpan<byte> cdb) =>
        opcode is ScsiOpcode.OrWrite16 or ScsiOpcode.WriteAtomic16
        || (opcode == ScsiOpcode.CompareAndWrite && NativeCompareAndWrite(cdb) is null);

    /// <summary>The device when it does this COMPARE AND WRITE atomically itself, else null (the CDB may be invalid).</summary>
    private ICompareAndWriteBlockDevice? NativeCompareAndWrite(ReadOnlySpan<byte> cdb)
    {
        if (_device is not ICompareAndWriteBlockDevice device || cdb.Length < 16)
        {
            return null;
        }
        ulong lba = CdbDecoder.ReadUInt64(cdb, 2);
        int blocks = cdb[13];
        return blocks > 0 && lba <= long.MaxValue && device.CanCompareAndWrite((long)lba, blocks) ? device : null;
    }

    private protected override bool CheckReady(ScsiTask task) => MediumReady(task);

    /// <summary>SBC-4 §4.11.2 and §4.14: NOT READY while a sanitize runs or the medium is gone.</summary>
    private protected override bool TryGetDeviceSense(out SenseKey key, out ushort ascAndAscq, out SenseKeySpecific keySpecific)
    {
        keySpecific = default;
        if (_sanitize is { IsCompleted: false } sanitize)
        {
            // SANITIZE IN PROGRESS, with the progress indication.
            key = SenseKey.NotReady;
            ascAndAscq = Asc.LogicalUnitNotReadySanitizeInProgress;
            keySpecific = SenseKeySpecific.Progress(sanitize.Progress);
            return true;
        }
        if (!_mediumPresent)
        {
            key = SenseKey.NotReady;
            ascAndAscq = Asc.MediumNotPresent;
            return true;
        }
        return base.TryGetDeviceSense(out key, out ascAndAscq, out keySpecific);
    }

    private protected override void OnCommandFailed(ScsiTask task, byte opcode, Exception exception)
    {
        if (exception is StorageNotReadyException)
        {
            // SPC-4 §4.5.6: storage out of reach for now (a network store): NOT READY, not a medium error.
            task.CheckCondition(SenseKey.NotReady, Asc.LogicalUnitNotReadyCauseNotReportable);
            return;
        }
        if (exception is IOException io)
        {
            // SBC-4 §4.7.3.7: a thin unit that cannot allocate: DATA PROTECT, SPACE ALLOCATION FAILED WRITE PROTECT.
            // SBC-4 §4.18: other storage failures surface as MEDIUM ERROR.
            if (IsOutOfSpace(io))
            {
                task.CheckCondition(SenseKey.DataProtect, Asc.SpaceAllocationFailedWriteProtect);
            }
            else
            {
                task.CheckCondition(SenseKey.MediumError, IsWriteCommand(opcode) ? Asc.WriteError : Asc.UnrecoveredReadError);
            }
            return;
        }
        base.OnCommandFailed(task, opcode, exception);
    }

    /// <summary>SAM-5 §6.3: mode parameters back to their defaults.</summary>
    private protected override void OnReset()
    {
        _writeCacheEnabled = DefaultWriteCacheEnabled;
        _softwareWriteProtect = false;
    }

    private protected override void OnNexusLoss(ItNexus nexus) => _copyManager.OnNexusLoss(nexus);

    /// <summary>SPC-4 table 47 for the block commands.</summary>
    private protected override ReservationAccess ClassifyDeviceCommand(byte opcode, ReadOnlySpan<byte> cdb)
    {
        switch (opcode)
        {
            case ScsiOpcode.ReadCapacity10:
                return ReservationAccess.Allowed;
            case ScsiOpcode.ServiceActionIn16:
                return (cdb[1] & CdbFields.ServiceActionMask) == ScsiOpcode.ReadCapacity16ServiceAction ? ReservationAccess.Allowed : ReservationAccess.Read;
            case ScsiOpcode.StartStopUnit:
                return (cdb[4] & StartStopLoadEjectStartMask) == StartStopStartBit ? ReservationAccess.Allowed : ReservationAccess.Write;
            case ScsiOpcode.Read6:
            case ScsiOpcode.Read10:
            case ScsiOpcode.Read12:
            case ScsiOpcode.Read16:
            case ScsiOpcode.Verify10:
            case ScsiOpcode.Verify12:
            case ScsiOpcode.Verify16:
            case ScsiOpcode.PreFetch10:
            case ScsiOpcode.PreFetch16:
            case ScsiOpcode.ReadDefectData10:
            case ScsiOpcode.ReadDefectData12:
                return ReservationAccess.Read;
            default:
                return ReservationAccess.Write;
        }
    }

    private protected override ValueTask DispatchAsync(ScsiTask task, byte opcode, CancellationToken cancellationToken)
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
                if ((task.Cdb[1] & CdbFields.ServiceActionMask) != ScsiOpcode.ExtendedCopyLid1ServiceAction)
                {
                    task.InvalidFieldInCdb(1, CdbFields.ServiceActionHighBit);
                    return default;
                }
                return MediumReady(task) ? _copyManager.ExtendedCopyAsync(task, cancellationToken) : default;
            case ScsiOpcode.StartStopUnit:
                return StartStopUnitAsync(task, cancellationToken);
            case ScsiOpcode.Sanitize:
                return SanitizeAsync(task, cancellationToken);
        }

        // Primary commands (SPC-4) with block-specific state, then the core's.
        switch (opcode)
        {
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
            case ScsiOpcode.ReceiveCopyResults:
                _copyManager.ReceiveCopyResults(task);
                break;
            default:
                ExecutePrimaryCommand(task, opcode);
                break;
        }
        return default;
    }

    private ValueTask ServiceActionIn16Async(ScsiTask task, CancellationToken cancellationToken)
    {
        switch (task.Cdb[1] & CdbFields.ServiceActionMask)
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
    private const int UnixNoSpace = 28;
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027);
    private const int WindowsDiskFull = unchecked((int)0x80070070);

    private static bool IsOutOfSpace(IOException ex) => ex.HResult is UnixNoSpace or WindowsHandleDiskFull or WindowsDiskFull;

    private static bool IsWriteCommand(byte opcode) => opcode is
        ScsiOpcode.Write6 or ScsiOpcode.Write10 or ScsiOpcode.Write12 or ScsiOpcode.Write16 or
        ScsiOpcode.WriteAndVerify10 or ScsiOpcode.WriteAndVerify12 or ScsiOpcode.WriteAndVerify16 or
        ScsiOpcode.WriteSame10 or ScsiOpcode.WriteSame16 or ScsiOpcode.Unmap or ScsiOpcode.CompareAndWrite or
        ScsiOpcode.SynchronizeCache10 or ScsiOpcode.SynchronizeCache16 or ScsiOpcode.StartStopUnit or
        ScsiOpcode.OrWrite16 or ScsiOpcode.WriteAtomic16 or ScsiOpcode.ExtendedCopy or ScsiOpcode.Sanitize;

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
}
