namespace NetScsi.Interop.Tests;

/// <summary>
/// One real <c>netscsi target serve</c> process for a test class: LUN 0 a 64 MiB file LUN, LUN 1 a
/// 16 MiB memory LUN, on a kernel-chosen loopback port. Disposing stops it with SIGTERM and asserts a
/// graceful stop (exit 0 within 10 s), then removes the temporary directory. GracefulStopTests
/// checks the same as ordinary tests, with data surviving a restart.
/// </summary>
public sealed class InteropTargetFixture : IAsyncLifetime
{
    public const string Iqn = "iqn.2026-11.org.netscsi:interop";
    public const long Lun0Bytes = 64L * 1024 * 1024;
    public const long Lun1Bytes = 16L * 1024 * 1024;
    public const int BlockSize = 512;

    private NetScsiTargetProcess? _target;

    public string WorkDirectory { get; } = Directory.CreateTempSubdirectory("netscsi-interop-").FullName;

    internal NetScsiTargetProcess Target => _target ?? throw new InvalidOperationException("the target is not running");

    public int Port => Target.Port;

    /// <summary><c>iscsi://127.0.0.1:PORT</c>: a portal URL, as iscsi-ls takes.</summary>
    public string PortalUrl => $"iscsi://127.0.0.1:{Port}";

    /// <summary><c>iscsi://127.0.0.1:PORT/IQN/LUN</c>, as libiscsi's tools and qemu take.</summary>
    public string LunUrl(int lun) => $"{PortalUrl}/{Iqn}/{lun}";

    public async Task InitializeAsync()
    {
        _target = await NetScsiTargetProcess.StartAsync(
            WorkDirectory,
            "--listen", "127.0.0.1:0",
            "--iqn", Iqn,
            "--lun", $"file:{Path.Combine(WorkDirectory, "lun0.img")},size=64M",
            "--lun", "memory:16M",
            "--log-level", "warning");
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_target is not null)
            {
                await _target.StopGracefullyAsync();
            }
        }
        catch (Xunit.Sdk.FailException e)
        {
            // xunit reports a fixture's cleanup failure as "[Test Class Cleanup Failure (class)] TYPE" (the
            // message only at detailed verbosity) and `dotnet test` exits 1: make the type say what failed.
            throw new TargetDidNotStopGracefullyException(e.Message, e);
        }
        finally
        {
            if (_target is not null)
            {
                await _target.DisposeAsync();
            }
            Directory.Delete(WorkDirectory, recursive: true);
        }
    }
}

/// <summary>The shared target did not exit 0 within 10 s of SIGTERM (see the message for its output).</summary>
public sealed class TargetDidNotStopGracefullyException(string message, Exception inner) : Exception(message, inner);
