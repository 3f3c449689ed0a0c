using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace NetScsi.IpOverScsi.Routing;

/// <summary>
/// The neighbour query that fills the neighbour table when a peer is configured by its SCSI address alone: a SCSI
/// network has no broadcast, so the asking host sends a request to each known SCSI address in turn (unicast), and
/// the host that owns the IPv4 address answers on its own link back. Carried as a message of its own stream, 0806h
/// (the Ethernet type of ARP; RFC 2143 §3 takes stream values from Ethernet types), in the ARP packet layout of
/// RFC 826: hardware type FFFFh (no registered type fits; this implementation's "SCSI address"), protocol type
/// 0800h, hardware address length 8, protocol address length 4, operation 1 (request) or 2 (reply), then sender
/// hardware and protocol addresses, target hardware and protocol addresses. A host's hardware address is the first
/// 8 bytes of SHA-256 of its target's iSCSI name, so the answering host finds the link back among its own peers'.
/// </summary>
public static class NeighbourQuery
{
    /// <summary>STREAM SELECTION of neighbour queries (the Ethernet type of ARP).</summary>
    public const ushort Stream = 0x0806;

    public const ushort HardwareType = 0xFFFF;
    public const ushort ProtocolType = 0x0800;
    public const int HardwareAddressLength = 8;
    public const int ProtocolAddressLength = 4;
    public const ushort Request = 1;
    public const ushort Reply = 2;

    /// <summary>8 + 2 × (8 + 4).</summary>
    public const int Length = 8 + 2 * (HardwareAddressLength + ProtocolAddressLength);

    /// <summary>A host's hardware address: the first 8 bytes of SHA-256 of its target name.</summary>
    public static ulong HardwareAddressOf(string targetName)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(targetName), hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }

    /// <summary>Writes a request or reply; returns <see cref="Length"/>.</summary>
    public static int Write(Span<byte> destination, ushort operation, ulong senderHardware, uint senderAddress, ulong targetHardware, uint targetAddress)
    {
        Span<byte> p = destination[..Length];
        BinaryPrimitives.WriteUInt16BigEndian(p, HardwareType);
        BinaryPrimitives.WriteUInt16BigEndian(p[2..], ProtocolType);
        p[4] = HardwareAddressLength;
        p[5] = ProtocolAddressLength;
        BinaryPrimitives.WriteUInt16BigEndian(p[6..], operation);
        BinaryPrimitives.WriteUInt64BigEndian(p[8..], senderHardware);
        BinaryPrimitives.WriteUInt32BigEndian(p[16..], senderAddress);
        BinaryPrimitives.WriteUInt64BigEndian(p[20..], targetHardware);
        BinaryPrimitives.WriteUInt32BigEndian(p[28..], targetAddress);
        return Length;
    }

    /// <summary>Reads a request or reply; false for anything else (wrong length, types, sizes or operation).</summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, out ushort operation, out ulong senderHardware, out uint senderAddress, out ulong targetHardware, out uint targetAddress)
    {
        operation = 0;
        senderHardware = targetHardware = 0;
        senderAddress = targetAddress = 0;
        if (packet.Length != Length
            || BinaryPrimitives.ReadUInt16BigEndian(packet) != HardwareType
            || BinaryPrimitives.ReadUInt16BigEndian(packet[2..]) != ProtocolType
            || packet[4] != HardwareAddressLength
            || packet[5] != ProtocolAddressLength)
        {
            return false;
        }
        operation = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]);
        if (operation is not (Request or Reply))
        {
            return false;
        }
        senderHardware = BinaryPrimitives.ReadUInt64BigEndian(packet[8..]);
        senderAddress = BinaryPrimitives.ReadUInt32BigEndian(packet[16..]);
        targetHardware = BinaryPrimitives.ReadUInt64BigEndian(packet[20..]);
        targetAddress = BinaryPrimitives.ReadUInt32BigEndian(packet[28..]);
        return true;
    }
}
