using System.IO.Pipelines;

namespace NetScsi.Transport;

/// <summary>
/// One transport connection under an iSCSI connection (RFC 5047 "Allocate_Connection_Resources").
/// Stream data movers (TCP, in-memory, raw Ethernet) expose the byte stream as an
/// <see cref="IDuplexPipe"/>; the protocol engine parses PDUs straight out of
/// <see cref="IDuplexPipe.Input"/> and gathers header + payload into <see cref="IDuplexPipe.Output"/>
/// (Send_Control / Put_Data / Get_Data are PDU writes and reads on the stream).
/// </summary>
public interface IDataMoverConnection : IAsyncDisposable
{
    IDuplexPipe Transport { get; }

    /// <summary>Human-readable name of the mover ("tcp", "memory").</summary>
    string Kind { get; }

    /// <summary>The peer's address without port ("192.0.2.7", "2001:db8::7", a MAC), for logs and per-address limits.</summary>
    string PeerAddress { get; }

    /// <summary>The connection as logs name it ("192.0.2.7:51234").</summary>
    string RemoteName { get; }

    /// <summary>RFC 5047 Connection_Terminate: tears the connection down now; pending I/O fails.</summary>
    void Abort();
}
