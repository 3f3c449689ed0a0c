using System.Globalization;
using NetScsi.Iscsi.Session;
using NetScsi.Iscsi.Text;

namespace NetScsi.Iscsi.Login;

/// <summary>
/// Target side of the non-security keys during login (RFC 7143 §6.2, §13): answers offers, records
/// declarations, offers our own values where the RFC default would exceed our limits, and writes
/// the results into <see cref="IscsiSessionParameters"/>.
/// </summary>
internal sealed class OperationalKeyNegotiator
{
    private readonly TargetLoginPolicy _policy;
    private readonly IscsiSessionParameters _parameters;
    private readonly HashSet<string> _negotiated = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _pendingOffers = new(StringComparer.Ordinal);

    public OperationalKeyNegotiator(TargetLoginPolicy policy, IscsiSessionParameters parameters)
    {
        _policy = policy;
        _parameters = parameters;
    }

    public bool IsLeadingConnection { get; set; } = true;

    public bool MaxRecvDataSegmentLengthDeclared { get; private set; }

    /// <summary>Offers we sent and the initiator has not answered yet.</summary>
    public bool HasPendingOffers => _pendingOffers.Count > 0;

    private bool IsDiscovery => _parameters.SessionType == SessionType.Discovery;

    /// <summary>
    /// Handles one initiator key in the operational stage (or a declaration allowed in any stage).
    /// Returns a failure status when the login must fail.
    /// </summary>
    public LoginStatusCode? Process(TextKeyDefinition definition, string value, TextKeyValues response)
    {
        string key = definition.Name;

        if (_pendingOffers.Remove(key, out string? ourOffer))
        {
            return ProcessAnswerToOffer(definition, ourOffer, value);
        }

        _negotiated.Add(key);

        // RFC 7143 §13.25: obsolete marker keys get a fixed answer, never NotUnderstood.
        if (definition.ObsoleteAnswer is not null)
        {
            response.Add(key, definition.ObsoleteAnswer);
            return null;
        }

        // An initiator answering NotUnderstood/Irrelevant/Reject to something we never offered: nothing to do.
        if (TextValues.IsReservedAnswer(value))
        {
            return null;
        }

        if (!definition.InitiatorMaySend)
        {
            // e.g. TargetAlias, TargetAddress, TargetPortalGroupTag from the initiator. When we declare
            // the key ourselves in this response, that declaration stands and no second answer is added.
            if (!response.ContainsKey(key))
            {
                response.Add(key, TextValues.Reject);
            }

            return null;
        }

        if ((IsDiscovery && definition.IrrelevantInDiscovery) || (!IsLeadingConnection && definition.Use == TextKeyUse.LeadingOnly)
            || (definition.IrrelevantWithoutRdma && !_policy.RdmaExtensions))
        {
            // RFC 7143 §13 "Irrelevant when: SessionType=Discovery"; LO keys on a non-leading connection (§6.2);
            // RFC 7145 §6 "Irrelevant when: RDMAExtensions=No": our AND value is No, so the result is No.
            if (!definition.IsDeclarative)
            {
                response.Add(key, TextValues.Irrelevant);
            }

            return null;
        }

        if (definition.IsDeclarative)
        {
            ApplyDeclaration(definition, value, response);
            return null;
        }

        string? local = _policy.LocalValue(key);
        if (local is null)
        {
            response.Add(key, TextValues.NotUnderstood);
            return null;
        }

        if (TextKeyNegotiation.TryRespond(definition, value, local, out string answer))
        {
            Apply(key, answer);
        }

        response.Add(key, answer);
        return null;
    }

    /// <summary>RFC 7143 §13.12: declare what we receive, once per connection, in the operational stage.</summary>
    public void DeclareMaxRecvDataSegmentLength(TextKeyValues response)
    {
        if (MaxRecvDataSegmentLengthDeclared)
        {
            return;
        }

        int value = (int)Math.Clamp((long)_policy.MaxRecvDataSegmentLength, 512, (long)TextKeyTable.MaxDataLength);
        response.Add(TextKeyTable.MaxRecvDataSegmentLength, value.ToString(CultureInfo.InvariantCulture));
        _parameters.TargetMaxRecvDataSegmentLength = value;
        MaxRecvDataSegmentLengthDeclared = true;
    }

    /// <summary>
    /// Offers our value for every leading-only key the initiator left at its RFC default when that
    /// default is not acceptable to us (e.g. our MaxBurstLength limit is below 262144). Returns true
    /// when something was offered: the target must then wait for the answers before transiting.
    /// </summary>
    public bool AddTargetOffers(TextKeyValues response) => CollectTargetOffers(response);

    /// <summary>True when <see cref="AddTargetOffers"/> would offer something (no side effects).</summary>
    public bool NeedsTargetOffers() => CollectTargetOffers(null);

    private bool CollectTargetOffers(TextKeyValues? response)
    {
        if (IsDiscovery || !IsLeadingConnection)
        {
            return false;
        }

        bool offered = false;
        foreach (TextKeyDefinition definition in TextKeyTable.All)
        {
            if (definition.Stage != TextKeyStage.Operational || definition.IsDeclarative || definition.IsObsolete
                || definition.Default is null || _negotiated.Contains(definition.Name) || _pendingOffers.ContainsKey(definition.Name))
            {
                continue;
            }

            string? local = _policy.LocalValue(definition.Name);
            if (local is null || !TextKeyNegotiation.TryRespond(definition, definition.Default, local, out string result)
                || result == definition.Default)
            {
                continue;
            }

            if (response is null)
            {
                return true;
            }

            // Our value differs from what the default would give: offer it (for lists, our first choice).
            string offer = definition.Type == TextKeyValueType.List ? local.Split(',')[0] : result;
            response.Add(definition.Name, offer);
            _pendingOffers.Add(definition.Name, offer);
            _negotiated.Add(definition.Name);
            offered = true;
        }

        return offered;
    }

    /// <summary>RFC 7143 §13.14: FirstBurstLength MUST NOT exceed MaxBurstLength.</summary>
    public void FixUpResponse(TextKeyValues response)
    {
        if (_parameters.FirstBurstLength <= _parameters.MaxBurstLength)
        {
            return;
        }

        _parameters.FirstBurstLength = _parameters.MaxBurstLength;
        for (int i = 0; i < response.Count; i++)
        {
            if (response[i].Key == TextKeyTable.FirstBurstLength && response[i].Value != TextValues.Reject)
            {
                // Lowering a Minimum answer keeps it a valid answer (≤ the offer).
                response.SetValueAt(i, _parameters.MaxBurstLength.ToString(CultureInfo.InvariantCulture));
            }
        }
    }

    private LoginStatusCode? ProcessAnswerToOffer(TextKeyDefinition definition, string ourOffer, string answer)
    {
        // RFC 7143 §6.2: the initiator is the responder now; its answer must be a valid result of
        // the key's function applied to our offer. Anything else leaves us with a value we cannot honour.
        if (TextValues.IsReservedAnswer(answer)
            || !TextKeyNegotiation.TryRespond(definition, answer, ourOffer, out string result)
            || (definition.Type != TextKeyValueType.List && result != Normalize(definition, answer)))
        {
            return LoginStatusCode.InitiatorError;
        }

        Apply(definition.Name, result);
        return null;
    }

    private static string Normalize(TextKeyDefinition definition, string value) =>
        definition.Type == TextKeyValueType.Numeric && TextValues.TryParseNumber(value, out ulong n)
            ? n.ToString(CultureInfo.InvariantCulture)
            : value;

    private void ApplyDeclaration(TextKeyDefinition definition, string value, TextKeyValues response)
    {
        if (!TextKeyNegotiation.IsValidDeclaration(definition, value))
        {
            response.Add(definition.Name, TextValues.Reject);
            return;
        }

        switch (definition.Name)
        {
            case TextKeyTable.MaxRecvDataSegmentLength:
                TextValues.TryParseNumber(value, out ulong length);
                _parameters.InitiatorMaxRecvDataSegmentLength = (int)length;
                break;
            case TextKeyTable.InitiatorAlias:
                _parameters.InitiatorAlias = value;
                break;
        }
    }

    private void Apply(string key, string result) => _parameters.ApplyNegotiated(key, result);
}
