using System.Globalization;
using NetScsi.Cli.Parsing;
using NetScsi.Transport;

namespace NetScsi.Cli.Hosting;

/// <summary>
/// The start-up summary on stdout: portals, then each target's LUNs. Plain lines so scripts can
/// grep them (the "portal" lines in particular, to learn a port 0 assignment).
/// </summary>
internal static class ServeBanner
{
    public static void Write(TextWriter output, IReadOnlyList<Portal> portals, IReadOnlyList<ServedTarget> targets)
    {
        foreach (var portal in portals)
        {
            output.WriteLine($"portal {PortalParser.Format(portal)}");
        }

        foreach (var target in targets)
        {
            var auth = new List<string>();
            if (target.Chap)
            {
                auth.Add("chap");
            }

            if (target.MutualChap)
            {
                auth.Add("mutual-chap");
            }

            if (target.AclCount > 0)
            {
                auth.Add(string.Create(CultureInfo.InvariantCulture, $"acl:{target.AclCount}"));
            }

            var alias = target.Alias is null ? "" : $" alias \"{target.Alias}\"";
            var authText = auth.Count == 0 ? " open" : " " + string.Join(',', auth);
            output.WriteLine($"target {target.Iqn}{alias}{authText}");
            foreach (var lun in target.Luns)
            {
                var flags = new List<string> { lun.ReadOnly ? "ro" : "rw" };
                if (lun.Removable)
                {
                    flags.Add("removable");
                }

                if (lun.DelayControl is not null)
                {
                    flags.Add($"delay-control={lun.DelayControl}");
                }

                output.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"  lun {lun.Number} {lun.Backing} size {ByteSizeParser.Format(lun.SizeBytes)} ({lun.SizeBytes} bytes) block-size {lun.BlockSize} {string.Join(',', flags)}"));
            }
        }

        output.Flush();
    }
}
