using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using NetScsi.Scsi;
using NetScsi.Scsi.Commands;

namespace NetScsi.Transport.Aoe.Ata;

/// <summary>
/// An ATA disk (the subset an AoE initiator uses) over a NetScsi <see cref="ILogicalUnit"/> of 512-octet blocks: every
/// command becomes the SCSI command that means the same (READ(16), WRITE(16), SYNCHRONIZE CACHE(16), READ CAPACITY(16))
/// and goes through the unit, so reservations, unit attentions, write protection and range checks are the unit's, the
/// same as over iSCSI. Nothing of the network: the caller hands it the ATA argument of a request, the data that
/// followed it in the frame, the room a response frame has for data, a pooled <see cref="ScsiTask"/> and the nexus of
/// the initiator.
/// </summary>
/// <remarks>
/// Commands: IDENTIFY DEVICE, READ/WRITE SECTORS (28-bit) and (EXT, 48-bit), FLUSH CACHE (EXT), CHECK POWER MODE,
/// SET FEATURES (write cache, read look-ahead, transfer mode, revert to defaults); anything else ends with ERR and
/// ABRT. A transfer the frame cannot carry (Count x 512 more than the request brought or the response has room for;
/// a Count of 0 means 256 or 65536 sectors, as in ATA) is refused with AoE error 2 (bad argument). What the unit
/// answers maps back: LBA OUT OF RANGE to IDNF, MEDIUM ERROR to UNC (reads) or ABRT, other CHECK CONDITIONs (write
/// protected, ...) to ABRT, NOT READY to AoE error 3, RESERVATION CONFLICT to AoE error 6; BUSY, TASK SET FULL and
/// TASK ABORTED get no answer (the initiator retransmits). A UNIT ATTENTION is reported to an ATA host as nothing:
/// ATA has no such condition, so the command is repeated (the attention is cleared by having been reported once, as a
/// SCSI-ATA translator does). The A (asynchronous write) flag is ignored: writes complete when the unit has them. With
/// the write cache disabled (SET FEATURES 82h) every WRITE(16) carries FUA.
/// </remarks>
public sealed class AtaDevice
{
    /// <summary>The ATA sector size AoE moves.</summary>
    public const int SectorSize = 512;

    private const ulong Lba28Mask = 0x0FFF_FFFF;
    private const int MaxSectorsLba28 = 256;
    private const int MaxSectorsLba48 = 65536;

    /// <summary>How often a command is repeated while the unit reports unit attentions (each report clears one).</summary>
    private const int UnitAttentionRetries = 8;

    /// <summary>CHECK POWER MODE Count output: active or idle.</summary>
    private const byte PowerModeActiveOrIdle = 0xFF;

    private const int ReadCapacity16Length = 32;
    private const byte UnitSerialNumberPage = 0x80;
    private const int Fua = 0x08;

    private readonly ILogicalUnit _unit;
    private readonly string _serialNumber;
    private readonly string _firmwareRevision;
    private readonly string _modelNumber;
    private readonly int _physicalSectorExponent;
    private volatile bool _writeCacheEnabled = true;
    private volatile bool _readLookAheadEnabled = true;

    private AtaDevice(ILogicalUnit unit, string modelNumber, string firmwareRevision, string serialNumber, int physicalSectorExponent)
    {
        _unit = unit;
        _modelNumber = modelNumber;
        _firmwareRevision = firmwareRevision;
        _serialNumber = serialNumber;
        _physicalSectorExponent = physicalSectorExponent;
    }

    /// <summary>
    /// Asks the unit its block size (READ CAPACITY(16)) and serial number (INQUIRY VPD 80h) and builds the device.
    /// </summary>
    /// <param name="unit">The logical unit; its blocks must be 512 octets (AoE addresses 512-octet sectors).</param>
    /// <param name="nexus">The nexus these start-up commands go through (the exporter's own).</param>
    /// <param name="modelNumber">IDENTIFY words 27-46 (40 characters at most are sent).</param>
    /// <param name="firmwareRevision">IDENTIFY words 23-26 (8 characters).</param>
    /// <param name="serialNumber">IDENTIFY words 10-19 (20 characters); null: the unit's VPD 80h serial, so one LUN has
    /// the same serial over iSCSI and over AoE.</param>
    /// <exception cref="ArgumentException">The unit's blocks are not 512 octets.</exception>
    /// <exception cref="InvalidOperationException">The unit did not answer READ CAPACITY(16).</exception>
    public static async Task<AtaDevice> OpenAsync(ILogicalUnit unit, ItNexus nexus, string modelNumber = "NETSCSI VIRTUAL-DISK",
        string firmwareRevision = "0001", string? serialNumber = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(nexus);
        ArgumentNullException.ThrowIfNull(modelNumber);
        ArgumentNullException.ThrowIfNull(firmwareRevision);
        var task = new ScsiTask();
        byte[] buffer = new byte[256];
        byte[] cdb = new byte[16];
        WriteReadCapacity16(cdb);
        if (!await RunAsync(unit, task, nexus, cdb, DataDirection.Read, buffer.AsMemory(0, ReadCapacity16Length), cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"the logical unit did not answer READ CAPACITY(16) (status {task.Status})");
        }

        uint blockSize = BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(8));
        if (blockSize != SectorSize)
        {
            throw new ArgumentException($"AoE addresses {SectorSize}-octet sectors; the logical unit's blocks are {blockSize} octets.", nameof(unit));
        }

        int exponent = Math.Min(15, buffer[13] & 0x0F);
        if (serialNumber is null)
        {
            cdb.AsSpan().Clear();
            cdb[0] = ScsiOpcode.Inquiry;
            cdb[1] = 0x01; // EVPD
            cdb[2] = UnitSerialNumberPage;
            BinaryPrimitives.WriteUInt16BigEndian(cdb.AsSpan(3), (ushort)buffer.Length);
            buffer.AsSpan().Clear();
            serialNumber = await RunAsync(unit, task, nexus, cdb.AsMemory(0, 6), DataDirection.Read, buffer, cancellationToken).ConfigureAwait(false)
                && buffer[1] == UnitSerialNumberPage
                ? Encoding.ASCII.GetString(buffer, 4, Math.Min(buffer[3], task.DataInLength - 4)).Trim()
                : "";
        }

        return new AtaDevice(unit, modelNumber, firmwareRevision, serialNumber, exponent);
    }

    /// <summary>The serial number IDENTIFY DEVICE reports.</summary>
    public string SerialNumber => _serialNumber;

    /// <summary>Volatile write cache enabled (SET FEATURES 02h/82h); when disabled every write is forced to stable storage.</summary>
    public bool WriteCacheEnabled => _writeCacheEnabled;

    /// <summary>The logical unit the commands go to.</summary>
    public ILogicalUnit Unit => _unit;

    /// <summary>
    /// Carries out one ATA command through the unit. Never throws for anything a request can contain; cancellation
    /// propagates.
    /// </summary>
    /// <param name="task">A pooled task this command may use (reset here); the caller's until the call completes.</param>
    /// <param name="nexus">The initiator's nexus (one per initiator MAC).</param>
    /// <param name="request">The request's ATA argument.</param>
    /// <param name="requestData">What followed the argument in the request frame (a write's data, perhaps padding).</param>
    /// <param name="responseData">Where a read's data or the identify page goes: the room the response frame has.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<AtaCompletion> ExecuteAsync(ScsiTask task, ItNexus nexus, AoeAtaHeader request, ReadOnlyMemory<byte> requestData,
        Memory<byte> responseData, CancellationToken cancellationToken = default)
    {
        switch (request.CommandStatus)
        {
            case AtaOpcode.IdentifyDevice:
            {
                if (responseData.Length < AtaIdentifyData.Length)
                {
                    return AtaCompletion.Refused(AoeError.BadArgument);
                }

                // The capacity as the unit has it now (a LUN may have been resized), read into the page's room first.
                PrepareReadCapacity16(task, nexus, 0, responseData[..ReadCapacity16Length]);
                AtaCompletion? failed = await ExecuteScsiAsync(task, request, isRead: true, cancellationToken).ConfigureAwait(false);
                if (failed is { } failure)
                {
                    return failure;
                }

                long sectors = (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(responseData.Span) + 1, long.MaxValue);
                AtaIdentifyData.Write(responseData.Span, sectors, _serialNumber, _firmwareRevision, _modelNumber,
                    _writeCacheEnabled, _readLookAheadEnabled, _physicalSectorExponent);
                return Good(request, AtaIdentifyData.Length);
            }

            case AtaOpcode.ReadSectors:
            case AtaOpcode.ReadSectorsExt:
            {
                (long lba, int count) = Address(request);
                if ((long)count * SectorSize > responseData.Length)
                {
                    return AtaCompletion.Refused(AoeError.BadArgument);
                }

                int length = count * SectorSize;
                PrepareTransfer(task, nexus, 0, ScsiOpcode.Read16, lba, count, 0, DataDirection.Read, responseData[..length]);
                return await ExecuteScsiAsync(task, request, isRead: true, cancellationToken).ConfigureAwait(false) ?? Good(request, length);
            }

            case AtaOpcode.WriteSectors:
            case AtaOpcode.WriteSectorsExt:
            {
                (long lba, int count) = Address(request);
                if ((long)count * SectorSize > requestData.Length || (long)count * SectorSize > responseData.Length)
                {
                    return AtaCompletion.Refused(AoeError.BadArgument);
                }

                PrepareTransfer(task, nexus, 0, ScsiOpcode.Write16, lba, count, _writeCacheEnabled ? 0 : Fua, DataDirection.Write,
                    MemoryMarshal.AsMemory(requestData[..(count * SectorSize)]));
                return await ExecuteScsiAsync(task, request, isRead: false, cancellationToken).ConfigureAwait(false) ?? Good(request, 0);
            }

            case AtaOpcode.FlushCache:
            case AtaOpcode.FlushCacheExt:
                PrepareTransfer(task, nexus, 0, ScsiOpcode.SynchronizeCache16, 0, 0, 0, DataDirection.None, Memory<byte>.Empty);
                return await ExecuteScsiAsync(task, request, isRead: false, cancellationToken).ConfigureAwait(false) ?? Good(request, 0);

            case AtaOpcode.CheckPowerMode:
                return new AtaCompletion(AoeError.None, request with
                {
                    ErrorFeature = 0,
                    SectorCount = PowerModeActiveOrIdle,
                    CommandStatus = (byte)AtaStatus.DeviceReady,
                }, 0);

            case AtaOpcode.SetFeatures:
                return SetFeatures(request) ? Good(request, 0) : Failed(request, AtaError.Abort);

            default:
                return Failed(request, AtaError.Abort);
        }
    }

    /// <summary>Runs the prepared task (repeating it over unit attentions); null when it ended GOOD, else the ATA/AoE answer.</summary>
    private async ValueTask<AtaCompletion?> ExecuteScsiAsync(ScsiTask task, AoeAtaHeader request, bool isRead, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            task.Status = ScsiStatus.Good;
            task.DataInLength = 0;
            task.SetSenseLength(0);
            try
            {
                await _unit.ExecuteAsync(task, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Aborted by task management on another protocol: the initiator asks again.
                return AtaCompletion.NoResponse;
            }

            switch (task.Status)
            {
                case ScsiStatus.Good:
                case ScsiStatus.ConditionMet:
                    return null;
                case ScsiStatus.ReservationConflict:
                    return AtaCompletion.Refused(AoeError.TargetReserved);
                case ScsiStatus.Busy:
                case ScsiStatus.TaskSetFull:
                case ScsiStatus.TaskAborted:
                    return AtaCompletion.NoResponse;
                case ScsiStatus.CheckCondition:
                    break;
                default:
                    return Failed(request, AtaError.Abort);
            }

            SenseData.TryParse(task.Sense, out SenseKey key, out byte asc, out byte ascq);
            switch (key)
            {
                case SenseKey.UnitAttention when attempt < UnitAttentionRetries:
                    continue;
                case SenseKey.NotReady:
                    return AtaCompletion.Refused(AoeError.DeviceUnavailable);
                case SenseKey.MediumError:
                    return Failed(request, isRead ? AtaError.Uncorrectable : AtaError.Abort);
                case SenseKey.IllegalRequest when ((asc << 8) | ascq) == Asc.LbaOutOfRange:
                    return Failed(request, AtaError.IdNotFound);
                default:
                    return Failed(request, AtaError.Abort);
            }
        }
    }

    private static void Prepare(ScsiTask task, ItNexus nexus, uint tag, DataDirection direction, Memory<byte> buffer)
    {
        task.Reset();
        task.Nexus = nexus;
        task.Tag = tag;
        task.Attribute = TaskAttribute.Simple;
        task.Direction = direction;
        task.ExpectedDataTransferLength = buffer.Length;
        task.Buffer = buffer;
    }

    private static void PrepareTransfer(ScsiTask task, ItNexus nexus, uint tag, byte opcode, long lba, int count, int flags, DataDirection direction, Memory<byte> buffer)
    {
        Prepare(task, nexus, tag, direction, buffer);
        Span<byte> cdb = stackalloc byte[16];
        cdb.Clear();
        cdb[0] = opcode;
        cdb[1] = (byte)flags;
        BinaryPrimitives.WriteUInt64BigEndian(cdb[2..], (ulong)lba);
        BinaryPrimitives.WriteUInt32BigEndian(cdb[10..], (uint)count);
        task.SetCdb(cdb);
    }

    private static void PrepareReadCapacity16(ScsiTask task, ItNexus nexus, uint tag, Memory<byte> buffer)
    {
        Prepare(task, nexus, tag, DataDirection.Read, buffer);
        Span<byte> cdb = stackalloc byte[16];
        WriteReadCapacity16(cdb);
        task.SetCdb(cdb);
    }

    private static void WriteReadCapacity16(Span<byte> cdb)
    {
        cdb.Clear();
        cdb[0] = ScsiOpcode.ServiceActionIn16;
        cdb[1] = ScsiOpcode.ReadCapacity16ServiceAction;
        BinaryPrimitives.WriteUInt32BigEndian(cdb[10..], ReadCapacity16Length);
    }

    /// <summary>One start-up command, repeated over unit attentions; true when it ended GOOD.</summary>
    private static async Task<bool> RunAsync(ILogicalUnit unit, ScsiTask task, ItNexus nexus, ReadOnlyMemory<byte> cdb, DataDirection direction,
        Memory<byte> buffer, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt <= UnitAttentionRetries; attempt++)
        {
            Prepare(task, nexus, 0, direction, buffer);
            task.SetCdb(cdb.Span);
            await unit.ExecuteAsync(task, cancellationToken).ConfigureAwait(false);
            if (task.Status == ScsiStatus.Good)
            {
                return true;
            }

            if (task.Status != ScsiStatus.CheckCondition || !SenseData.TryParse(task.Sense, out SenseKey key, out _, out _) || key != SenseKey.UnitAttention)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>ACS-3 §7.45: the subcommands a host sends to a plain disk. The Linux aoe driver itself sends none.</summary>
    private bool SetFeatures(in AoeAtaHeader request)
    {
        switch (request.ErrorFeature)
        {
            case SetFeaturesSubcommand.EnableWriteCache:
                _writeCacheEnabled = true;
                return true;
            case SetFeaturesSubcommand.DisableWriteCache:
                _writeCacheEnabled = false;
                return true;
            case SetFeaturesSubcommand.EnableReadLookAhead:
                _readLookAheadEnabled = true;
                return true;
            case SetFeaturesSubcommand.DisableReadLookAhead:
                _readLookAheadEnabled = false;
                return true;
            case SetFeaturesSubcommand.EnableRevertToDefaults:
            case SetFeaturesSubcommand.DisableRevertToDefaults:
                return true;
            case SetFeaturesSubcommand.SetTransferMode:
                // Count: 00h PIO default, 01h PIO default without IORDY, 08h | n PIO flow-control mode n. Identify claims
                // PIO modes 0-4 and no DMA, so those are the modes accepted.
                byte mode = request.SectorCount;
                return mode is 0x00 or 0x01 || (mode >= 0x08 && mode <= 0x0C);
            default:
                return false;
        }
    }

    /// <summary>The starting sector and the count, decoded as the command code says (28- or 48-bit).</summary>
    private static (long Lba, int Count) Address(in AoeAtaHeader request)
    {
        bool extended = request.CommandStatus is AtaOpcode.ReadSectorsExt or AtaOpcode.WriteSectorsExt;
        long lba = (long)(extended ? request.Lba & AoeAtaHeader.LbaMask : request.Lba & Lba28Mask);
        int count = request.SectorCount != 0 ? request.SectorCount : extended ? MaxSectorsLba48 : MaxSectorsLba28;
        return (lba, count);
    }

    private static AtaCompletion Good(in AoeAtaHeader request, int dataLength) =>
        new(AoeError.None, request with { ErrorFeature = 0, CommandStatus = (byte)AtaStatus.DeviceReady }, dataLength);

    private static AtaCompletion Failed(in AoeAtaHeader request, AtaError error) =>
        new(AoeError.None, request with { ErrorFeature = (byte)error, CommandStatus = (byte)(AtaStatus.DeviceReady | AtaStatus.Error) }, 0);
}
