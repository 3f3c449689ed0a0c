namespace NetScsi.Transport.Aoe.Tests;

public sealed class ConfigStringTests
{
    private static (bool Answered, AoeError Error, string Current) Apply(AoeConfigString config, AoeConfigCommand command, string request)
    {
        byte[] current = new byte[AoeConfigHeader.MaxConfigStringLength];
        bool answered = config.Apply(command, System.Text.Encoding.ASCII.GetBytes(request), current, out int length, out AoeError error);
        return (answered, error, System.Text.Encoding.ASCII.GetString(current, 0, length));
    }

    [Fact]
    public void Read_IsAlwaysAnsweredWithTheCurrentString() =>
        Assert.Equal((true, AoeError.None, "rack4"), Apply(new AoeConfigString("rack4"u8), AoeConfigCommand.Read, "anything"));

    [Theory]
    [InlineData("rack4", true)]
    [InlineData("rack", false)]
    [InlineData("rack45", false)]
    [InlineData("", false)]
    public void Test_IsAnsweredOnlyOnAnExactMatch(string request, bool answered) =>
        Assert.Equal(answered, Apply(new AoeConfigString("rack4"u8), AoeConfigCommand.Test, request).Answered);

    [Theory]
    [InlineData("rack", true)]
    [InlineData("", true)]
    [InlineData("rack4", true)]
    [InlineData("rack45", false)]
    [InlineData("ra k", false)]
    public void TestPrefix_IsAnsweredWhenTheRequestIsAPrefix(string request, bool answered) =>
        Assert.Equal(answered, Apply(new AoeConfigString("rack4"u8), AoeConfigCommand.TestPrefix, request).Answered);

    [Fact]
    public void Set_OnAnEmptyString_StoresIt()
    {
        var config = new AoeConfigString();

        Assert.Equal((true, AoeError.None, "mine"), Apply(config, AoeConfigCommand.Set, "mine"));
        Assert.Equal(4, config.Length);
    }

    [Fact]
    public void Set_ToTheSameString_IsAnsweredWithoutError() =>
        Assert.Equal((true, AoeError.None, "mine"), Apply(new AoeConfigString("mine"u8), AoeConfigCommand.Set, "mine"));

    [Fact]
    public void Set_OverADifferentString_FailsWithConfigStringPresentAndKeepsIt() =>
        Assert.Equal((true, AoeError.ConfigStringPresent, "mine"), Apply(new AoeConfigString("mine"u8), AoeConfigCommand.Set, "yours"));

    [Fact]
    public void ForceSet_ReplacesAnyString() =>
        Assert.Equal((true, AoeError.None, "yours"), Apply(new AoeConfigString("mine"u8), AoeConfigCommand.ForceSet, "yours"));

    [Fact]
    public void UndefinedConfigCommand_IsAnsweredWithBadArgument() =>
        Assert.Equal((true, AoeError.BadArgument, "mine"), Apply(new AoeConfigString("mine"u8), (AoeConfigCommand)5, "x"));

    [Fact]
    public void RequestStringOver1024Octets_IsAnsweredWithBadArgumentAndStoresNothing()
    {
        var config = new AoeConfigString();

        Assert.Equal(AoeError.BadArgument, Apply(config, AoeConfigCommand.ForceSet, new string('a', 1025)).Error);
        Assert.Equal(0, config.Length);
    }
}
