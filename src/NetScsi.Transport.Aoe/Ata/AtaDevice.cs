using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using NetScsi.Scsi.Storage;

namespace NetScsi.Transport.Aoe.Ata;

/// <summary>
/// An ATA disk (the subset an AoE initiator uses) over a NetScsi <see cref="IBlockDevice"/> of 512-octet blocks. It
/// does no I/O of its own beyond the device's, and nothing of the network: the caller hands it the ATA argument of a
/// request, the data that followed it in the frame, and the room a response frame has for data.
/// </summary>
/// <remarks>
/// Commands: IDENTIFY DEVICE, READ/WRITE SECTORS (28-bit) and (EXT, 48-bit), FLUSH CACHE (EXT), CHECK POWER MODE,
/// SET FEATURES (write cache, read look-ahead, transfer mode, revert to defaults); anything else ends with ERR and
/// ABRT. A transfer the frame cannot carry (Count x 512 more than the request brought or the response has room for;
/// a Count of 0 means 256 or 65536 sectors, as in ATA) is refused with AoE error 2 (bad argument) as vblade does; one
/// past the last sector ends with ERR and IDNF. The command code decides the addressing and the direction, as in ATA;
/// the E and W flags are echoed. The A (asynchronous write) flag is honoured by ignoring it: writes complete when the
/// device has them, which is what a synchronous write asks.
/// </remarks>
public sealed class AtaDevice
{
    /// <summary>The ATA sector size AoE moves.</summary>
    public const int SectorSize = 512;

    private const ulong Lba28Mask = 0x0FFF_FFFF;
    private const int MaxSectorsLba28 = 256;
    private const int MaxSectorsLba48 = 65536;

    /// <summary>CHECK POWER MODE Count output: active or idle.</summary>
    private const byte PowerModeActiveOrIdle = 0xFF;

    private readonly IBlockDevice _device;
    private readonly string _serialNumber;
    private readonly string _firmwareRevision;
    private readonly string _modelNumber;
    private readonly int _physicalSectorExponent;
    private volatile bool _writeCacheEnabled = true;
    private volatile bool _readLookAheadEnabled = true;

    /// <param name="device">The LUN's storage; its blocks must be 512 octets (AoE addresses 512-octet sectors).</param>
    /// <param name="modelNumber">IDENTIFY words 27-46 (40 characters at most are sent).</param>
    /// <param name="firmwareRevision">IDENTIFY words 23-26 (8 characters).</param>
    /// <param name="serialNumber">IDENTIFY words 10-19 (20 characters); null: derived from the device's identity as the
    /// SCSI layer derives VPD 80h, so one LUN has the same serial over iSCSI and over AoE.</param>
    public AtaDevice(IBlockDevice device, string modelNumber = "NETSCSI VIRTUAL-DISK", string firmwareRevision = "0001", string? serialNumber = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(modelNumber);
        ArgumentNullException.ThrowIfNull(firmwareRevision);
        if (device.BlockSize != SectorSize)
        {
            throw new ArgumentException($"AoE addresses {SectorSize}-octet sectors; the device's blocks are {device.BlockSize} octets.", nameof(device));
        }

        _device = device;
        _modelNumber = modelNumber;
        _firmwareRevision = firmwareRevision;
        _serialNumber = serialNumber ?? Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(device.Identity)), 0, 8);
        int perPhysical = Math.Max(1, device.PhysicalBlockSize / SectorSize);
        _physicalSectorExponent = Math.Min(15, System.Numerics.BitOperations.Log2((uint)perPhysical));
    }

    /// <summary>The serial number IDENTIFY DEVICE reports.</summary>
    public string SerialNumber => _serialNumber;

    /// <summary>Volatile write cache enabled (SET FEATURES 02h/82h); when disabled every write is forced to stable storage.</summary>
    public bool WriteCacheEnabled => _writeCacheEnabled;

    /// <summary>The device's capacity in sectors.</summary>
    public long SectorCount => _device.BlockCount;

    /// <summary>
    /// Carries out one ATA command. Never throws for anything a request can contain; an <see cref="IOException"/>
    /// from the device becomes ERR with UNC (reads) or ABRT (writes, flushes). Cancellation propagates.
    /// </summary>
    /// <param name="request">The request's ATA argument.</param>
    /// <param name="requestData">What followed the argument in the request frame (a write's data, perhaps padding).</param>
    /// <param name="responseData">Where a read's data or the identify page goes: the room the response frame has.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<AtaCompletion> ExecuteAsync(AoeAtaHeader request, ReadOnlyMemory<byte> requestData, Memory<byte> responseData,
        CancellationToken cancellationToken = default)
    {
        switch (request.CommandStatus)
        {
            case AtaOpcode.IdentifyDevice:
                if (responseData.Length < AtaIdentifyData.Length)
                {
                    return AtaCompletion.Refused(AoeError.BadArgument);
                }

                AtaIdentifyData.Write(responseData.Span, _device.BlockCount, _serialNumber, _firmwareRevision, _modelNumber,
                    _writeCacheEnabled, _readLookAheadEnabled, _physicalSectorExponent);
                return Good(request, AtaIdentifyData.Length);

            case AtaOpcode.ReadSectors:
            case AtaOpcode.ReadSectorsExt:
            {
                (long lba, int count) = Address(request);
                if ((long)count * SectorSize > responseData.Length)
                {
                    return AtaCompletion.Refused(AoeError.BadArgument);
                }

                if (!InRange(lba, count))
                {
                    return Failed(request, AtaError.IdNotFound);
                }

                int length = count * SectorSize;
                try
                {
                    await _device.ReadAsync(lba, responseData[..length], cancellationToken).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    return Failed(request, AtaError.Uncorrectable);
                }

                return Good(request, length);
            }

            case AtaOpcode.WriteSectors:
            case AtaOpcode.WriteSectorsExt:
            {
                (long lba, int count) = Address(request);
                if ((long)count * SectorSize > requestData.Length || (long)count * SectorSize > responseData.Length)
                {
                    return AtaCompletion.Refused(AoeError.BadArgument);
                }

                if (!InRange(lba, count))
                {
                    return Failed(request, AtaError.IdNotFound);
                }

                if (_device.IsReadOnly)
                {
                    return Failed(request, AtaError.Abort);
                }

                try
                {
                    await _device.WriteAsync(lba, requestData[..(count * SectorSize)], forceUnitAccess: !_writeCacheEnabled, cancellationToken).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    return Failed(request, AtaError.Abort);
                }

                return Good(request, 0);
            }

            case AtaOpcode.FlushCache:
            case AtaOpcode.FlushCacheExt:
                try
                {
                    await _device.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    return Failed(request, AtaError.Abort);
                }

                return Good(request, 0);

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

    private bool InRange(long lba, int count)
    {
        long capacity = _device.BlockCount;
        return lba <= capacity && count <= capacity - lba;
    }

    private static AtaCompletion Good(in AoeAtaHeader request, int dataLength) =>
        new(AoeError.None, request with { ErrorFeature = 0, CommandStatus = (byte)AtaStatus.DeviceReady }, dataLength);

    private static AtaCompletion Failed(in AoeAtaHeader request, AtaError error) =>
        new(AoeError.None, request with { ErrorFeature = (byte)error, CommandStatus = (byte)(AtaStatus.DeviceReady | AtaStatus.Error) }, 0);
}
