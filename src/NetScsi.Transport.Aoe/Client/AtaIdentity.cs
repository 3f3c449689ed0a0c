using System.Buffers.Binary;
using System.Text;
using NetScsi.Transport.Aoe.Ata;

namespace NetScsi.Transport.Aoe.Client;

/// <summary>What the client needs from a target's IDENTIFY DEVICE page (ACS-3 §7.12.7). Pure decoding.</summary>
/// <param name="Sectors">512-octet sectors: words 100-103 when the 48-bit feature set is supported, else words 60-61.</param>
/// <param name="Lba48">Word 83 or 86 bit 10: the 48-bit Address feature set (the Linux driver reads both).</param>
/// <param name="FlushCacheExt">Word 83 bit 13: FLUSH CACHE EXT.</param>
/// <param name="Model">Words 27-46, byte-swapped ASCII, trailing spaces removed.</param>
/// <param name="Serial">Words 10-19.</param>
/// <param name="Firmware">Words 23-26.</param>
public sealed record AtaIdentity(ulong Sectors, bool Lba48, bool FlushCacheExt, string Model, string Serial, string Firmware)
{
    private const ushort Address48 = 1 << 10;
    private const ushort FlushExt = 1 << 13;

    /// <summary>Decodes a 512-octet page; false when it is shorter.</summary>
    public static bool TryParse(ReadOnlySpan<byte> page, out AtaIdentity? identity)
    {
        identity = null;
        if (page.Length < AtaIdentifyData.Length)
        {
            return false;
        }

        ushort word83 = Word(page, AtaIdentifyData.CommandSetSupportedWord83);
        bool lba48 = ((word83 | Word(page, AtaIdentifyData.CommandSetEnabledWord86)) & Address48) != 0;
        ulong sectors = lba48
            ? BinaryPrimitives.ReadUInt64LittleEndian(page[(AtaIdentifyData.Lba48CapacityWord * 2)..])
            : BinaryPrimitives.ReadUInt32LittleEndian(page[(AtaIdentifyData.Lba28CapacityWord * 2)..]);
        identity = new AtaIdentity(
            sectors,
            lba48,
            (word83 & FlushExt) != 0,
            AtaString(page, AtaIdentifyData.ModelNumberWord, AtaIdentifyData.ModelNumberLength),
            AtaString(page, AtaIdentifyData.SerialNumberWord, AtaIdentifyData.SerialNumberLength),
            AtaString(page, AtaIdentifyData.FirmwareRevisionWord, AtaIdentifyData.FirmwareRevisionLength));
        return true;
    }

    private static ushort Word(ReadOnlySpan<byte> page, int index) => BinaryPrimitives.ReadUInt16LittleEndian(page[(index * 2)..]);

    /// <summary>ATA strings hold two characters per word, the first in the high octet.</summary>
    private static string AtaString(ReadOnlySpan<byte> page, int word, int length)
    {
        Span<byte> text = stackalloc byte[length];
        for (int i = 0; i < length; i += 2)
        {
            text[i] = page[(word * 2) + i + 1];
            text[i + 1] = page[(word * 2) + i];
        }

        for (int i = 0; i < length; i++)
        {
            if (text[i] is < 0x20 or > 0x7E)
            {
                text[i] = (byte)' ';
            }
        }

        return Encoding.ASCII.GetString(text).Trim();
    }
}
