using System.Buffers.Binary;
using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Emulation;

using static NetScsi.Scsi.Tests.Emulation.LuHarness;

namespace NetScsi.Scsi.Tests.Emulation;

/// <summary>PERSISTENT RESERVE IN/OUT builders (SPC-4 §6.15, §6.16) shared by the reservation tests.</summary>
internal static class PersistentReservationCdbs
{
    /// <summary>A third initiator port, besides <see cref="LuHarness"/>'s default and other nexus.</summary>
    public static readonly ItNexus ThirdNexus = NetScsi.Iscsi.Session.IscsiTransportIdCodec.CreateNexus("iqn.2024-01.test:init3", 3, 1);

    public static byte[] PrIn(byte serviceAction, ushort allocationLength = 1024)
    {
        byte[] c = new byte[10];
        c[0] = ScsiOpcode.PersistentReserveIn;
        c[1] = serviceAction;
        BinaryPrimitives.WriteUInt16BigEndian(c.AsSpan(7), allocationLength);
        return c;
    }

    public static byte[] PrOut(byte serviceAction, PersistentReservationType type = PersistentReservationType.None, uint parameterListLength = 24)
    {
        byte[] c = new byte[10];
        c[0] = ScsiOpcode.PersistentReserveOut;
        c[1] = serviceAction;
        c[2] = (byte)type;
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(5), parameterListLength);
        return c;
    }

    /// <summary>The basic 24-byte PR OUT parameter list: reservation key, service action key, flags (byte 20).</summary>
    public static byte[] PrParameters(ulong key, ulong serviceActionKey = 0, byte flags = 0)
    {
        byte[] p = new byte[24];
        BinaryPrimitives.WriteUInt64BigEndian(p, key);
        BinaryPrimitives.WriteUInt64BigEndian(p.AsSpan(8), serviceActionKey);
        p[20] = flags;
        return p;
    }

    /// <summary>READ KEYS, sorted.</summary>
    public static async Task<ulong[]> ReadKeysAsync(LuHarness h, ItNexus nexus)
    {
        ScsiTask task = await h.RunAsync(PrIn(0x00), dataIn: 1024, nexus: nexus);
        AssertGood(task);
        ReadOnlySpan<byte> d = DataIn(task);
        ulong[] keys = new ulong[(int)U32(d, 4) / 8];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = U64(d, 8 + (8 * i));
        }
        Array.Sort(keys);
        return keys;
    }

    /// <summary>READ RESERVATION: the holder's key and type, or null.</summary>
    public static async Task<(ulong Key, PersistentReservationType Type)?> ReadReservationAsync(LuHarness h, ItNexus nexus)
    {
        ScsiTask task = await h.RunAsync(PrIn(0x01), dataIn: 24, nexus: nexus);
        AssertGood(task);
        ReadOnlySpan<byte> d = DataIn(task);
        return U32(d, 4) == 0 ? null : (U64(d, 8), (PersistentReservationType)(d[21] & 0x0F));
    }
}
