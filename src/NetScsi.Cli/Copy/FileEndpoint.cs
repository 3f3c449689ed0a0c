using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using NetScsi.Cli.Configuration;

namespace NetScsi.Cli.Copy;

/// <summary>A local regular file or block device, with positional I/O (RandomAccess).</summary>
internal sealed partial class FileEndpoint : ICopyEndpoint
{
    private readonly FileStream _stream;
    private readonly SafeFileHandle _handle;
    private readonly bool _isDevice;
    private bool _truncated;

    private FileEndpoint(string path, FileStream stream, long length, bool isDevice)
    {
        Name = path;
        _stream = stream;
        _handle = stream.SafeFileHandle;
        Length = length;
        _isDevice = isDevice;
    }

    public string Name { get; }

    public long Length { get; private set; }

    public int BlockSize => 1;

    public static FileEndpoint Open(string path, bool write)
    {
        try
        {
            var stream = write
                ? new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.Asynchronous)
                : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.Asynchronous);
            long length = RandomAccess.GetLength(stream.SafeFileHandle);
            bool isDevice = false;
            if (length == 0 && !OperatingSystem.IsWindows())
            {
                // Block devices report st_size 0; their size is where SEEK_END lands.
                long end = LSeek((int)stream.SafeFileHandle.DangerousGetHandle(), 0, 2);
                if (end > 0)
                {
                    length = end;
                    isDevice = true;
                }
            }

            return new FileEndpoint(path, stream, length, isDevice);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw CliException.Runtime($"cannot open '{path}': {e.Message}", e);
        }
    }

    public async ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            int total = 0;
            while (total < buffer.Length)
            {
                int n = await RandomAccess.ReadAsync(_handle, buffer[total..], offset + total, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    buffer.Span[total..].Clear();
                    return;
                }

                total += n;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Runtime($"cannot read '{Name}': {e.Message}", e);
        }
    }

    public async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            await RandomAccess.WriteAsync(_handle, data, offset, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Runtime($"cannot write '{Name}': {e.Message}", e);
        }
    }

    public async ValueTask<ZeroMethod> WriteZerosAsync(long offset, long length, CancellationToken cancellationToken)
    {
        if (_truncated)
        {
            // A file truncated to 0 and extended reads as zeros everywhere we do not write: leave a hole.
            return ZeroMethod.Hole;
        }

        await CopyEndpoints.WriteZeroDataAsync(this, offset, length, cancellationToken).ConfigureAwait(false);
        return ZeroMethod.Data;
    }

    public ValueTask PrepareDestinationAsync(long length, CancellationToken cancellationToken)
    {
        if (_isDevice)
        {
            CopyEndpoints.EnsureFits(length, Length, $"'{Name}'");
            return ValueTask.CompletedTask;
        }

        try
        {
            _stream.SetLength(0);
            _stream.SetLength(length);
            Length = length;
            _truncated = true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Runtime($"cannot resize '{Name}': {e.Message}", e);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            _stream.Flush(flushToDisk: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Runtime($"cannot flush '{Name}': {e.Message}", e);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _stream.DisposeAsync();

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long LSeek(int fd, long offset, int whence);
}
