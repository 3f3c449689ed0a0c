using NetScsi.Scsi.Commands;

namespace NetScsi.Scsi.Tests.Commands;

/// <summary>The parameter data parsers read what the standards lay out, and what a short transfer leaves.</summary>
public sealed class DataInParserTests
{
    [Fact]
    public void StandardInquiryData_ReadsTypeQualifierAndTrimmedNames()
    {
        byte[] data = new byte[36];
        data[0] = 0x09;
        data[1] = 0x80;
        data[2] = 0x06;
        "NETSCSI "u8.CopyTo(data.AsSpan(8));
        "VIRTUAL-COMM    "u8.CopyTo(data.AsSpan(16));
        "0001"u8.CopyTo(data.AsSpan(32));

        Assert.True(StandardInquiryData.TryParse(data, out StandardInquiryData inquiry));

        Assert.Equal(new StandardInquiryData(0, PeripheralDeviceType.Communications, true, 6, "NETSCSI", "VIRTUAL-COMM", "0001"), inquiry);
    }

    [Fact]
    public void StandardInquiryData_ShortTransfer_LeavesTheMissingNamesEmpty()
    {
        Assert.True(StandardInquiryData.TryParse([0x7F, 0x00, 0x06, 0x12, 0x1F], out StandardInquiryData inquiry));

        Assert.Equal(3, inquiry.PeripheralQualifier);
        Assert.Equal(PeripheralDeviceType.UnknownOrNone, inquiry.PeripheralDeviceType);
        Assert.Equal(string.Empty, inquiry.VendorId);
        Assert.False(StandardInquiryData.TryParse([], out _));
    }

    [Fact]
    public void ReadCapacity10Data_RoundTrips()
    {
        byte[] data = new byte[ReadCapacity10Data.Length];
        new ReadCapacity10Data(0x000FFFFF, 512).WriteTo(data);

        Assert.Equal(Convert.FromHexString("000FFFFF00000200"), data);
        Assert.True(ReadCapacity10Data.TryParse(data, out ReadCapacity10Data parsed));
        Assert.Equal(0x100000UL, parsed.BlockCount);
    }

    [Fact]
    public void ReadCapacity16Data_ReadsCountLengthExponentAndProvisioningFlags()
    {
        byte[] data = Convert.FromHexString("00000000FFFFFFFF00001000" + "0003C000" + "0000000000000000000000000000");

        Assert.True(ReadCapacity16Data.TryParse(data, out ReadCapacity16Data parsed));

        Assert.Equal(new ReadCapacity16Data(0xFFFFFFFF, 4096, 3, true, true), parsed);
        Assert.Equal(0x1_0000_0000UL, parsed.BlockCount);
        Assert.True(ReadCapacity16Data.TryParse(data.AsSpan(0, 12), out ReadCapacity16Data brief));
        Assert.False(brief.ProvisioningManagement);
        Assert.False(ReadCapacity16Data.TryParse(data.AsSpan(0, 11), out _));
    }

    [Fact]
    public void ReportLunsData_CountsOnlyTheLunsThatArrived()
    {
        byte[] data = Convert.FromHexString("0000001800000000" + "0000000000000000" + "0001000000000000");

        Assert.Equal(24u, ReportLunsData.ReadListLength(data)); // three LUNs exist, two arrived
        Assert.Equal(2, ReportLunsData.CountReceived(data));
        Assert.Equal(ScsiTargetDevice.EncodeLun(1), ReportLunsData.ReadLun(data, 1));
    }
}
