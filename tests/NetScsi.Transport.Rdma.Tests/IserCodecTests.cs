using NetScsi.Transport.Rdma.Iser;

namespace NetScsi.Transport.Rdma.Tests;

public sealed class IserCodecTests
{
    [Fact]
    public void Header_WithBothBuffers_IsBigEndianAtRfc7145Offsets()
    {
        var bytes = new byte[IserHeader.Length];
        new IserHeader
        {
            WriteStag = 0x01020304,
            WriteBaseOffset = 0x05060708090A0B0C,
            ReadStag = 0x0D0E0F10,
            ReadBaseOffset = 0x1112131415161718,
        }.WriteTo(bytes);

        byte[] expected =
        [
            0x1C, 0x00, 0x00, 0x00,
            0x01, 0x02, 0x03, 0x04,
            0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C,
            0x0D, 0x0E, 0x0F, 0x10,
            0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
        ];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void Header_Control_IsOpcodeOneAndZeros()
    {
        byte[] bytes = [.. Enumerable.Repeat((byte)0xAA, IserHeader.Length)];
        IserHeader.Control.WriteTo(bytes);

        Assert.Equal(0x10, bytes[0]);
        Assert.All(bytes[1..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Header_WriteOnly_SetsWsvAndZeroesTheReadFields()
    {
        var bytes = new byte[IserHeader.Length];
        new IserHeader { WriteStag = 7, WriteBaseOffset = 0x1000, ReadBaseOffset = 0xFFFF }.WriteTo(bytes);

        Assert.Equal(0x18, bytes[0]);
        Assert.All(bytes[16..], b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(null, 0UL, null, 0UL)]
    [InlineData(0xFFFFFFFFu, ulong.MaxValue, null, 0UL)]
    [InlineData(null, 0UL, 0x1234u, 0x7F0000001000UL)]
    [InlineData(1u, 2UL, 3u, 4UL)]
    public void Header_RoundTrips(uint? writeStag, ulong writeOffset, uint? readStag, ulong readOffset)
    {
        var header = new IserHeader { WriteStag = writeStag, WriteBaseOffset = writeOffset, ReadStag = readStag, ReadBaseOffset = readOffset };
        var bytes = new byte[IserHeader.Length + 48];
        header.WriteTo(bytes);

        Assert.Equal(IserReadStatus.Ok, IserHeader.TryRead(bytes, out IserHeader read));
        Assert.Equal(header, read);
    }

    [Fact]
    public void Header_Read_IgnoresReservedBitsAndFieldsOfInvalidBuffers()
    {
        byte[] bytes = [.. Enumerable.Repeat((byte)0xEE, IserHeader.Length)];
        bytes[0] = 0x10 | IserHeader.ReadStagValid | 0x03; // reserved low bits set, W clear

        Assert.Equal(IserReadStatus.Ok, IserHeader.TryRead(bytes, out IserHeader read));
        Assert.Null(read.WriteStag);
        Assert.Equal(0UL, read.WriteBaseOffset);
        Assert.Equal(0xEEEEEEEEu, read.ReadStag);
        Assert.Equal(0xEEEEEEEEEEEEEEEEUL, read.ReadBaseOffset);
    }

    [Fact]
    public void Header_Read_RefusesShortAndOtherOpcodes()
    {
        var bytes = new byte[IserHeader.Length];
        IserHeader.Control.WriteTo(bytes);

        Assert.Equal(IserReadStatus.TooShort, IserHeader.TryRead(bytes.AsSpan(0, IserHeader.Length - 1), out _));
        bytes[0] = 0x20;
        Assert.Equal(IserReadStatus.WrongOpcode, IserHeader.TryRead(bytes, out _));
        bytes[0] = 0x00;
        Assert.Equal(IserReadStatus.WrongOpcode, IserHeader.TryRead(bytes, out _));
    }

    [Fact]
    public void Hello_Layout_AndRoundTrip()
    {
        var bytes = new byte[IserHelloMessage.Length];
        var hello = new IserHelloMessage(MaxVersion: 1, MinVersion: 1, InboundRdmaReadDepth: 0x0102);
        hello.WriteTo(bytes);

        Assert.Equal(new byte[] { 0x20, 0x11, 0x01, 0x02, 0, 0, 0, 0 }, bytes);
        Assert.Equal(IserReadStatus.Ok, IserHelloMessage.TryRead(bytes, out IserHelloMessage read));
        Assert.Equal(hello, read);
        Assert.Equal(IserReadStatus.WrongOpcode, IserHelloReplyMessage.TryRead(bytes, out _));
        Assert.Equal(IserReadStatus.TooShort, IserHelloMessage.TryRead(bytes.AsSpan(0, 7), out _));
    }

    [Fact]
    public void HelloReply_Layout_AndRoundTrip_WithReject()
    {
        var bytes = new byte[IserHelloReplyMessage.Length];
        var reply = new IserHelloReplyMessage(Reject: true, MaxVersion: 2, CurrentVersion: 1, OutboundRdmaReadDepth: 16);
        reply.WriteTo(bytes);

        Assert.Equal(new byte[] { 0x31, 0x21, 0x00, 0x10, 0, 0, 0, 0 }, bytes);
        Assert.Equal(IserReadStatus.Ok, IserHelloReplyMessage.TryRead(bytes, out IserHelloReplyMessage read));
        Assert.Equal(reply, read);
        Assert.Equal(IserReadStatus.WrongOpcode, IserHelloMessage.TryRead(bytes, out _));
    }

    [Fact]
    public void Hello_RefusesVersionsWiderThanFourBits()
    {
        var bytes = new byte[IserHelloMessage.Length];
        Assert.Throws<ArgumentOutOfRangeException>(() => new IserHelloMessage(16, 1, 0).WriteTo(bytes));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IserHelloReplyMessage(false, 1, 16, 0).WriteTo(bytes));
    }

    [Fact]
    public void CmPrivateData_KernelInitiatorAndTargetAnswer()
    {
        // What Linux's ib_iser connects with (0x80), and the accept that avoids Send with Invalidate (0xC0).
        Assert.Equal(IserReadStatus.Ok, IserCmPrivateData.TryRead([0x80, 0, 0, 0], out IserCmPrivateData initiator));
        Assert.False(initiator.ZeroBasedVirtualAddresses);
        Assert.True(initiator.SendWithInvalidate);

        var answer = new IserCmPrivateData(IserCmPrivateData.ZeroBasedVirtualAddressNotSupported | IserCmPrivateData.SendWithInvalidateNotSupported);
        var bytes = new byte[IserCmPrivateData.Length];
        answer.WriteTo(bytes);
        Assert.Equal(new byte[] { 0xC0, 0, 0, 0 }, bytes);
        Assert.False(answer.SendWithInvalidate);
        Assert.Equal(IserReadStatus.TooShort, IserCmPrivateData.TryRead([], out _));
    }
}
