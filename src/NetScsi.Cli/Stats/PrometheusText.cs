using System.Globalization;

namespace NetScsi.Cli.Stats;

/// <summary>One sample of the Prometheus text exposition format: <c>name{label="value",...} number</c>.</summary>
internal sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>Reads the Prometheus text format (the parts <c>/metrics</c> uses: comments, samples, quoted labels).</summary>
internal static class PrometheusText
{
    public static List<PrometheusSample> Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            if (TryParseLine(line, out var sample))
            {
                samples.Add(sample);
            }
        }
        return samples;
    }

    private static bool TryParseLine(string line, out PrometheusSample sample)
    {
        sample = null!;
        int brace = line.IndexOf('{', StringComparison.Ordinal);
        int space;
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        string name;
        if (brace >= 0)
        {
            name = line[..brace];
            int i = brace + 1;
            while (i < line.Length && line[i] != '}')
            {
                int eq = line.IndexOf('=', i);
                if (eq < 0 || eq + 1 >= line.Length || line[eq + 1] != '"')
                {
                    return false;
                }
                string key = line[i..eq].Trim(',', ' ');
                var value = new System.Text.StringBuilder();
                int j = eq + 2;
                for (; j < line.Length && line[j] != '"'; j++)
                {
                    if (line[j] == '\\' && j + 1 < line.Length)
                    {
                        j++;
                        value.Append(line[j] == 'n' ? '\n' : line[j]);
                    }
                    else
                    {
                        value.Append(line[j]);
                    }
                }
                labels[key] = value.ToString();
                i = j + 1;
                if (i < line.Length && line[i] == ',')
                {
                    i++;
                }
            }
            space = line.IndexOf(' ', i);
        }
        else
        {
            space = line.IndexOf(' ', StringComparison.Ordinal);
            name = space < 0 ? line : line[..space];
        }
        if (space < 0)
        {
            return false;
        }
        string number = line[(space + 1)..].Trim();
        int timestamp = number.IndexOf(' ', StringComparison.Ordinal);
        if (timestamp >= 0)
        {
            number = number[..timestamp];
        }
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
        {
            return false;
        }
        sample = new PrometheusSample(name, labels, v);
        return true;
    }
}
