using System.Security.Cryptography;
using System.Text;

namespace NetScsi.Iscsi.Login;

/// <summary>CHAP arithmetic (RFC 1994 §2, RFC 7143 §12.1.3): Response = H(Identifier || secret || Challenge).</summary>
public static class Chap
{
    /// <summary>RFC 7143 §12.1.3: challenges longer than 1024 bytes are refused.</summary>
    public const int MaxChallengeLength = 1024;

    /// <summary>Every algorithm we implement, strongest last (the order the default policy allows them in).</summary>
    public static IReadOnlyList<ChapAlgorithm> AllAlgorithms { get; } =
        [ChapAlgorithm.Md5, ChapAlgorithm.Sha1, ChapAlgorithm.Sha256, ChapAlgorithm.Sha3_256];

    /// <summary>SHA3-256 depends on the platform's crypto library (OpenSSL 1.1.1+ on Linux).</summary>
    public static bool IsSupported(ChapAlgorithm algorithm) => algorithm switch
    {
        ChapAlgorithm.Md5 or ChapAlgorithm.Sha1 or ChapAlgorithm.Sha256 => true,
        ChapAlgorithm.Sha3_256 => SHA3_256.IsSupported,
        _ => false,
    };

    public static int GetDigestLength(ChapAlgorithm algorithm) => algorithm switch
    {
        ChapAlgorithm.Md5 => MD5.HashSizeInBytes,
        ChapAlgorithm.Sha1 => SHA1.HashSizeInBytes,
        ChapAlgorithm.Sha256 => SHA256.HashSizeInBytes,
        ChapAlgorithm.Sha3_256 => SHA3_256.HashSizeInBytes,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>H(id || secret || challenge) with the secret as UTF-8.</summary>
    public static byte[] ComputeResponse(ChapAlgorithm algorithm, byte id, string secret, ReadOnlySpan<byte> challenge)
    {
        int secretLength = Encoding.UTF8.GetByteCount(secret);
        byte[] input = new byte[1 + secretLength + challenge.Length];
        input[0] = id;
        Encoding.UTF8.GetBytes(secret, input.AsSpan(1));
        challenge.CopyTo(input.AsSpan(1 + secretLength));
        try
        {
            return algorithm switch
            {
                // CHAP with MD5/SHA-1 is what RFC 1994 and RFC 7143 specify; not a general-purpose use.
#pragma warning disable CA5351, CA5350
                ChapAlgorithm.Md5 => MD5.HashData(input),
                ChapAlgorithm.Sha1 => SHA1.HashData(input),
#pragma warning restore CA5351, CA5350
                ChapAlgorithm.Sha256 => SHA256.HashData(input),
                ChapAlgorithm.Sha3_256 => SHA3_256.HashData(input),
                _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(input);
        }
    }

    /// <summary>Checks a peer's CHAP_R in constant time.</summary>
    public static bool VerifyResponse(ChapAlgorithm algorithm, byte id, string secret, ReadOnlySpan<byte> challenge, ReadOnlySpan<byte> response)
    {
        byte[] expected = ComputeResponse(algorithm, id, secret, challenge);
        return response.Length == expected.Length && CryptographicOperations.FixedTimeEquals(expected, response);
    }
}
