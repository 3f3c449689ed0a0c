namespace NetScsi.Iscsi.Login;

/// <summary>Login stages of the CSG/NSG fields (RFC 7143 §11.12.3). Value 2 is reserved.</summary>
public enum LoginStage : byte
{
    SecurityNegotiation = 0,
    LoginOperationalNegotiation = 1,
    FullFeaturePhase = 3,
}
