using System.Buffers;
using NetScsi.Iscsi.Pdus;
using NetScsi.Iscsi.Text;

namespace NetScsi.Iscsi.Target;

internal sealed partial class TargetConnection
{
    private FullFeatureTextNegotiator? _text;

    /// <summary>Text Request in full feature phase (RFC 7143 §11.10): SendTargets and FFP keys.</summary>
    private async ValueTask<bool> HandleTextRequestAsync(PduFrame frame)
    {
        var pdu = TextRequestPdu.Parse(frame.Header);
        if (!AcceptCmdSN(pdu.CmdSN, pdu.Immediate))
        {
            return true;
        }
        _text ??= new FullFeatureTextNegotiator(_parameters, _server.Options, _server.TargetAddresses(_mover));
        var response = _text.Process(new TextRequest
        {
            Final = pdu.Final,
            Continue = pdu.Continue,
            Itt = pdu.InitiatorTaskTag,
            TargetTransferTag = pdu.TargetTransferTag,
            Data = frame.Data.ToArray(),
        });
        CompleteNonScsi(pdu.Immediate);
        if (response.IsUnknownTag)
        {
            await SendRejectAsync(RejectReason.InvalidPduField, frame.Header).ConfigureAwait(false);
            return true;
        }
        if (response.IsProtocolError)
        {
            await SendRejectAsync(RejectReason.ProtocolError, frame.Header).ConfigureAwait(false);
            return true;
        }
        await SendWithStatSNAsync(response.Data, new TextResponsePdu
        {
            Final = response.Final,
            Continue = response.Continue,
            DataSegmentLength = response.Data.Length,
            Lun = pdu.Lun,
            InitiatorTaskTag = pdu.InitiatorTaskTag,
            TargetTransferTag = response.TargetTransferTag,
        }).ConfigureAwait(false);
        return true;
    }
}
