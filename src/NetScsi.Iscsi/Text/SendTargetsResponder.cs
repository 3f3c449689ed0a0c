using System.Globalization;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Session;

namespace NetScsi.Iscsi.Text;

/// <summary>
/// Builds the answer to <c>SendTargets</c> (RFC 7143 §13.3, Appendix C): for each target the initiator
/// may log into, <c>TargetName=…</c> followed by one <c>TargetAddress=ip:port,tpgt</c> per portal.
/// </summary>
public static class SendTargetsResponder
{
    /// <param name="value">The SendTargets value: "All", a target name, or empty.</param>
    /// <param name="sessionType">Discovery sessions may ask for All; normal sessions only for their own target.</param>
    /// <param name="sessionTargetName">The target of a normal session.</param>
    /// <param name="targets">All configured targets.</param>
    /// <param name="targetAddresses">The portals to report (<c>host:port</c> as the listeners format them for this connection).</param>
    /// <param name="initiatorName">The initiator asking: it sees only targets whose ACLs admit it.</param>
    /// <param name="portalGroupTag">The TPGT of the portals.</param>
    public static TextKeyValues Build(
        string value,
        SessionType sessionType,
        string? sessionTargetName,
        IEnumerable<TargetDefinition> targets,
        IReadOnlyList<string> targetAddresses,
        string initiatorName,
        ushort portalGroupTag)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(targetAddresses);
        var response = new TextKeyValues();

        bool all = value == "All";
        string? wanted;
        if (all)
        {
            // RFC 7143 §13.3: "All" is for discovery sessions; a normal session may ask only about its target.
            if (sessionType != SessionType.Discovery)
            {
                response.Add(TextKeyTable.SendTargets, TextValues.Reject);
                return response;
            }

            wanted = null;
        }
        else if (value.Length == 0)
        {
            // RFC 7143 §13.3: an empty value means the session's target (normal sessions only).
            if (sessionType != SessionType.Normal || sessionTargetName is null)
            {
                response.Add(TextKeyTable.SendTargets, TextValues.Reject);
                return response;
            }

            wanted = sessionTargetName;
        }
        else
        {
            if (sessionType == SessionType.Normal && !string.Equals(value, sessionTargetName, StringComparison.OrdinalIgnoreCase))
            {
                return response; // nothing to report about other targets from a normal session
            }

            wanted = value;
        }

        // RFC 7143 §13.8: domainname[:port][,portal-group-tag].
        var addresses = new List<string>(targetAddresses.Count);
        foreach (string address in targetAddresses)
        {
            addresses.Add(string.Create(CultureInfo.InvariantCulture, $"{address},{portalGroupTag}"));
        }

        foreach (TargetDefinition target in targets)
        {
            if (wanted is not null && !string.Equals(target.Name, wanted, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            // An initiator sees only the targets it may log into.
            if (target.Acls.Count > 0 && !target.Acls.Any(a => string.Equals(a.InitiatorName, initiatorName, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            response.Add(TextKeyTable.TargetName, target.Name);
            foreach (string address in addresses)
            {
                response.Add(TextKeyTable.TargetAddress, address);
            }
        }

        return response;
    }
}
