using System.Security.Cryptography;
using System.Text;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Login;
using NetScsi.Iscsi.Text;

namespace NetScsi.Iscsi.Tests.Login;

/// <summary>Deterministic "random" bytes: 0x10, 0x11, 0x12, …</summary>
internal sealed class CountingRandom : RandomNumberGenerator
{
    private byte _next = 0x10;

    public override void GetBytes(byte[] data) => GetBytes(data.AsSpan());

    public override void GetBytes(Span<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = _next++;
        }
    }
}

internal static class LoginTestKit
{
    public const string TargetName = "iqn.2024-01.net.netscsi:disk1";
    public const string InitiatorName = "iqn.1993-08.org.debian:01:abcdef";
    public const ulong Isid = 0x23D000000001;

    public static IscsiTargetOptions Options(Action<TargetDefinition>? configure = null)
    {
        var options = new IscsiTargetOptions();
        var target = new TargetDefinition { Name = TargetName };
        configure?.Invoke(target);
        options.Targets.Add(target);
        return options;
    }

    public static TargetLoginStateMachine Machine(IscsiTargetOptions? options = null, TargetLoginPolicy? policy = null,
        Func<SessionBindingRequest, SessionBinding>? bind = null) =>
        new(options ?? Options(), new CountingRandom(), policy, bind);

    public static byte[] Text(params string[] pairs) => Encoding.UTF8.GetBytes(string.Concat(pairs.Select(p => p + "\0")));

    public static LoginRequest Request(LoginStage csg, LoginStage? nsg, params string[] pairs) => new()
    {
        CurrentStage = (byte)csg,
        NextStage = nsg is null ? (byte)0 : (byte)nsg.Value,
        Transit = nsg is not null,
        Isid = Isid,
        Data = Text(pairs),
    };

    public static TextKeyValues Keys(LoginResponse response)
    {
        Assert.True(TextKeyValues.TryParse(response.Data, out TextKeyValues pairs, out TextParseStatus status), status.ToString());
        return pairs;
    }

    public static string Value(LoginResponse response, string key)
    {
        Assert.True(Keys(response).TryGetValue(key, out string value), $"response lacks {key}: {Keys(response)}");
        return value;
    }

    public static void AssertSuccess(LoginResponse response) =>
        Assert.True(response.StatusClass == 0, $"status {response.Status}");
}
