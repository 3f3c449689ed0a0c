using System.Buffers.Binary;

namespace NetScsi.Transport.Aoe.Ata;

/// <summary>
/// The 512-octet IDENTIFY DEVICE data (ACS-3 §7.12.7): 256 little-endian words. Strings are ASCII, two characters a
/// word with the first in the high octet ("byte-swapped"), space-padded. Only what this device truthfully supports is
/// claimed: LBA, the 48-bit address feature set, FLUSH CACHE (EXT), a volatile write cache and read look-ahead that
/// SET FEATURES switches, PIO only (no DMA, no READ/WRITE MULTIPLE, no queued commands).
/// </summary>
public static class AtaIdentifyData
{
    /// <summary>The page's length.</summary>
    public const int Length = 512;

    /// <summary>The largest capacity words 60-61 may state; a larger device reports it there and its size in 100-103.</summary>
    public const long MaxLba28Sectors = 0x0FFF_FFFF;

    public const int SerialNumberWord = 10;
    public const int SerialNumberLength = 20;
    public const int FirmwareRevisionWord = 23;
    public const int FirmwareRevisionLength = 8;
    public const int ModelNumberWord = 27;
    public const int ModelNumberLength = 40;
    public const int Lba28CapacityWord = 60;
    public const int CommandSetSupportedWord82 = 82;
    public const int CommandSetSupportedWord83 = 83;
    public const int CommandSetEnabledWord85 = 85;
    public const int CommandSetEnabledWord86 = 86;
    public const int Lba48CapacityWord = 100;
    public const int SectorSizeWord = 106;
    public const int IntegrityWord = 255;

    // Word 83/86: bit 14 shall be one (83 only), 13 FLUSH CACHE EXT, 12 FLUSH CACHE, 10 48-bit Address feature set.
    private const ushort FlushCacheExt = 1 << 13;
    private const ushort FlushCache = 1 << 12;
    private const ushort Address48 = 1 << 10;
    private const ushort ShallBeOne = 1 << 14;

    // Word 82/85: bit 6 read look-ahead, bit 5 volatile write cache.
    private const ushort ReadLookAhead = 1 << 6;
    private const ushort WriteCache = 1 << 5;

    // The obsolete CHS geometry ATA-5 hosts read (words 1, 3, 6, 54-58): 16 heads, 63 sectors per track.
    private const int Heads = 16;
    private const int SectorsPerTrack = 63;
    private const int MaxCylinders = 16383;

    /// <summary>The integrity word's signature (word 255 bits 7:0); bits 15:8 make all 512 octets sum to zero.</summary>
    public const byte Signature = 0xA5;

    /// <summary>Writes the page for a device of <paramref name="sectors"/> 512-octet sectors.</summary>
    /// <param name="physicalSectorExponent">log2 of 512-octet sectors per physical sector (0..15; word 106).</param>
    public static void Write(Span<byte> page, long sectors, string serialNumber, string firmwareRevision, string modelNumber,
        bool writeCacheEnabled, bool readLookAheadEnabled, int physicalSectorExponent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page.Length, Length);
        ArgumentOutOfRangeException.ThrowIfNegative(sectors);
        ArgumentOutOfRangeException.ThrowIfNegative(physicalSectorExponent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(physicalSectorExponent, 15);
        page = page[..Length];
        page.Clear();

        long cylinders = Math.Min(sectors / (Heads * SectorsPerTrack), MaxCylinders);
        SetWord(page, 1, (ushort)cylinders);
        SetWord(page, 3, Heads);
        SetWord(page, 6, SectorsPerTrack);
        SetString(page, SerialNumberWord, SerialNumberLength, serialNumber);
        SetString(page, FirmwareRevisionWord, FirmwareRevisionLength, firmwareRevision);
        SetString(page, ModelNumberWord, ModelNumberLength, modelNumber);
        SetWord(page, 47, 0x8000);            // bits 15:8 shall be 80h; 0 sectors: READ/WRITE MULTIPLE not supported
        SetWord(page, 49, 1 << 9);            // LBA supported (no DMA)
        SetWord(page, 50, ShallBeOne);
        SetWord(page, 53, 0x0003);            // words 54-58 and 64-70 are valid
        SetWord(page, 54, (ushort)cylinders);
        SetWord(page, 55, Heads);
        SetWord(page, 56, SectorsPerTrack);
        BinaryPrimitives.WriteUInt32LittleEndian(page[(57 * 2)..], (uint)(cylinders * Heads * SectorsPerTrack));
        BinaryPrimitives.WriteUInt32LittleEndian(page[(Lba28CapacityWord * 2)..], (uint)Math.Min(sectors, MaxLba28Sectors));
        SetWord(page, 64, 0x0003);            // PIO modes 3 and 4
        SetWord(page, 65, 120);               // cycle times in ns (words 65-68): mode 4's
        SetWord(page, 66, 120);
        SetWord(page, 67, 120);
        SetWord(page, 68, 120);
        SetWord(page, 80, 0x00F0);            // major version: ATA/ATAPI-4 to -7
        SetWord(page, CommandSetSupportedWord82, ReadLookAhead | WriteCache);
        SetWord(page, CommandSetSupportedWord83, ShallBeOne | FlushCacheExt | FlushCache | Address48);
        SetWord(page, 84, ShallBeOne);
        SetWord(page, CommandSetEnabledWord85,
            (ushort)((readLookAheadEnabled ? ReadLookAhead : 0) | (writeCacheEnabled ? WriteCache : 0)));
        SetWord(page, CommandSetEnabledWord86, FlushCacheExt | FlushCache | Address48);
        SetWord(page, 87, ShallBeOne);
        BinaryPrimitives.WriteUInt64LittleEndian(page[(Lba48CapacityWord * 2)..], (ulong)sectors);
        // Word 106: bit 14 valid; bit 13 several logical sectors per physical sector, bits 3:0 how many (log2).
        SetWord(page, SectorSizeWord, (ushort)(ShallBeOne | (physicalSectorExponent > 0 ? (1 << 13) | physicalSectorExponent : 0)));

        page[IntegrityWord * 2] = Signature;
        byte sum = 0;
        for (int i = 0; i < Length - 1; i++)
        {
            sum += page[i];
        }

        page[Length - 1] = (byte)-sum;
    }

    /// <summary>Reads back an ATA string field (byte-swapped, space-padded), trailing spaces removed.</summary>
    public static string ReadString(ReadOnlySpan<byte> page, int word, int length)
    {
        Span<char> chars = stackalloc char[length];
        for (int i = 0; i < length; i += 2)
        {
            chars[i] = (char)page[(word * 2) + i + 1];
            chars[i + 1] = (char)page[(word * 2) + i];
        }

        return new string(chars.TrimEnd(' '));
    }

    public static ushort ReadWord(ReadOnlySpan<byte> page, int word) => BinaryPrimitives.ReadUInt16LittleEndian(page[(word * 2)..]);

    private static void SetWord(Span<byte> page, int word, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(page[(word * 2)..], value);

    /// <summary>Characters outside printable ASCII become '?', so the field is always ASCII (ACS-3 §3.4.9).</summary>
    private static void SetString(Span<byte> page, int word, int length, string value)
    {
        Span<byte> field = page.Slice(word * 2, length);
        for (int i = 0; i < length; i++)
        {
            char c = i < value.Length ? value[i] : ' ';
            field[i ^ 1] = c is >= ' ' and <= '~' ? (byte)c : (byte)'?';
        }
    }
}
