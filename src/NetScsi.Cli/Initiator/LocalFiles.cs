using NetScsi.Cli.Configuration;

namespace NetScsi.Cli.Initiator;

/// <summary>Local file I/O whose failures are <see cref="CliException"/>s naming the file (exit 1), never confused with network errors.</summary>
internal static class LocalFiles
{
    public static FileStream OpenRead(string path) =>
        Guard(path, () => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.Asynchronous));

    public static FileStream Create(string path) =>
        Guard(path, () => new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1, FileOptions.Asynchronous));

    public static long Length(FileStream file, string path) => Guard(path, () => file.Length);

    public static async Task WriteAsync(Stream stream, ReadOnlyMemory<byte> data, string? path, CancellationToken cancellationToken)
    {
        try
        {
            await stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Runtime($"cannot write {(path is null ? "stdout" : $"'{path}'")}: {e.Message}", e);
        }
    }

    public static async Task FlushAsync(Stream stream, string? path, CancellationToken cancellationToken)
    {
        try
        {
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Runtime($"cannot write {(path is null ? "stdout" : $"'{path}'")}: {e.Message}", e);
        }
    }

    public static async Task ReadExactlyAsync(Stream stream, Memory<byte> buffer, string path, CancellationToken cancellationToken)
    {
        try
        {
            await stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException e)
        {
            throw CliException.Runtime($"'{path}' became shorter while it was read", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Runtime($"cannot read '{path}': {e.Message}", e);
        }
    }

    public static T Guard<T>(string path, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw CliException.Runtime($"'{path}': {e.Message}", e);
        }
    }
}
