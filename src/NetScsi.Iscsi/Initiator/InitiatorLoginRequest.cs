using NetScsi.Iscsi.Login;
using NetScsi.Iscsi.Text;

namespace NetScsi.Iscsi.Initiator;

/// <summary>
/// What <see cref="InitiatorLoginStateMachine"/> wants sent next: the stage fields and the text of
/// one Login Request (RFC 7143 §11.12). The engine adds ISID, TSIH, CID, ITT, CmdSN and ExpStatSN.
/// </summary>
public sealed class InitiatorLoginRequest
{
    /// <summary>CSG.</summary>
    public LoginStage CurrentStage { get; init; }

    /// <summary>NSG; meaningful only with <see cref="Transit"/>.</summary>
    public LoginStage NextStage { get; init; }

    /// <summary>T bit: we are ready to move to <see cref="NextStage"/>.</summary>
    public bool Transit { get; init; }

    /// <summary>The key=value pairs of the data segment.</summary>
    public TextKeyValues Keys { get; init; } = new();

    /// <summary>The encoded data segment.</summary>
    public byte[] Data => Keys.Count == 0 ? [] : Keys.ToArray();

    /// <inheritdoc/>
    public override string ToString() => $"CSG={CurrentStage} T={(Transit ? 1 : 0)} NSG={NextStage} {Keys}";
}
