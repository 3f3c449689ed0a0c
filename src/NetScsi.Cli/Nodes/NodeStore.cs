using System.Text.Json;
using NetScsi.Cli.Configuration;

namespace NetScsi.Cli.Nodes;

/// <summary>
/// The node directory: one <c>NAME.json</c> per record. The directory is created 0700 and every
/// record is written 0600 (atomically: a temporary file renamed over the old one), because records
/// may hold CHAP secrets.
/// </summary>
internal sealed class NodeStore
{
    public const string EnvironmentVariable = "NETSCSI_NODE_DIR";

    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public NodeStore(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    /// <summary><c>--node-dir</c>, else <c>$NETSCSI_NODE_DIR</c>, else <c>$XDG_CONFIG_HOME/netscsi/nodes</c> (<c>~/.config/netscsi/nodes</c>).</summary>
    public static NodeStore Locate(string? flag, Func<string, string?> environment)
    {
        if (!string.IsNullOrEmpty(flag))
        {
            return new NodeStore(Path.GetFullPath(flag));
        }

        if (environment(EnvironmentVariable) is { Length: > 0 } fromEnvironment)
        {
            return new NodeStore(Path.GetFullPath(fromEnvironment));
        }

        string config = environment("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return new NodeStore(Path.Combine(config, "netscsi", "nodes"));
    }

    /// <summary>A name is usable as a file name and cannot be mistaken for a URL or a path.</summary>
    public static bool IsValidName(string name, out string? error)
    {
        error = name.Length == 0 ? "node name is empty"
            : name.Length > 223 ? "node name is longer than 223 characters"
            : name.StartsWith('.') ? $"node name '{name}' starts with '.'"
            : name.Contains("://", StringComparison.Ordinal) ? $"node name '{name}' looks like a URL"
            : name.Any(c => c is '/' or '\\' or '\0' || char.IsControl(c) || char.IsWhiteSpace(c)) ? $"node name '{name}' contains '/', whitespace or control characters"
            : null;
        return error is null;
    }

    public string PathOf(string name) => Path.Combine(Directory, name + ".json");

    public bool Exists(string name) => IsValidName(name, out _) && File.Exists(PathOf(name));

    /// <summary>Loads a record; null when there is none.</summary>
    /// <exception cref="CliException">The record exists but cannot be read or parsed.</exception>
    public NodeRecord? TryLoad(string name)
    {
        if (!IsValidName(name, out _))
        {
            return null;
        }

        string path = PathOf(name);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var stream = File.OpenRead(path);
            var record = JsonSerializer.Deserialize(stream, NodeJsonContext.Default.NodeRecord)
                ?? throw CliException.Usage($"node record '{path}' is empty");
            record.Name = name;
            return record;
        }
        catch (JsonException e)
        {
            throw CliException.Usage($"node record '{path}' is not valid: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Runtime($"cannot read node record '{path}': {e.Message}", e);
        }
    }

    public IReadOnlyList<NodeRecord> LoadAll()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return [];
        }

        var records = new List<NodeRecord>();
        foreach (string path in System.IO.Directory.EnumerateFiles(Directory, "*.json").Order(StringComparer.Ordinal))
        {
            if (TryLoad(Path.GetFileNameWithoutExtension(path)) is { } record)
            {
                records.Add(record);
            }
        }

        return records;
    }

    /// <exception cref="CliException">The directory or file cannot be written.</exception>
    public void Save(NodeRecord record)
    {
        if (!IsValidName(record.Name, out string? error))
        {
            throw CliException.Usage(error!);
        }

        string path = PathOf(record.Name);
        string temporary = Path.Combine(Directory, $".{record.Name}.{Environment.ProcessId}.tmp");
        try
        {
            bool unix = !OperatingSystem.IsWindows();
            if (!System.IO.Directory.Exists(Directory))
            {
                if (unix)
                {
                    System.IO.Directory.CreateDirectory(Directory, DirectoryMode);
                }
                else
                {
                    System.IO.Directory.CreateDirectory(Directory);
                }
            }

            // Created 0600 from the start: the secret is never readable by others, not even briefly.
            var options = new FileStreamOptions { Mode = System.IO.FileMode.Create, Access = FileAccess.Write };
            if (unix)
            {
                options.UnixCreateMode = FileMode;
            }

            using (var stream = new FileStream(temporary, options))
            {
                JsonSerializer.Serialize(stream, record, NodeJsonContext.Default.NodeRecord);
                stream.Flush(flushToDisk: true);
            }

            if (unix)
            {
                // The umask cannot widen 0600, but an old temporary file of the same name could have kept its mode.
                File.SetUnixFileMode(temporary, FileMode);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // Best effort.
            }

            throw CliException.Runtime($"cannot write node record '{path}': {e.Message}", e);
        }
    }

    /// <returns>False when there was no such record.</returns>
    public bool Delete(string name)
    {
        if (!Exists(name))
        {
            return false;
        }

        try
        {
            File.Delete(PathOf(name));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Runtime($"cannot delete node record '{PathOf(name)}': {e.Message}", e);
        }
    }
}
