using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Session;

namespace NetScsi.Iscsi.Text;

/// <summary>
/// Answers Text Requests in full-feature phase (RFC 7143 §11.10, §11.11) for one connection:
/// SendTargets (§13.3), redeclared MaxRecvDataSegmentLength (§13.12) and aliases; keys that belong
/// to login are answered Reject, unknown keys NotUnderstood.
/// </summary>
/// <remarks>
/// Continuation is kept simple: an initiator's text with C=1 is accumulated (empty answers carrying
/// a target transfer tag) up to 64 KiB; a long answer is cut into pieces of the initiator's
/// MaxRecvDataSegmentLength, sent with C=1 and a tag the initiator echoes in an empty request for
/// the next piece. A new request with TTT 0xFFFFFFFF and a different ITT abandons any pending exchange.
/// </remarks>
public sealed class FullFeatureTextNegotiator
{
    /// <summary>RFC 7143 §11.10.4: the reserved target transfer tag.</summary>
    public const uint ReservedTag = 0xFFFFFFFF;

    private readonly IscsiSessionParameters _parameters;
    private readonly IscsiTargetOptions _options;
    private readonly IReadOnlyList<string> _targetAddresses;
    private readonly TextAccumulator _accumulator = new();

    private uint? _exchangeItt;
    private uint _currentTag = ReservedTag;
    private uint _nextTag = 1;
    private byte[]? _pendingOutput;
    private int _outputOffset;

    /// <param name="parameters">The connection's negotiated values (session type, target, initiator MaxRecvDataSegmentLength).</param>
    /// <param name="options">Targets and portal group tag.</param>
    /// <param name="targetAddresses">The portals SendTargets reports to this connection (<c>host:port</c>, without the tag).</param>
    public FullFeatureTextNegotiator(IscsiSessionParameters parameters, IscsiTargetOptions options, IReadOnlyList<string> targetAddresses)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(targetAddresses);
        _parameters = parameters;
        _options = options;
        _targetAddresses = targetAddresses;
    }

    public TextResponse Process(in TextRequest request)
    {
        // RFC 7143 §11.10.2: C=1 requires F=0.
        if (request.Continue && request.Final)
        {
            return ProtocolError();
        }

        if (request.TargetTransferTag != ReservedTag)
        {
            if (_exchangeItt != request.Itt || request.TargetTransferTag != _currentTag)
            {
                return ProtocolError();
            }
        }
        else if (!(_exchangeItt == request.Itt && _accumulator.IsPending))
        {
            // A new exchange; whatever was pending is abandoned.
            Reset();
            _exchangeItt = request.Itt;
        }

        if (_pendingOutput is not null)
        {
            return request.Data.IsEmpty ? NextChunk() : ProtocolError();
        }

        switch (_accumulator.Append(request.Data.Span, request.Continue))
        {
            case TextAccumulateResult.TooLarge:
                return ProtocolError();
            case TextAccumulateResult.NeedMore:
                return new TextResponse { Final = false, TargetTransferTag = NewTag() };
        }

        if (!TextKeyValues.TryParse(_accumulator.Take(), out TextKeyValues pairs, out _))
        {
            return ProtocolError();
        }

        TextKeyValues answer = Answer(pairs);
        _pendingOutput = answer.ToArray();
        _outputOffset = 0;
        return NextChunk();
    }

    private TextKeyValues Answer(TextKeyValues pairs)
    {
        var response = new TextKeyValues();
        foreach (TextKeyValue pair in pairs)
        {
            if (!TextKeyTable.TryGet(pair.Key, out TextKeyDefinition definition))
            {
                response.Add(pair.Key, TextValues.NotUnderstood);
                continue;
            }

            if (!definition.AllowedInFullFeature || !definition.InitiatorMaySend)
            {
                // RFC 7143 §6.2: login-only keys (and target-only keys) cannot be negotiated here.
                response.Add(pair.Key, TextValues.Reject);
                continue;
            }

            switch (pair.Key)
            {
                case TextKeyTable.SendTargets:
                    foreach (TextKeyValue item in SendTargetsResponder.Build(
                        pair.Value, _parameters.SessionType, _parameters.TargetName, _options.Targets, _targetAddresses,
                        _parameters.InitiatorName, _parameters.TargetPortalGroupTag))
                    {
                        response.Add(item.Key, item.Value);
                    }

                    break;

                case TextKeyTable.MaxRecvDataSegmentLength:
                    // RFC 7143 §13.12: a new declaration applies to what we send from now on.
                    if (TextKeyNegotiation.TryParseInRange(definition, pair.Value, out ulong length))
                    {
                        _parameters.InitiatorMaxRecvDataSegmentLength = (int)length;
                    }
                    else
                    {
                        response.Add(pair.Key, TextValues.Reject);
                    }

                    break;

                case TextKeyTable.InitiatorAlias:
                    _parameters.InitiatorAlias = pair.Value;
                    break;

                default:
                    response.Add(pair.Key, TextValues.NotUnderstood);
                    break;
            }
        }

        return response;
    }

    private TextResponse NextChunk()
    {
        byte[] output = _pendingOutput!;
        int chunk = Math.Max(512, _parameters.InitiatorMaxRecvDataSegmentLength);
        int length = Math.Min(chunk, output.Length - _outputOffset);
        byte[] data = output.AsSpan(_outputOffset, length).ToArray();
        _outputOffset += length;
        if (_outputOffset < output.Length)
        {
            // RFC 7143 §11.11.2: C=1 (F=0) – more text follows when the initiator asks with our tag.
            if (_currentTag == ReservedTag)
            {
                _currentTag = NewTag();
            }

            return new TextResponse { Final = false, Continue = true, TargetTransferTag = _currentTag, Data = data };
        }

        Reset();
        return new TextResponse { Final = true, Continue = false, TargetTransferTag = ReservedTag, Data = data };
    }

    private uint NewTag()
    {
        uint tag = _nextTag++;
        if (_nextTag == ReservedTag)
        {
            _nextTag = 1;
        }

        _currentTag = tag;
        return tag;
    }

    private TextResponse ProtocolError()
    {
        Reset();
        return new TextResponse { Final = true, IsProtocolError = true };
    }

    private void Reset()
    {
        _accumulator.Reset();
        _pendingOutput = null;
        _outputOffset = 0;
        _currentTag = ReservedTag;
        _exchangeItt = null;
    }
}
