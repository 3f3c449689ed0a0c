using NetScsi.Iscsi.Pdus;

namespace NetScsi.Transport;

/// <summary>The upcalls both sides' protocol engines take from their mover's receive side (RFC 5047 §8).</summary>
public interface IDataMoverHandler
{
    /// <summary>
    /// RFC 5047 Control_Notify: a PDU for the protocol (every PDU but the data PDUs the mover places itself). The
    /// frame's slices are valid until the returned task completes. False ends the connection.
    /// </summary>
    ValueTask<bool> OnControlAsync(PduFrame frame);

    /// <summary>
    /// A PDU the mover could not take (<paramref name="error"/>: a digest mismatch or a data segment longer than we
    /// declared); only the header is known, and after a header error not even that. False ends the connection;
    /// after a header digest error or an oversized segment the framing is lost and the connection ends anyway.
    /// </summary>
    ValueTask<bool> OnFramingErrorAsync(PduReadResult error, PduFrame frame);
}
