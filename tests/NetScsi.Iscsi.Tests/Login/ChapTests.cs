using System.Security.Cryptography;
using NetScsi.Iscsi.Login;

namespace NetScsi.Iscsi.Tests.Login;

public sealed class ChapTests
{
    private static readonly byte[] s_challenge = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f];

    // Expected digests computed independently with OpenSSL 3.0 over the bytes 07 || "MySecret1234" || 00..0f:
    //   printf '\x07MySecret1234\x00\x01...\x0f' | openssl dgst -md5 / -sha1 / -sha256 / -sha3-256
    [Theory]
    [InlineData(ChapAlgorithm.Md5, "b89340a3f37b96d4cca8350f5feea542")]
    [InlineData(ChapAlgorithm.Sha1, "81190a46730a8900d074e22235d1b6d6f5bb5b0b")]
    [InlineData(ChapAlgorithm.Sha256, "0be011c01f1687ec266a163a7e7ffe6310c8b7684399866d5db7f075d2e668a8")]
    [InlineData(ChapAlgorithm.Sha3_256, "9be60d76f2bddb8ea9889e5d0cc7278c48f27209aedba28cd3c4e955b6508244")]
    public void ComputeResponse_MatchesOpenSslDigestOfIdSecretChallenge(ChapAlgorithm algorithm, string expectedHex)
    {
        if (!Chap.IsSupported(algorithm))
        {
            return; // SHA3-256 needs OpenSSL 1.1.1+; nothing to check on this platform
        }

        byte[] response = Chap.ComputeResponse(algorithm, 7, "MySecret1234", s_challenge);
        Assert.Equal(expectedHex, Convert.ToHexStringLower(response));
        Assert.Equal(Chap.GetDigestLength(algorithm), response.Length);
        Assert.True(Chap.VerifyResponse(algorithm, 7, "MySecret1234", s_challenge, response));
    }

    [Fact]
    public void VerifyResponse_WrongSecretOrIdOrLength_Fails()
    {
        byte[] good = Chap.ComputeResponse(ChapAlgorithm.Md5, 7, "MySecret1234", s_challenge);
        Assert.False(Chap.VerifyResponse(ChapAlgorithm.Md5, 7, "MySecret1235", s_challenge, good));
        Assert.False(Chap.VerifyResponse(ChapAlgorithm.Md5, 8, "MySecret1234", s_challenge, good));
        Assert.False(Chap.VerifyResponse(ChapAlgorithm.Md5, 7, "MySecret1234", s_challenge, good.AsSpan(0, 15)));
    }

    [Fact]
    public void Sha3_IsSupportedMatchesPlatform() =>
        Assert.Equal(SHA3_256.IsSupported, Chap.IsSupported(ChapAlgorithm.Sha3_256));
}
