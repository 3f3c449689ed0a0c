using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Spectre.Console;

namespace NetScsi.Cli.Initiator;

/// <summary>Human tables (Spectre.Console) and <c>--json</c> documents for the initiator commands.</summary>
internal static class Output
{
    /// <summary>A console over the context's output: colour and Unicode borders only on a terminal.</summary>
    public static IAnsiConsole Console(CliContext context)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(context.Output),
            Ansi = context.OutputIsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = context.OutputIsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = context.OutputIsTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!context.OutputIsTerminal)
        {
            // Redirected: no wrapping at a guessed width, plain ASCII borders.
            console.Profile.Width = 200;
            console.Profile.Capabilities.Unicode = false;
        }

        return console;
    }

    public static Table Table(CliContext context, params string[] columns)
    {
        var table = new Table().Border(context.OutputIsTerminal ? TableBorder.Rounded : TableBorder.Ascii);
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(Markup.Escape(column)));
        }

        return table;
    }

    public static void AddRow(Table table, params string?[] cells) =>
        table.AddRow(cells.Select(c => (Spectre.Console.Rendering.IRenderable)new Text(c ?? "")).ToArray());

    /// <summary>Writes one JSON document (indented, UTF-8, trailing newline) to the output.</summary>
    public static async Task WriteJsonAsync<T>(CliContext context, T document, JsonTypeInfo<T> typeInfo)
    {
        await context.Output.WriteLineAsync(JsonSerializer.Serialize(document, typeInfo)).ConfigureAwait(false);
        await context.Output.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>1.5 GiB, 64 MiB, 512 B: binary units with up to one decimal.</summary>
    public static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? bytes.ToString(CultureInfo.InvariantCulture) + " B"
            : value.ToString(value % 1 == 0 ? "0" : "0.#", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    public static string Number(double value, string format = "0.##") => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>SPC-4 Table 43 peripheral device types, as libiscsi's tools name them.</summary>
    public static string DeviceType(byte type) => type switch
    {
        0x00 => "DIRECT_ACCESS",
        0x01 => "SEQUENTIAL_ACCESS",
        0x02 => "PRINTER",
        0x03 => "PROCESSOR",
        0x04 => "WRITE_ONCE",
        0x05 => "MMC",
        0x06 => "SCANNER",
        0x07 => "OPTICAL_MEMORY",
        0x08 => "MEDIA_CHANGER",
        0x09 => "COMMUNICATIONS",
        0x0C => "STORAGE_ARRAY_CONTROLLER",
        0x0D => "ENCLOSURE_SERVICES",
        0x0E => "SIMPLIFIED_DIRECT_ACCESS",
        0x0F => "OPTICAL_CARD_READER",
        0x11 => "OBJECT_STORAGE",
        0x12 => "AUTOMATION_DRIVE_INTERFACE",
        0x1E => "WELL_KNOWN_LUN",
        0x1F => "UNKNOWN",
        _ => string.Create(CultureInfo.InvariantCulture, $"0x{type:x2}"),
    };
}
