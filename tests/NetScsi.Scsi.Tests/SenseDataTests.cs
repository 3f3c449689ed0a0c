namespace NetScsi.Scsi.Tests;

public sealed class SenseDataTests
{
    [Fact]
    public void WriteFixed_InvalidFieldInCdbWithFieldPointer_MatchesGoldenBytes()
    {
        byte[] buffer = new byte[SenseData.FixedLength];
        int n = SenseData.WriteFixed(buffer, SenseKey.IllegalRequest, 0x24, 0x00, null, SenseKeySpecific.FieldPointer(inCdb: true, 2, 5));

        Assert.Equal(18, n);
        Assert.Equal(
            new byte[] { 0x70, 0, 0x05, 0, 0, 0, 0, 0x0A, 0, 0, 0, 0, 0x24, 0x00, 0, 0xCD, 0x00, 0x02 },
            buffer);
    }

    [Fact]
    public void WriteFixed_WithInformation_SetsValidAndInformationField()
    {
        byte[] buffer = new byte[SenseData.FixedLength];
        SenseData.WriteFixed(buffer, SenseKey.Miscompare, 0x1D, 0x00, 0x1234);

        Assert.Equal(
            new byte[] { 0xF0, 0, 0x0E, 0, 0, 0x12, 0x34, 0x0A, 0, 0, 0, 0, 0x1D, 0x00, 0, 0, 0, 0 },
            buffer);
    }

    [Fact]
    public void WriteFixed_InformationBeyond32Bits_LeavesValidClear()
    {
        byte[] buffer = new byte[SenseData.FixedLength];
        SenseData.WriteFixed(buffer, SenseKey.Miscompare, 0x1D, 0x00, 0x1_0000_0000UL);

        Assert.Equal(0x70, buffer[0]);
        Assert.False(SenseData.TryGetInformation(buffer, out _));
    }

    [Fact]
    public void WriteDescriptor_WithInformationAndFieldPointer_MatchesGoldenBytes()
    {
        byte[] buffer = new byte[SenseData.MaxDescriptorLength];
        int n = SenseData.WriteDescriptor(buffer, SenseKey.Miscompare, 0x1D, 0x00, 0x1234, SenseKeySpecific.FieldPointer(inCdb: false, 0x0102));

        Assert.Equal(28, n);
        Assert.Equal(
            new byte[]
            {
                0x72, 0x0E, 0x1D, 0x00, 0, 0, 0, 0x14,
                0x00, 0x0A, 0x80, 0x00, 0, 0, 0, 0, 0, 0, 0x12, 0x34,
                0x02, 0x06, 0x00, 0x00, 0x80, 0x01, 0x02, 0x00,
            },
            buffer);
    }

    [Fact]
    public void WriteDescriptor_NoDescriptors_IsEightBytes()
    {
        byte[] buffer = new byte[SenseData.MaxDescriptorLength];
        int n = SenseData.WriteDescriptor(buffer, SenseKey.UnitAttention, 0x29, 0x00);

        Assert.Equal(8, n);
        Assert.Equal(new byte[] { 0x72, 0x06, 0x29, 0x00, 0, 0, 0, 0 }, buffer[..8]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TryParse_RoundTripsBothFormats(bool descriptor)
    {
        byte[] buffer = new byte[SenseData.MaxDescriptorLength];
        int n = SenseData.Write(buffer, descriptor, SenseKey.DataProtect, 0x27, 0x00, 77, SenseKeySpecific.FieldPointer(true, 9, 3));

        Assert.True(SenseData.TryParse(buffer.AsSpan(0, n), out SenseKey key, out byte asc, out byte ascq));
        Assert.Equal(SenseKey.DataProtect, key);
        Assert.Equal(0x27, asc);
        Assert.Equal(0x00, ascq);
        Assert.True(SenseData.TryGetInformation(buffer.AsSpan(0, n), out ulong info));
        Assert.Equal(77UL, info);
        Assert.True(SenseData.TryGetKeySpecific(buffer.AsSpan(0, n), out SenseKeySpecific sks));
        Assert.True(sks.CommandData);
        Assert.Equal(9, sks.FieldPointerOffset);
        Assert.Equal(3, sks.BitPointer);
    }

    [Fact]
    public void TryParse_UnknownResponseCode_ReturnsFalse()
    {
        Assert.False(SenseData.TryParse(new byte[] { 0x00, 0, 0, 0 }, out _, out _, out _));
        Assert.False(SenseData.TryParse(ReadOnlySpan<byte>.Empty, out _, out _, out _));
    }

    [Fact]
    public void CheckCondition_FollowsTaskSenseFormat()
    {
        var task = new ScsiTask { DescriptorSenseFormat = true };
        task.CheckCondition(SenseKey.IllegalRequest, 0x21, 0x00);

        Assert.Equal(ScsiStatus.CheckCondition, task.Status);
        Assert.Equal(0x72, task.Sense[0]);
        Assert.Equal(8, task.SenseLength);

        task.DescriptorSenseFormat = false;
        task.CheckCondition(SenseKey.IllegalRequest, Asc.LbaOutOfRange);
        Assert.Equal(0x70, task.Sense[0]);
        Assert.Equal(18, task.SenseLength);
        Assert.Equal(0x21, task.Sense[12]);
    }

    [Fact]
    public void InvalidFieldInParameterList_PointsIntoParameterData()
    {
        var task = new ScsiTask();
        task.InvalidFieldInParameterList(10);

        Assert.True(SenseData.TryGetKeySpecific(task.Sense, out SenseKeySpecific sks));
        Assert.False(sks.CommandData);
        Assert.Equal(10, sks.FieldPointerOffset);
        Assert.Equal(-1, sks.BitPointer);
        Assert.Equal(0x26, task.Sense[12]);
    }

    [Fact]
    public void Asc_PacksCodeAndQualifier()
    {
        Assert.Equal(0x29, Asc.Code(Asc.ItNexusLossOccurred));
        Assert.Equal(0x07, Asc.Qualifier(Asc.ItNexusLossOccurred));
        Assert.Equal(0x3F0E, Asc.ReportedLunsDataHasChanged);
    }
}
