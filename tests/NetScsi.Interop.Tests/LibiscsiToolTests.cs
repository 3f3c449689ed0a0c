using System.Text.RegularExpressions;

namespace NetScsi.Interop.Tests;

/// <summary>libiscsi's command-line tools (Debian libiscsi-bin) against the real target process.</summary>
public sealed class LibiscsiToolTests(InteropTargetFixture target) : IClassFixture<InteropTargetFixture>
{
    [Fact]
    public async Task Discovery_SendTargetsThroughIscsiLs_ReportsPortal()
    {
        // Without -s iscsi-ls only logs in to a discovery session and prints the SendTargets=All answer.
        var result = (await ToolRunner.RunAsync("iscsi-ls", target.PortalUrl)).AssertSuccess();

        string[] lines = Lines(result.Stdout);
        Assert.True(
            lines.SequenceEqual([$"Target:{InteropTargetFixture.Iqn} Portal:127.0.0.1:{target.Port},1"]),
            $"expected exactly the one target with its portal and portal group tag 1\n{result.Describe()}");
    }

    [Fact]
    public async Task IscsiLs_ListsTargetAndLuns()
    {
        var result = (await ToolRunner.RunAsync("iscsi-ls", "-s", target.PortalUrl)).AssertSuccess();

        string[] lines = Lines(result.Stdout);
        string expected0 = $"Lun:0    Type:DIRECT_ACCESS (Size:{IscsiLsSize(InteropTargetFixture.Lun0Bytes)})";
        string expected1 = $"Lun:1    Type:DIRECT_ACCESS (Size:{IscsiLsSize(InteropTargetFixture.Lun1Bytes)})";
        Assert.True(
            lines.SequenceEqual([$"Target:{InteropTargetFixture.Iqn} Portal:127.0.0.1:{target.Port},1", expected0, expected1]),
            $"expected the target, then LUN 0 ({expected0}) and LUN 1 ({expected1})\n{result.Describe()}");
    }

    [Fact]
    public async Task IscsiInq_ReportsVendorAndProduct()
    {
        var result = (await ToolRunner.RunAsync("iscsi-inq", target.LunUrl(0))).AssertSuccess();

        var fields = Fields(result.Stdout);
        Assert.Equal("CONNECTED", fields.GetValueOrDefault("Peripheral Qualifier"));
        Assert.Equal("DIRECT_ACCESS", fields.GetValueOrDefault("Peripheral Device Type"));
        // T10 VENDOR IDENTIFICATION is 8 bytes, space-padded; iscsi-inq prints it as is.
        Assert.Equal("NETSCSI ", fields.GetValueOrDefault("Vendor"));
        Assert.False(string.IsNullOrWhiteSpace(fields.GetValueOrDefault("Product")), result.Describe());
        Assert.Equal("1", fields.GetValueOrDefault("CmdQue"));
    }

    [Fact]
    public async Task IscsiInq_Vpd80And83_ReportSerialAndNaaDesignator()
    {
        // iscsi-inq parses -c with atoi(), so "0x80" would silently become page 0: give decimals.
        var serials = new List<string>();
        foreach (int lun in new[] { 0, 1 })
        {
            var page80 = (await ToolRunner.RunAsync("iscsi-inq", "-e", "1", "-c", "128", target.LunUrl(lun))).AssertSuccess();
            Match serial = Regex.Match(page80.Stdout, @"^Unit Serial Number:\[(?<sn>[^\]]*)\]$", RegexOptions.Multiline);
            Assert.True(serial.Success && serial.Groups["sn"].Value.Trim().Length > 0, $"LUN {lun}: no unit serial number\n{page80.Describe()}");
            string sn = serial.Groups["sn"].Value;
            serials.Add(sn);

            var page83 = (await ToolRunner.RunAsync("iscsi-inq", "-e", "1", "-c", "131", target.LunUrl(lun))).AssertSuccess();
            Assert.Contains("Page Code:(0x83) DEVICE_IDENTIFICATION", page83.Stdout);
            var designators = Designators(page83.Stdout);

            // SPC-4 7.8.6.6: an NAA designator with logical-unit association. iscsi-inq prints the binary
            // designator bytes raw (%s); the first byte's high nibble is the NAA type (5, 6: IEEE formats).
            var naa = designators.SingleOrDefault(d => d.Type == "(3) NAA" && d.Association == "(0) LOGICAL_UNIT");
            Assert.True(naa is not null, $"LUN {lun}: no NAA logical-unit designator\n{page83.Describe()}");
            Assert.True(naa.Value.Length > 0 && (naa.Value[0] >> 4) is 5 or 6,
                $"LUN {lun}: NAA designator does not start with NAA type 5 or 6: {Convert.ToHexString(naa.Value.Select(c => (byte)c).ToArray())}");

            // The T10 vendor-ID designator is the vendor identification followed by the same serial.
            var t10 = designators.SingleOrDefault(d => d.Type == "(1) T10_VENDORT_ID" && d.Association == "(0) LOGICAL_UNIT");
            Assert.True(t10 is not null, $"LUN {lun}: no T10 vendor-ID designator\n{page83.Describe()}");
            Assert.Equal($"NETSCSI {sn}", t10.Value);
        }

        Assert.True(serials[0] != serials[1], $"LUN 0 and LUN 1 report the same serial number {serials[0]}");
    }

    [Fact]
    public async Task IscsiReadCapacity16_ReportsSizeAndThinProvisioning()
    {
        var result = (await ToolRunner.RunAsync("iscsi-readcapacity16", target.LunUrl(0))).AssertSuccess();

        var fields = Fields(result.Stdout);
        Assert.Equal(((InteropTargetFixture.Lun0Bytes / InteropTargetFixture.BlockSize) - 1).ToString(), fields.GetValueOrDefault("RETURNED LOGICAL BLOCK ADDRESS"));
        Assert.Equal(InteropTargetFixture.BlockSize.ToString(), fields.GetValueOrDefault("LOGICAL BLOCK LENGTH IN BYTES"));
        Assert.Equal(InteropTargetFixture.Lun0Bytes.ToString(), fields.GetValueOrDefault("Total size"));
        Assert.Matches(@"(?m)^LBPME:1 LBPRZ:\d$", result.Stdout);
    }

    /// <summary>
    /// What <c>iscsi-ls -s</c> prints as a disk's size. It multiplies the block length by READ
    /// CAPACITY(10)'s RETURNED LOGICAL BLOCK ADDRESS, which is the LAST block's address (not the block
    /// count), then divides by 1024 while above 1024: a 64 MiB LUN shows as "63M". That is libiscsi's
    /// arithmetic, not the target's; the exact LBA is checked through iscsi-readcapacity16.
    /// </summary>
    internal static string IscsiLsSize(long bytes)
    {
        long size = (bytes / InteropTargetFixture.BlockSize - 1) * InteropTargetFixture.BlockSize;
        string units = " kMGT";
        int unit = 0;
        for (; unit < 4 && size > 1024; unit++)
        {
            size /= 1024;
        }
        return $"{size}{units[unit]}";
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>"Name:value" lines; the first occurrence of a name wins.</summary>
    private static Dictionary<string, string> Fields(string text)
    {
        var fields = new Dictionary<string, string>();
        foreach (string line in text.Split('\n'))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                fields.TryAdd(line[..colon].Trim(), line[(colon + 1)..].TrimEnd('\r'));
            }
        }
        return fields;
    }

    private sealed record Designator(string Association, string Type, string Value);

    /// <summary>The "DEVICE DESIGNATOR #n" blocks of iscsi-inq's VPD 0x83 output.</summary>
    private static List<Designator> Designators(string text)
    {
        var result = new List<Designator>();
        foreach (string block in text.Split("DEVICE DESIGNATOR #").Skip(1))
        {
            var fields = Fields(block);
            // The value is the block's last field and may be binary (newlines, ']' included), so take
            // everything up to the block's last ']'.
            const string prefix = "\nDesignator:[";
            int start = block.IndexOf(prefix, StringComparison.Ordinal);
            int end = block.LastIndexOf(']');
            string value = start >= 0 && end >= start + prefix.Length ? block[(start + prefix.Length)..end] : "";
            result.Add(new Designator(fields.GetValueOrDefault("Association", ""), fields.GetValueOrDefault("Designator Type", ""), value));
        }
        return result;
    }
}
