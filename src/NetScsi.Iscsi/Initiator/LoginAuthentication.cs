namespace NetScsi.Iscsi.Initiator;

/// <summary>How a login authenticated (RFC 7143 §12.1).</summary>
public enum LoginAuthentication
{
    /// <summary>AuthMethod=None: nobody proved anything.</summary>
    None,
    /// <summary>CHAP: the initiator proved it knows the secret the target holds for it.</summary>
    Chap,
    /// <summary>Mutual CHAP: the initiator proved itself, and the target proved it knows the mutual secret.</summary>
    MutualChap,
}
