namespace NetScsi.Iscsi.Login;

/// <summary>What the target answers to one login request; the engine wraps it into a Login Response PDU (RFC 7143 §11.13).</summary>
public sealed class LoginResponse
{
    /// <summary>CSG.</summary>
    public byte CurrentStage { get; init; }

    /// <summary>NSG; zero unless <see cref="Transit"/>.</summary>
    public byte NextStage { get; init; }

    /// <summary>T bit.</summary>
    public bool Transit { get; init; }

    /// <summary>C bit (always false: our responses fit one PDU).</summary>
    public bool Continue { get; init; }

    public byte StatusClass { get; init; }

    public byte StatusDetail { get; init; }

    /// <summary>key=value text for the data segment.</summary>
    public byte[] Data { get; init; } = [];

    /// <summary>TSIH for the response: the engine-assigned one in the final response, else the request's.</summary>
    public ushort Tsih { get; init; }

    public LoginStatusCode Status => (LoginStatusCode)((StatusClass << 8) | StatusDetail);

    /// <summary>True for the response that moves the connection to full-feature phase.</summary>
    public bool IsFinal => StatusClass == 0 && Transit && NextStage == (byte)LoginStage.FullFeaturePhase;

    internal static LoginResponse Failure(LoginStatusCode status, byte currentStage, ushort tsih) => new()
    {
        CurrentStage = currentStage,
        StatusClass = (byte)((ushort)status >> 8),
        StatusDetail = (byte)status,
        Tsih = tsih,
    };
}
