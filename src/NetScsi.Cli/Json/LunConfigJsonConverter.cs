using System.Text.Json;
using System.Text.Json.Serialization;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Parsing;

namespace NetScsi.Cli.Json;

/// <summary>
/// A LUN in the config file: either a spec string (<c>"file:./a.img,size=1G"</c>, as for <c>--lun</c>)
/// or an object <c>{"lun":0,"file":"./a.img","size":"1G","blockSize":512,"readOnly":false,"removable":false}</c>
/// / <c>{"memory":"64M"}</c> / <c>{"rbd":"POOL/IMAGE","conf":"/etc/ceph/ceph.conf","id":"iscsi"}</c>. The object is read by hand so each error points at the offending token.
/// </summary>
internal sealed class LunConfigJsonConverter : JsonConverter<LunConfig>
{
    private const string KnownProperties = "lun, file, memory, rbd, conf, id, size, blockSize, readOnly, removable, createDirs, sparse, delayControl, slot, macMask, configString";

    /// <summary>Longest AoE config string (AoE r11 §3.2).</summary>
    private const int MaxAoeConfigString = 1024;

    public override LunConfig Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            var spec = reader.GetString()!;
            return LunSpecParser.TryParse(spec, out var fromSpec, out var specError)
                ? fromSpec
                : throw new ConfigJsonException(specError);
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new ConfigJsonException("a LUN must be a spec string (\"file:PATH,size=1G\") or an object ({\"file\":PATH,...})");
        }

        var lun = new LunConfig();
        bool hasFile = false, hasMemory = false, hasRbd = false, hasSize = false, hasRbdOption = false;
        var seen = new HashSet<string>(StringComparer.Ordinal);

        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString()!;
            if (!seen.Add(name))
            {
                throw new ConfigJsonException($"property '{name}' given twice");
            }

            switch (name)
            {
                case "lun":
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var number)
                        || number is < 0 or > LunSpecParser.MaxLunNumber)
                    {
                        throw new ConfigJsonException($"'lun' must be a number 0..{LunSpecParser.MaxLunNumber}");
                    }

                    lun.Number = number;
                    break;

                case "file":
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String || reader.GetString() is not { Length: > 0 } path)
                    {
                        throw new ConfigJsonException("'file' must be a non-empty path string");
                    }

                    lun.Kind = LunKind.File;
                    lun.Path = path;
                    hasFile = true;
                    break;

                case "memory":
                    reader.Read();
                    lun.Kind = LunKind.Memory;
                    lun.SizeBytes = ReadSize(ref reader, name);
                    hasMemory = true;
                    break;

                case "rbd":
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String || reader.GetString() is not { } image
                        || image.IndexOf('/') is var slash && (slash <= 0 || slash == image.Length - 1 || image.IndexOf('/', slash + 1) >= 0))
                    {
                        throw new ConfigJsonException("'rbd' must be a string \"POOL/IMAGE\" (e.g. \"rbd/lun0\")");
                    }

                    lun.Kind = LunKind.Rbd;
                    lun.RbdPool = image[..slash];
                    lun.RbdImage = image[(slash + 1)..];
                    hasRbd = true;
                    break;

                case "conf":
                case "id":
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String || reader.GetString() is not { Length: > 0 } text)
                    {
                        throw new ConfigJsonException($"'{name}' must be a non-empty string");
                    }

                    if (name == "conf")
                    {
                        lun.RbdConfigPath = text;
                    }
                    else
                    {
                        lun.RbdClientId = text.StartsWith("client.", StringComparison.Ordinal) ? text["client.".Length..] : text;
                    }

                    hasRbdOption = true;
                    break;

                case "size":
                    reader.Read();
                    lun.SizeBytes = ReadSize(ref reader, name);
                    hasSize = true;
                    break;

                case "blockSize":
                    reader.Read();
                    int blockSize = 0;
                    bool ok = reader.TokenType switch
                    {
                        JsonTokenType.Number => reader.TryGetInt32(out blockSize) && blockSize is 512 or 4096,
                        JsonTokenType.String => LunSpecParser.TryParseBlockSize(reader.GetString()!, out blockSize),
                        _ => false,
                    };
                    if (!ok)
                    {
                        throw new ConfigJsonException("'blockSize' must be 512 or 4096");
                    }

                    lun.BlockSize = blockSize;
                    break;

                case "readOnly":
                    reader.Read();
                    lun.ReadOnly = ReadBool(ref reader, name);
                    break;

                case "removable":
                    reader.Read();
                    lun.Removable = ReadBool(ref reader, name);
                    break;

                case "slot":
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int slot) || slot is < 0 or > Parsing.LunSpecParser.MaxAoeSlot)
                    {
                        throw new ConfigJsonException($"'slot' (the AoE slot) must be a number in 0..{Parsing.LunSpecParser.MaxAoeSlot}");
                    }

                    lun.AoeSlot = slot;
                    break;

                case "macMask":
                    reader.Read();
                    lun.AoeMacMask = ReadMacList(ref reader);
                    break;

                case "configString":
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String || System.Text.Encoding.UTF8.GetByteCount(reader.GetString()!) > MaxAoeConfigString)
                    {
                        throw new ConfigJsonException($"'configString' (the AoE config string) must be a string of at most {MaxAoeConfigString} bytes");
                    }

                    lun.AoeConfigString = reader.GetString();
                    break;

                case "createDirs":
                    reader.Read();
                    lun.CreateDirectories = ReadBool(ref reader, name);
                    break;

                case "sparse":
                    reader.Read();
                    lun.Sparse = ReadBool(ref reader, name);
                    break;

                case "delayControl":
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String || reader.GetString() is not { Length: > 0 } control)
                    {
                        throw new ConfigJsonException("'delayControl' must be a non-empty path string");
                    }

                    lun.DelayControlPath = control;
                    break;

                default:
                    throw new ConfigJsonException($"unknown property '{name}' in a LUN (known: {KnownProperties})");
            }
        }

        int kinds = (hasFile ? 1 : 0) + (hasMemory ? 1 : 0) + (hasRbd ? 1 : 0);
        if (kinds != 1)
        {
            throw new ConfigJsonException(kinds == 0
                ? "a LUN needs 'file' (a path) or 'memory' (a size) or 'rbd' (\"POOL/IMAGE\")"
                : hasFile && hasMemory && !hasRbd
                    ? "a LUN has both 'file' and 'memory'; give exactly one"
                    : "a LUN has more than one of 'file', 'memory' and 'rbd'; give exactly one");
        }

        if (hasRbdOption && !hasRbd)
        {
            throw new ConfigJsonException("'conf' and 'id' are for rbd LUNs");
        }

        if (hasRbd && (hasSize || lun.CreateDirectories || lun.Sparse))
        {
            throw new ConfigJsonException("an rbd LUN takes its size from the image; 'size', 'createDirs' and 'sparse' do not apply");
        }

        if (hasMemory && lun.CreateDirectories)
        {
            throw new ConfigJsonException("'createDirs' is for file LUNs; a memory LUN has no directory");
        }

        if (hasFile && lun.Sparse)
        {
            throw new ConfigJsonException("'sparse' is for memory LUNs; a file LUN is sparse where the file system allows");
        }

        if (hasMemory && hasSize)
        {
            throw new ConfigJsonException("a memory LUN takes its size from 'memory'; remove 'size'");
        }

        lun.Source = hasFile ? $"file:{lun.Path}" : hasRbd ? $"rbd:{lun.RbdPool}/{lun.RbdImage}" : $"memory:{ByteSizeParser.Format(lun.SizeBytes ?? 0)}";
        return lun;
    }

    /// <summary>The object form, every property that differs from its default (saveconfig); sizes in bytes.</summary>
    public override void Write(Utf8JsonWriter writer, LunConfig value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        if (value.Number is int number)
        {
            writer.WriteNumber("lun", number);
        }

        switch (value.Kind)
        {
            case LunKind.File:
                writer.WriteString("file", value.Path);
                if (value.SizeBytes is long size)
                {
                    writer.WriteNumber("size", size);
                }

                break;
            case LunKind.Memory:
                writer.WriteNumber("memory", value.SizeBytes ?? 0);
                break;
            case LunKind.Rbd:
                writer.WriteString("rbd", $"{value.RbdPool}/{value.RbdImage}");
                if (value.RbdConfigPath is { } conf)
                {
                    writer.WriteString("conf", conf);
                }

                if (value.RbdClientId is { } id)
                {
                    writer.WriteString("id", id);
                }

                break;
        }

        if (value.BlockSize != LunConfig.DefaultBlockSize)
        {
            writer.WriteNumber("blockSize", value.BlockSize);
        }

        WriteTrue(writer, "readOnly", value.ReadOnly);
        WriteTrue(writer, "removable", value.Removable);
        WriteTrue(writer, "createDirs", value.CreateDirectories && value.Kind == LunKind.File);
        WriteTrue(writer, "sparse", value.Sparse && value.Kind == LunKind.Memory);
        if (value.DelayControlPath is { } control)
        {
            writer.WriteString("delayControl", control);
        }

        if (value.AoeSlot is int aoeSlot)
        {
            writer.WriteNumber("slot", aoeSlot);
        }

        if (value.AoeMacMask is { Count: > 0 } macMask)
        {
            writer.WriteStartArray("macMask");
            foreach (var mac in macMask)
            {
                writer.WriteStringValue(mac.ToString());
            }

            writer.WriteEndArray();
        }

        if (value.AoeConfigString is { } configString)
        {
            writer.WriteString("configString", configString);
        }

        writer.WriteEndObject();
    }

    private static void WriteTrue(Utf8JsonWriter writer, string name, bool value)
    {
        if (value)
        {
            writer.WriteBoolean(name, true);
        }
    }

    // Sizes are strings with units ("1G") or plain byte counts.
    private static long ReadSize(ref Utf8JsonReader reader, string property)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return reader.TryGetInt64(out var bytes) && bytes >= 0
                ? bytes
                : throw new ConfigJsonException($"'{property}' must be a non-negative whole number of bytes or a string like \"1G\"");
        }

        if (reader.TokenType == JsonTokenType.String)
        {
            return ByteSizeParser.TryParse(reader.GetString()!, out var bytes, out var error)
                ? bytes
                : throw new ConfigJsonException($"'{property}': {error}");
        }

        throw new ConfigJsonException($"'{property}' must be a size: a string like \"1G\" or a number of bytes");
    }

    /// <summary>The most MACs a slot's MAC Mask List holds on the target.</summary>
    private static readonly int s_maxMacMask = new Transport.Aoe.AoeTargetOptions().MacMaskCapacity;

    // The AoE MAC Mask List: an array of MAC strings ("02:00:5e:10:00:01").
    private static List<Transport.Ethernet.MacAddress> ReadMacList(ref Utf8JsonReader reader)
    {
        const string Expected = "'macMask' (the AoE MAC Mask List) must be an array of MAC addresses like \"02:00:5e:10:00:01\"";
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new ConfigJsonException(Expected);
        }

        var list = new List<Transport.Ethernet.MacAddress>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String || !Transport.Ethernet.MacAddress.TryParse(reader.GetString(), out var mac))
            {
                throw new ConfigJsonException(reader.TokenType == JsonTokenType.String ? $"{Expected} ('{reader.GetString()}' is not one)" : Expected);
            }

            if (list.Count == s_maxMacMask)
            {
                throw new ConfigJsonException($"'macMask' holds at most {s_maxMacMask} MAC addresses");
            }

            if (!list.Contains(mac))
            {
                list.Add(mac);
            }
        }

        return list;
    }

    private static bool ReadBool(ref Utf8JsonReader reader, string property) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw new ConfigJsonException($"'{property}' must be true or false"),
    };
}
