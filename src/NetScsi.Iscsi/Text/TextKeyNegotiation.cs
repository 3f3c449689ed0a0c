using System.Globalization;
using System.Text;

namespace NetScsi.Iscsi.Text;

/// <summary>The responder's side of one key (RFC 7143 §6.2): offered value + our value → answer.</summary>
public static class TextKeyNegotiation
{
    /// <summary>
    /// Computes the answer to an offer. Returns false (answer <c>Reject</c>) when the offer is not a
    /// valid value of the key, is out of range, or no list item is acceptable.
    /// </summary>
    /// <param name="definition">The key.</param>
    /// <param name="offered">The offerer's value.</param>
    /// <param name="local">Our value; for list keys the comma-separated values we support.</param>
    /// <param name="answer">The negotiated result to send back, or <see cref="TextValues.Reject"/>.</param>
    public static bool TryRespond(TextKeyDefinition definition, string offered, string local, out string answer)
    {
        ArgumentNullException.ThrowIfNull(definition);
        answer = TextValues.Reject;
        if (Encoding.UTF8.GetByteCount(offered) > definition.MaxValueLength && definition.Type != TextKeyValueType.List)
        {
            return false;
        }

        switch (definition.Result)
        {
            case TextKeyResultFunction.Or:
            case TextKeyResultFunction.And:
            {
                if (!TextValues.TryParseBoolean(offered, out bool theirs) || !TextValues.TryParseBoolean(local, out bool ours))
                {
                    return false;
                }

                // RFC 7143 §6.2.2: the result of a Boolean negotiation is OR/AND of both values.
                bool result = definition.Result == TextKeyResultFunction.Or ? theirs || ours : theirs && ours;
                answer = TextValues.FormatBoolean(result);
                return true;
            }

            case TextKeyResultFunction.Min:
            case TextKeyResultFunction.Max:
            {
                if (!TryParseInRange(definition, offered, out ulong theirs) || !TextValues.TryParseNumber(local, out ulong ours))
                {
                    return false;
                }

                // RFC 7143 §6.2.2: the responder answers the selected value, which is the result.
                ours = Math.Clamp(ours, definition.Min, definition.Max);
                ulong result = definition.Result == TextKeyResultFunction.Min ? Math.Min(theirs, ours) : Math.Max(theirs, ours);
                answer = result.ToString(CultureInfo.InvariantCulture);
                return true;
            }

            case TextKeyResultFunction.MinOrZero:
            {
                if (!TryParseInRange(definition, offered, out ulong theirs) || !TextValues.TryParseNumber(local, out ulong ours))
                {
                    return false;
                }

                // RFC 7145 §6.7: 0 declares no limit, so it yields to any limit the other side has.
                ours = ours == 0 ? 0 : Math.Clamp(ours, definition.Min, definition.Max);
                ulong result = theirs == 0 ? ours : ours == 0 ? theirs : Math.Min(theirs, ours);
                answer = result.ToString(CultureInfo.InvariantCulture);
                return true;
            }

            case TextKeyResultFunction.ListFirst:
            {
                if (!TextValues.TrySplitList(offered, out string[] items))
                {
                    return false;
                }

                foreach (string item in items)
                {
                    if (Encoding.UTF8.GetByteCount(item) > definition.MaxValueLength)
                    {
                        return false;
                    }
                }

                // RFC 7143 §6.2.1: the responder picks the first value of the offerer's list it supports;
                // none acceptable → Reject. Unknown values in the list are simply skipped.
                string[] supported = local.Split(',');
                foreach (string item in items)
                {
                    if (Array.IndexOf(supported, item) >= 0)
                    {
                        answer = item;
                        return true;
                    }
                }

                return false;
            }

            case TextKeyResultFunction.Declarative:
                answer = offered;
                return IsValidDeclaration(definition, offered);

            default:
                return false;
        }
    }

    /// <summary>Validates a declarative value against the key's syntax and range.</summary>
    public static bool IsValidDeclaration(TextKeyDefinition definition, string value)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (Encoding.UTF8.GetByteCount(value) > definition.MaxValueLength)
        {
            return false;
        }

        return definition.Type switch
        {
            TextKeyValueType.Numeric => TryParseInRange(definition, value, out _),
            TextKeyValueType.Boolean => TextValues.TryParseBoolean(value, out _),
            TextKeyValueType.List when definition.Values is not null => definition.Values.Contains(value),
            _ => true,
        };
    }

    /// <summary>Parses a numeric value and checks it against the key's range.</summary>
    public static bool TryParseInRange(TextKeyDefinition definition, string value, out ulong result) =>
        TextValues.TryParseNumber(value, out result)
        && ((result >= definition.Min && result <= definition.Max) || (result == 0 && definition.Result == TextKeyResultFunction.MinOrZero));
}
