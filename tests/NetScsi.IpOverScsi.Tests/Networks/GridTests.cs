namespace NetScsi.IpOverScsi.Tests.Networks;

/// <summary>
/// The seed's grid in a 3×3 form: three row SCSI networks of three hosts each, and a column SCSI network of the three
/// row gateways (the first host of each row). Each SCSI network is a bus namespace with a bridge carrying the iSCSI
/// traffic of its members; every member lists the others as peers.
/// </summary>
[Collection(NetworkCollection.Name)]
public sealed class GridTests
{
    private const int Size = 3;

    private static string Overlay(int row, int column) => $"10.100.{row}.{column + 1}";

    private static string ColumnOverlay(int row) => $"10.100.9.{row + 1}";

    private static string Underlay(int bus, int member) => $"10.214.{bus}.{member + 1}";

    private static string Url(string underlay, string overlay) => $"iscsi://{underlay}:3260/iqn.2026-11.org.netscsi:ip-{overlay}/0";

    [Fact]
    public async Task Grid3x3_EveryHostReachesEveryOther_AndARouteCrossesTwoGateways()
    {
        await using TestNetwork network = TestNetwork.Create();
        var hosts = new string[Size, Size];
        var processes = new List<IpUpProcess>();
        string columnBus = await network.AddBusAsync("col");
        for (int row = 0; row < Size; row++)
        {
            string bus = await network.AddBusAsync($"row{row}");
            for (int column = 0; column < Size; column++)
            {
                hosts[row, column] = await network.AddHostAsync($"h{row}{column}");
                await network.AttachAsync(bus, hosts[row, column], Underlay(row, column) + "/24");
            }
            await network.AttachAsync(columnBus, hosts[row, 0], Underlay(9, row) + "/24");
        }

        for (int row = 0; row < Size; row++)
        {
            for (int column = 0; column < Size; column++)
            {
                var arguments = new List<string> { "scsi0", "--address", Overlay(row, column) + "/24", "--listen", Underlay(row, column) + ":3260" };
                for (int other = 0; other < Size; other++)
                {
                    if (other != column)
                    {
                        arguments.AddRange(["--peer", Overlay(row, other) + "=" + Url(Underlay(row, other), Overlay(row, other))]);
                    }
                }
                processes.Add(await network.IpUpAsync(hosts[row, column], [.. arguments]));
            }
            var columnArguments = new List<string> { "scsi1", "--address", ColumnOverlay(row) + "/24", "--listen", Underlay(9, row) + ":3260" };
            for (int other = 0; other < Size; other++)
            {
                if (other != row)
                {
                    columnArguments.AddRange(["--peer", ColumnOverlay(other) + "=" + Url(Underlay(9, other), ColumnOverlay(other))]);
                }
            }
            processes.Add(await network.IpUpAsync(hosts[row, 0], [.. columnArguments]));
        }

        // Plain kernel routes (RFC 2143 §5): members send everything off their row to their row's gateway; a gateway
        // sends each other row to that row's gateway over the column network.
        for (int row = 0; row < Size; row++)
        {
            await network.ExecAsync(hosts[row, 0], "sysctl", "-qw", "net.ipv4.ip_forward=1").AssertSuccessAsync();
            for (int column = 1; column < Size; column++)
            {
                await network.ExecAsync(hosts[row, column], "ip", "route", "add", "10.100.0.0/16", "via", Overlay(row, 0), "dev", "scsi0").AssertSuccessAsync();
            }
            for (int other = 0; other < Size; other++)
            {
                if (other != row)
                {
                    await network.ExecAsync(hosts[row, 0], "ip", "route", "add", $"10.100.{other}.0/24", "via", ColumnOverlay(other), "dev", "scsi1").AssertSuccessAsync();
                }
            }
        }
        foreach (IpUpProcess process in processes)
        {
            await process.WaitNeighboursUpAsync(TimeSpan.FromSeconds(60));
        }

        var failures = new List<string>();
        for (int row = 0; row < Size; row++)
        {
            for (int column = 0; column < Size; column++)
            {
                for (int toRow = 0; toRow < Size; toRow++)
                {
                    for (int toColumn = 0; toColumn < Size; toColumn++)
                    {
                        if ((toRow, toColumn) == (row, column))
                        {
                            continue;
                        }
                        CommandResult ping = await network.ExecAsync(hosts[row, column], "ping", "-c", "2", "-i", "0.2", "-W", "2", Overlay(toRow, toColumn));
                        if (ping.ExitCode != 0)
                        {
                            failures.Add($"{Overlay(row, column)} -> {Overlay(toRow, toColumn)}");
                        }
                    }
                }
            }
        }
        Assert.True(failures.Count == 0, "unreachable: " + string.Join(", ", failures));

        // A member of row 0 to a member of row 1: member → gateway 0 → gateway 1 → member, two gateways on the way.
        string from = hosts[0, 1];
        string to = Overlay(1, 2);
        CommandResult twoHops = await network.ExecAsync(from, "ping", "-c", "1", "-W", "2", "-t", "2", to);
        Assert.NotEqual(0, twoHops.ExitCode);
        Assert.Contains(ColumnOverlay(1), twoHops.Stdout + twoHops.Stderr, StringComparison.Ordinal);
        (await network.ExecAsync(from, "ping", "-c", "1", "-W", "2", "-t", "3", to)).AssertSuccess();
    }
}
