namespace NetScsi.Iscsi.Login;

/// <summary>
/// CHAP_A values (RFC 7143 §12.1.3 refers to the IANA PPP "CHAP algorithm" registry: 5 = MD5,
/// 6 = SHA-1, 7 = SHA-256, 8 = SHA3-256; the Linux target uses the same numbers).
/// </summary>
public enum ChapAlgorithm : byte
{
    Md5 = 5,
    Sha1 = 6,
    Sha256 = 7,
    Sha3_256 = 8,
}
