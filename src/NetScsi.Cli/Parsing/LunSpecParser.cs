using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using NetScsi.Cli.Configuration;

namespace NetScsi.Cli.Parsing;

/// <summary>
/// LUN specs, as given to <c>--lun</c> or as strings in the config file:
/// <code>
/// file:PATH[,size=SIZE][,block-size=512|4096][,readonly][,removable][,create-dirs][,lun=N][,delay-control=CTL]
/// memory:SIZE[,block-size=512|4096][,readonly][,removable][,sparse][,lun=N][,delay-control=CTL]
/// rbd:POOL/IMAGE[,conf=PATH][,id=CLIENT][,block-size=512|4096][,readonly][,removable][,lun=N]
/// </code>
/// <c>delay-control</c> is a test and diagnostic option (docs/config.md, "Injecting delays").
/// The kind ends at the first ':' (so Windows paths like <c>file:C:\x.img</c> work) and the path at
/// the first ',' (so paths cannot contain commas; use the config file's object form for those).
/// </summary>
internal static class LunSpecParser
{
    public const int MaxLunNumber = 16383;

    /// <summary>AoE minor addresses 0..254 (255 is the broadcast slot).</summary>
    public const int MaxAoeSlot = 254;

    public static bool TryParse(string spec, [NotNullWhen(true)] out LunConfig? lun, [NotNullWhen(false)] out string? error)
    {
        lun = null;
        int colon = spec.IndexOf(':');
        if (colon <= 0)
        {
            error = $"invalid LUN spec '{spec}': expected file:PATH[,options], memory:SIZE[,options] or rbd:POOL/IMAGE[,options]";
            return false;
        }

        var kindText = spec[..colon];
        var parts = spec[(colon + 1)..].Split(',');
        var head = parts[0];
        var result = new LunConfig { Source = spec };

        switch (kindText.ToLowerInvariant())
        {
            case "file":
                if (head.Length == 0)
                {
                    error = $"invalid LUN spec '{spec}': missing file path after 'file:'";
                    return false;
                }

                result.Kind = LunKind.File;
                result.Path = head;
                break;

            case "memory":
            case "mem":
                if (!ByteSizeParser.TryParse(head, out var memorySize, out var sizeError))
                {
                    error = $"invalid LUN spec '{spec}': {sizeError}";
                    return false;
                }

                result.Kind = LunKind.Memory;
                result.SizeBytes = memorySize;
                break;

            case "rbd":
                int slash = head.IndexOf('/');
                if (slash <= 0 || slash == head.Length - 1 || head.IndexOf('/', slash + 1) >= 0)
                {
                    error = $"invalid LUN spec '{spec}': expected rbd:POOL/IMAGE (e.g. rbd:rbd/lun0)";
                    return false;
                }

                result.Kind = LunKind.Rbd;
                result.RbdPool = head[..slash];
                result.RbdImage = head[(slash + 1)..];
                break;

            default:
                error = $"invalid LUN spec '{spec}': unknown kind '{kindText}' (expected 'file', 'memory' or 'rbd')";
                return false;
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in parts.AsSpan(1))
        {
            int eq = part.IndexOf('=');
            var name = (eq < 0 ? part : part[..eq]).Trim().ToLowerInvariant();
            string? value = eq < 0 ? null : part[(eq + 1)..].Trim();

            if (name.Length == 0)
            {
                error = $"invalid LUN spec '{spec}': empty option (stray ',')";
                return false;
            }

            if (!seen.Add(name))
            {
                error = $"invalid LUN spec '{spec}': option '{name}' given twice";
                return false;
            }

            switch (name)
            {
                case "size" when result.Kind == LunKind.File:
                    if (!RequireValue(spec, name, value, out error))
                    {
                        return false;
                    }

                    if (!ByteSizeParser.TryParse(value!, out var fileSize, out var fileSizeError))
                    {
                        error = $"invalid LUN spec '{spec}': {fileSizeError}";
                        return false;
                    }

                    result.SizeBytes = fileSize;
                    break;

                case "block-size":
                case "blocksize":
                case "bs":
                    if (!RequireValue(spec, name, value, out error))
                    {
                        return false;
                    }

                    if (!TryParseBlockSize(value!, out var blockSize))
                    {
                        error = $"invalid LUN spec '{spec}': block size '{value}' must be 512 or 4096";
                        return false;
                    }

                    result.BlockSize = blockSize;
                    break;

                case "slot":
                    // The AoE slot (minor address) the LUN answers as on aoe: portals; default: its LUN number.
                    if (!RequireValue(spec, name, value, out error))
                    {
                        return false;
                    }

                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var slot) || slot > MaxAoeSlot)
                    {
                        error = $"invalid LUN spec '{spec}': AoE slot '{value}' must be 0..{MaxAoeSlot}";
                        return false;
                    }

                    result.AoeSlot = slot;
                    break;

                case "lun":
                    if (!RequireValue(spec, name, value, out error))
                    {
                        return false;
                    }

                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > MaxLunNumber)
                    {
                        error = $"invalid LUN spec '{spec}': LUN number '{value}' must be 0..{MaxLunNumber}";
                        return false;
                    }

                    result.Number = number;
                    break;

                case "readonly":
                case "ro":
                    if (!RejectValue(spec, name, value, out error))
                    {
                        return false;
                    }

                    result.ReadOnly = true;
                    break;

                case "removable":
                    if (!RejectValue(spec, name, value, out error))
                    {
                        return false;
                    }

                    result.Removable = true;
                    break;

                case "create-dirs" when result.Kind == LunKind.File:
                    if (!RejectValue(spec, name, value, out error))
                    {
                        return false;
                    }

                    result.CreateDirectories = true;
                    break;

                case "sparse" when result.Kind == LunKind.Memory:
                    if (!RejectValue(spec, name, value, out error))
                    {
                        return false;
                    }

                    result.Sparse = true;
                    break;

                case "conf" when result.Kind == LunKind.Rbd:
                    if (!RequireValue(spec, name, value, out error))
                    {
                        return false;
                    }

                    result.RbdConfigPath = value;
                    break;

                case "id" when result.Kind == LunKind.Rbd:
                    if (!RequireValue(spec, name, value, out error))
                    {
                        return false;
                    }

                    result.RbdClientId = value!.StartsWith("client.", StringComparison.Ordinal) ? value["client.".Length..] : value;
                    break;

                case "delay-control":
                    if (!RequireValue(spec, name, value, out error))
                    {
                        return false;
                    }

                    result.DelayControlPath = value;
                    break;

                default:
                    error = $"invalid LUN spec '{spec}': unknown option '{name}' for a {kindText.ToLowerInvariant()} LUN"
                        + result.Kind switch
                        {
                            LunKind.File => " (known: size, block-size, readonly, removable, create-dirs, lun, slot, delay-control)",
                            LunKind.Rbd => " (known: conf, id, block-size, readonly, removable, lun, slot, delay-control; the size is the image's)",
                            _ => " (known: block-size, readonly, removable, sparse, lun, slot, delay-control; the size follows 'memory:')",
                        };
                    return false;
            }
        }

        lun = result;
        error = null;
        return true;
    }

    public static bool TryParseBlockSize(string text, out int blockSize)
    {
        blockSize = text.Trim() switch
        {
            "512" => 512,
            "4096" or "4K" or "4k" or "4KiB" => 4096,
            _ => 0,
        };
        return blockSize != 0;
    }

    private static bool RequireValue(string spec, string name, string? value, [NotNullWhen(false)] out string? error)
    {
        error = string.IsNullOrEmpty(value) ? $"invalid LUN spec '{spec}': option '{name}' needs a value ({name}=...)" : null;
        return error is null;
    }

    private static bool RejectValue(string spec, string name, string? value, [NotNullWhen(false)] out string? error)
    {
        error = value is not null ? $"invalid LUN spec '{spec}': option '{name}' takes no value" : null;
        return error is null;
    }
}
