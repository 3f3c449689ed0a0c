namespace NetScsi.Iscsi.Pdus;

/// <summary>
/// A target PDU that carries StatSN, ExpCmdSN and MaxCmdSN. The sender fills them in at the moment
/// it writes the PDU, under its send lock, so StatSN follows wire order (RFC 7143 §4.2.2.2).
/// </summary>
public interface IStatusPdu
{
    void SetSequenceNumbers(uint statSN, uint expCmdSN, uint maxCmdSN);

    void WriteTo(Span<byte> bhs);
}
