using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using NetScsi.Transport.Aoe.Ata;
using NetScsi.Transport.Ethernet;

namespace NetScsi.Transport.Aoe.Client;

/// <summary>
/// One AoE device (shelf.slot) as a block device of 512-octet sectors: Query Config finds the target's MAC, buffer
/// count and sectors per command, IDENTIFY DEVICE its size; reads and writes become ATA READ/WRITE SECTORS (EXT)
/// frames, as many in flight as the target queues, each retransmitted by tag on an RTT-estimated timer until the
/// give-up bound (<see cref="AoeTagTable"/>). One poller thread owns the link and the frames; callers only queue
/// pooled operations, so the steady state allocates nothing per I/O.
/// </summary>
public sealed class AoeDevice : IAsyncDisposable
{
    /// <summary>AoE addresses 512-octet sectors (r11 §3.1).</summary>
    public const int SectorSize = 512;

    private const int BatchCapacity = 64;

    private readonly IFrameLink _link;
    private readonly AoeClientOptions _options;
    private readonly FrameBatch _receive;
    private readonly FrameBatch _send;
    private readonly AoeTagTable _table;
    private readonly AoeIoOperation?[] _slotOperation = new AoeIoOperation?[AoeTagTable.MaxCapacity];
    private readonly int[] _slotUnit = new int[AoeTagTable.MaxCapacity];
    private readonly int[] _slotCount = new int[AoeTagTable.MaxCapacity];
    private readonly int[] _expired = new int[AoeTagTable.MaxCapacity];
    private readonly ConcurrentQueue<AoeIoOperation> _submitted = new();

    /// <summary>I/Os taken out of <see cref="_submitted"/> to drop cancelled ones, in order; sent before it (poller only).</summary>
    private readonly Queue<AoeIoOperation> _backlog = new();
    private readonly Stack<AoeIoOperation> _pool = new();
    private readonly Thread _poller;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _mtuSectors;
    private AoeIoOperation? _current;
    private MacAddress _target = MacAddress.Broadcast;
    private AoeCongestionWindow _window = new(1);
    private int _sectorsPerFrame = 1;
    private bool _lba48 = true;
    private long _nextDeadline = long.MaxValue;
    private AoeTargetConfig? _config;
    private int _sleeping;
    private int _cancelPending;
    private volatile bool _stopping;
    private volatile Exception? _fatal;

    private AoeDevice(IFrameLink link, ushort shelf, byte slot, AoeClientOptions options)
    {
        _link = link;
        _options = options;
        Shelf = shelf;
        Slot = slot;
        _receive = new FrameBatch(BatchCapacity, link.Mtu + EthernetHeader.Length);
        _send = new FrameBatch(BatchCapacity, link.Mtu + EthernetHeader.Length);
        _mtuSectors = Math.Max(1, (int)AoeResponse.SectorsPerFrame(link.Mtu));
        var rtt = new AoeRttEstimator(Ticks(options.InitialRetransmitTimeout), Ticks(options.MinimumRetransmitTimeout), Ticks(options.MaximumRetransmitTimeout));
        _table = new AoeTagTable(AoeTagTable.MaxCapacity, rtt, Ticks(options.Timeout), (byte)Random.Shared.Next(256));
        _poller = new Thread(Run) { IsBackground = true, Name = $"aoe {link.Name} {shelf}.{slot}" };
    }

    public string InterfaceName => _link.Name;

    public ushort Shelf { get; }

    public byte Slot { get; }

    /// <summary>The target's MAC, from its Query Config reply.</summary>
    public MacAddress TargetAddress => _target;

    /// <summary>The target's Query Config reply.</summary>
    public AoeTargetConfig Config => _config ?? throw new InvalidOperationException("The device is not open.");

    /// <summary>The target's IDENTIFY DEVICE page, decoded.</summary>
    public AtaIdentity Identity { get; private set; } = null!;

    /// <summary>The device's size in 512-octet sectors.</summary>
    public ulong SectorCount => Identity.Sectors;

    /// <summary>Sectors per frame: the smaller of the target's limit and (MTU - 36) / 512.</summary>
    public int SectorsPerFrame => _sectorsPerFrame;

    /// <summary>Frames in flight at most: the target's buffer count, or the configured cap.</summary>
    public int MaxOutstanding => _window.Maximum;

    /// <summary>Frames that may be in flight now: <see cref="MaxOutstanding"/>, less after loss (see <see cref="AoeCongestionWindow"/>).</summary>
    public int Window => _window.Current;

    /// <summary>Times a timed-out frame shrank the window.</summary>
    public long WindowReductions => _window.Reductions;

    /// <summary>Frames sent again after a timeout.</summary>
    public long Retransmissions => _table.Retransmissions;

    /// <summary>Frames sent and not yet answered, given up or abandoned (read from the poller's table; a snapshot).</summary>
    public int FramesInFlight => _table.InFlight;

    /// <summary>The smoothed round-trip time of replies to frames sent once.</summary>
    public TimeSpan SmoothedRtt => TimeSpan.FromSeconds(_table.Rtt.SmoothedRtt / (double)Stopwatch.Frequency);

    /// <summary><c>aoe://IFACE/SHELF.SLOT</c>.</summary>
    public override string ToString() => new AoeUrl(_link.Name, Shelf, Slot).ToString();

    /// <summary>Opens shelf.slot on <paramref name="interfaceName"/> (root or CAP_NET_RAW): Query Config, then IDENTIFY.</summary>
    /// <exception cref="EthernetLinkException">The interface cannot be opened.</exception>
    /// <exception cref="AoeException">No target answers, or it refuses IDENTIFY.</exception>
    public static Task<AoeDevice> OpenAsync(string interfaceName, ushort shelf, byte slot, AoeClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        var link = PacketSocketLink.Open(interfaceName, BatchCapacity, AoeHeader.EtherType);
        return OpenAsync(link, shelf, slot, options ?? new AoeClientOptions(), cancellationToken);
    }

    /// <summary>Opens the device over any link (a simulated segment in tests); the device owns the link from now on.</summary>
    internal static async Task<AoeDevice> OpenAsync(IFrameLink link, ushort shelf, byte slot, AoeClientOptions options, CancellationToken cancellationToken)
    {
        var device = new AoeDevice(link, shelf, slot, options);
        device._poller.Start();
        try
        {
            try
            {
                await device.RunAsync(AoeOperationKind.QueryConfig, 0, 1, default, cancellationToken).ConfigureAwait(false);
            }
            catch (AoeException e) when (e.IsTimeout)
            {
                throw new AoeException(string.Create(CultureInfo.InvariantCulture,
                    $"no AoE target answers for shelf {shelf} slot {slot} on {link.Name} (Query Config unanswered for {options.Timeout.TotalSeconds:0.#} s)"), isTimeout: true);
            }

            var config = device._config!;
            device._target = config.Address;
            int window = options.MaxOutstanding > 0 ? options.MaxOutstanding : config.BufferCount;
            device._window = new AoeCongestionWindow(Math.Clamp(window, 1, AoeTagTable.MaxCapacity));
            device._sectorsPerFrame = config.SectorsPerCommand == 0 ? device._mtuSectors : Math.Min(config.SectorsPerCommand, device._mtuSectors);
            byte[] page = new byte[AtaIdentifyData.Length];
            await device.RunAsync(AoeOperationKind.Identify, 0, 1, page, cancellationToken).ConfigureAwait(false);
            if (!AtaIdentity.TryParse(page, out var identity))
            {
                throw new AoeException($"{device}: the IDENTIFY DEVICE reply is shorter than 512 octets");
            }

            device.Identity = identity!;
            device._lba48 = identity!.Lba48;
            return device;
        }
        catch
        {
            await device.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Reads <c>buffer.Length / 512</c> sectors from <paramref name="lba"/>.</summary>
    public ValueTask ReadAsync(ulong lba, Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Transfer(AoeOperationKind.Read, lba, buffer, cancellationToken);

    /// <summary>Writes <c>data.Length / 512</c> sectors at <paramref name="lba"/>; the target has them when this completes.</summary>
    public ValueTask WriteAsync(ulong lba, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        Transfer(AoeOperationKind.Write, lba, System.Runtime.InteropServices.MemoryMarshal.AsMemory(data), cancellationToken);

    /// <summary>FLUSH CACHE EXT (FLUSH CACHE on a 28-bit device): the target's volatile cache to its medium.</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default) =>
        RunAsync(AoeOperationKind.Flush, 0, 1, default, cancellationToken);

    private ValueTask Transfer(AoeOperationKind kind, ulong lba, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (buffer.Length == 0 || buffer.Length % SectorSize != 0)
        {
            throw new ArgumentException($"An AoE transfer is a whole number of {SectorSize}-octet sectors ({buffer.Length} octets given).", nameof(buffer));
        }

        int sectors = buffer.Length / SectorSize;
        if (lba >= SectorCount || (ulong)sectors > SectorCount - lba)
        {
            throw new ArgumentOutOfRangeException(nameof(lba), string.Create(CultureInfo.InvariantCulture,
                $"LBA {lba} + {sectors} sectors runs past the end of {this} ({SectorCount} sectors)"));
        }

        return RunAsync(kind, lba, sectors, buffer, cancellationToken);
    }

    private ValueTask RunAsync(AoeOperationKind kind, ulong lba, int units, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_fatal is { } fatal)
        {
            throw new AoeException($"{this}: the receive loop stopped: {fatal.Message}");
        }

        ObjectDisposedException.ThrowIf(_stopping, this);
        var operation = Rent();
        operation.Start(kind, lba, units, buffer, cancellationToken);
        var task = new ValueTask(operation, operation.Version);
        _submitted.Enqueue(operation);
        if (Volatile.Read(ref _sleeping) == 1)
        {
            _link.Wake();
        }

        return task;
    }

    /// <summary>A caller cancelled an I/O (any thread): the poller abandons it at its next turn.</summary>
    internal void OnOperationCanceled()
    {
        Volatile.Write(ref _cancelPending, 1);
        _link.Wake();
    }

    private AoeIoOperation Rent()
    {
        lock (_pool)
        {
            if (_pool.TryPop(out var operation))
            {
                return operation;
            }
        }

        return new AoeIoOperation(this, _options.InlineCompletions);
    }

    internal void Return(AoeIoOperation operation)
    {
        lock (_pool)
        {
            _pool.Push(operation);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping)
        {
            _stopping = true;
            _link.Wake();
        }

        // The poller starts in OpenAsync, before anything can dispose the device.
        await _stopped.Task.ConfigureAwait(false);

        _link.Dispose();
    }

    private static long Ticks(TimeSpan span) => Math.Max(1, (long)(span.TotalSeconds * Stopwatch.Frequency));

    // ---- the poller thread -------------------------------------------------------------------------------

    private void Run()
    {
        try
        {
            while (!_stopping)
            {
                long now = Stopwatch.GetTimestamp();
                _link.Receive(_receive);
                for (int i = 0; i < _receive.Count; i++)
                {
                    HandleReply(_receive.Frame(i), now);
                }

                bool received = _receive.Count > 0;
                if (Volatile.Read(ref _cancelPending) != 0)
                {
                    AbandonCancelled();
                }

                SubmitFrames(now);
                CheckTimers(now);
                FlushSend();
                if (received)
                {
                    continue;
                }

                Interlocked.Exchange(ref _sleeping, 1);
                if (_current is null && (_backlog.Count > 0 || !_submitted.IsEmpty))
                {
                    Volatile.Write(ref _sleeping, 0);
                    continue;
                }

                _link.Wait(WaitMilliseconds(Stopwatch.GetTimestamp()));
                Volatile.Write(ref _sleeping, 0);
            }

            FailEverything(new ObjectDisposedException(ToString(), "The AoE device was closed with I/O in flight."));
        }
        catch (Exception e)
        {
            _fatal = e;
            FailEverything(new AoeException($"{this}: the receive loop stopped: {e.Message}"));
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    private int WaitMilliseconds(long now)
    {
        if (_nextDeadline == long.MaxValue)
        {
            return 1000;
        }

        long ticks = _nextDeadline - now;
        return ticks <= 0 ? 0 : (int)Math.Min(1000, (ticks * 1000 / Stopwatch.Frequency) + 1);
    }

    private void SubmitFrames(long now)
    {
        while (true)
        {
            if (_current is null && !_backlog.TryDequeue(out _current) && !_submitted.TryDequeue(out _current))
            {
                return;
            }

            var operation = _current;
            if (operation.CancelRequested && operation.Outstanding == 0)
            {
                // Cancelled before any frame of it went out (or after all were abandoned): it ends here.
                _current = null;
                operation.Fail(new OperationCanceledException(operation.CancellationToken));
                operation.Complete();
                continue;
            }

            while (!operation.FullySubmitted && !operation.CancelRequested && _table.InFlight < _window.Current && _table.TryAcquire(out int slot, out _))
            {
                int count = operation.Kind is AoeOperationKind.Read or AoeOperationKind.Write
                    ? Math.Min(_sectorsPerFrame, operation.Units - operation.NextUnit)
                    : 1;
                _slotOperation[slot] = operation;
                _slotUnit[slot] = operation.NextUnit;
                _slotCount[slot] = count;
                operation.NextUnit += count;
                operation.Outstanding++;
                WriteFrame(slot);
                _table.MarkSent(slot, now);
                _nextDeadline = Math.Min(_nextDeadline, now + _table.Rtt.RetransmitTimeout);
            }

            if (!operation.FullySubmitted)
            {
                return;
            }

            _current = null;
        }
    }

    private void WriteFrame(int slot)
    {
        if (_send.IsFull)
        {
            FlushSend();
        }

        var operation = _slotOperation[slot]!;
        int index = _send.Count;
        Span<byte> frame = _send.Slot(index);
        uint tag = _table.TagOf(slot);
        int length;
        if (operation.Kind == AoeOperationKind.QueryConfig)
        {
            length = AoeTargetConfig.WriteRequest(frame, _link.Address, _target, Shelf, Slot, tag);
        }
        else
        {
            var header = new AoeHeader { Destination = _target, Source = _link.Address, Major = Shelf, Minor = Slot, Command = AoeCommand.Ata, Tag = tag };
            header.WriteTo(frame);
            int count = _slotCount[slot];
            ulong lba = operation.Lba + (ulong)_slotUnit[slot];
            (byte command, AtaFlags flags, int dataLength) = operation.Kind switch
            {
                AoeOperationKind.Read => (_lba48 ? AtaOpcode.ReadSectorsExt : AtaOpcode.ReadSectors, AtaFlags.None, 0),
                AoeOperationKind.Write => (_lba48 ? AtaOpcode.WriteSectorsExt : AtaOpcode.WriteSectors, AtaFlags.Write, count * SectorSize),
                AoeOperationKind.Flush => (_lba48 ? AtaOpcode.FlushCacheExt : AtaOpcode.FlushCache, AtaFlags.None, 0),
                _ => (AtaOpcode.IdentifyDevice, AtaFlags.None, 0),
            };
            bool transfer = operation.Kind is AoeOperationKind.Read or AoeOperationKind.Write;
            if (_lba48 && operation.Kind != AoeOperationKind.Identify)
            {
                flags |= AtaFlags.Extended;
            }

            // 28-bit: LBA bits 24-27 in lba3's low nibble, the device register's LBA mode bits (E0h) above them.
            ulong lbaField = !transfer ? 0 : _lba48 ? lba : (lba & 0x0FFF_FFFF) | (0xE0UL << 24);
            new AoeAtaHeader { Flags = flags, SectorCount = (byte)count, CommandStatus = command, Lba = lbaField }.WriteTo(frame[AoeHeader.Length..]);
            if (dataLength > 0)
            {
                operation.Buffer.Span.Slice(_slotUnit[slot] * SectorSize, dataLength).CopyTo(frame[AoeAtaHeader.DataOffset..]);
            }

            length = AoeAtaHeader.DataOffset + dataLength;
            if (length < AoeResponse.MinimumFrameLength)
            {
                frame[length..AoeResponse.MinimumFrameLength].Clear();
                length = AoeResponse.MinimumFrameLength;
            }
        }

        _send.SetLength(index, length);
        _send.Count = index + 1;
    }

    private void FlushSend()
    {
        if (_send.Count > 0)
        {
            _link.Send(_send);
            _send.Count = 0;
        }
    }

    private void HandleReply(ReadOnlySpan<byte> frame, long now)
    {
        if (AoeHeader.TryRead(frame, out var header) != AoeReadStatus.Ok || !header.IsResponse || header.Major != Shelf || header.Minor != Slot)
        {
            return;
        }

        if (!_target.IsGroup && header.Source != _target)
        {
            return;
        }

        if (!_table.TryComplete(header.Tag, now, out int slot))
        {
            return;
        }

        _window.OnReply();

        var operation = _slotOperation[slot]!;
        _slotOperation[slot] = null;
        operation.Outstanding--;
        if ((header.Flags & AoeFlags.Error) != 0)
        {
            operation.Fail(new AoeException(string.Create(CultureInfo.InvariantCulture,
                $"{this} refused {Describe(operation, slot)}: AoE error {(byte)header.Error} ({header.Error})")));
        }
        else if (operation.Kind == AoeOperationKind.QueryConfig)
        {
            if (AoeTargetConfig.TryParse(frame, out _, out var config))
            {
                _config = config;
            }
            else
            {
                operation.Fail(new AoeException($"{this}: the Query Config reply is malformed"));
            }
        }
        else
        {
            HandleAtaReply(frame, operation, slot);
        }

        if (operation.Outstanding == 0 && operation.FullySubmitted)
        {
            if (ReferenceEquals(_current, operation))
            {
                _current = null;
            }

            operation.Complete();
        }
    }

    private void HandleAtaReply(ReadOnlySpan<byte> frame, AoeIoOperation operation, int slot)
    {
        if (AoeAtaHeader.TryRead(frame[AoeHeader.Length..], out var registers) != AoeReadStatus.Ok)
        {
            operation.Fail(new AoeException($"{this}: the reply to {Describe(operation, slot)} is truncated"));
            return;
        }

        var status = (AtaStatus)registers.CommandStatus;
        if ((status & (AtaStatus.Error | AtaStatus.DeviceFault)) != 0)
        {
            operation.Fail(new AoeException(string.Create(CultureInfo.InvariantCulture,
                $"{this} failed {Describe(operation, slot)}: ATA status {registers.CommandStatus:X2}h, error {registers.ErrorFeature:X2}h ({(AtaError)registers.ErrorFeature})"),
                ataError: (AtaError)registers.ErrorFeature));
            return;
        }

        int dataLength = operation.Kind switch
        {
            AoeOperationKind.Read => _slotCount[slot] * SectorSize,
            AoeOperationKind.Identify => AtaIdentifyData.Length,
            _ => 0,
        };
        if (dataLength == 0)
        {
            return;
        }

        var data = frame[AoeAtaHeader.DataOffset..];
        if (data.Length < dataLength)
        {
            operation.Fail(new AoeException(string.Create(CultureInfo.InvariantCulture,
                $"{this}: the reply to {Describe(operation, slot)} carries {data.Length} of {dataLength} octets")));
            return;
        }

        data[..dataLength].CopyTo(operation.Buffer.Span.Slice(_slotUnit[slot] * SectorSize, dataLength));
    }

    private void CheckTimers(long now)
    {
        if (now < _nextDeadline)
        {
            return;
        }

        int expired = _table.CollectExpired(now, _expired);
        for (int i = 0; i < expired; i++)
        {
            int slot = _expired[i];
            if (_table.OnTimeout(slot, now) == AoeTimeoutAction.Retransmit)
            {
                _window.OnLoss(_table.FirstSentOf(slot), now);
                WriteFrame(slot);
                continue;
            }

            var operation = _slotOperation[slot]!;
            _slotOperation[slot] = null;
            operation.Outstanding--;
            operation.Fail(new AoeException(string.Create(CultureInfo.InvariantCulture,
                $"{this} ({_target}) did not answer {Describe(operation, slot)} within {_options.Timeout.TotalSeconds:0.#} s"), isTimeout: true));
            if (ReferenceEquals(_current, operation))
            {
                _current = null;
            }

            if (operation.Outstanding == 0)
            {
                operation.Complete();
            }
        }

        _nextDeadline = _table.NextDeadline();
    }

    private string Describe(AoeIoOperation operation, int slot) => operation.Kind switch
    {
        AoeOperationKind.Read => string.Create(CultureInfo.InvariantCulture, $"READ of {_slotCount[slot]} sectors at LBA {operation.Lba + (ulong)_slotUnit[slot]}"),
        AoeOperationKind.Write => string.Create(CultureInfo.InvariantCulture, $"WRITE of {_slotCount[slot]} sectors at LBA {operation.Lba + (ulong)_slotUnit[slot]}"),
        AoeOperationKind.Flush => "FLUSH CACHE",
        AoeOperationKind.Identify => "IDENTIFY DEVICE",
        _ => "Query Config",
    };

    /// <summary>
    /// Abandons the I/Os whose callers cancelled: their frames in flight give up their tags (a late reply is then
    /// stale and ignored, as after a give-up), no more frames of theirs are sent, and each completes with
    /// <see cref="OperationCanceledException"/> once it has nothing in flight. As with a SCSI task aborted mid-transfer,
    /// a cancelled write may have reached the medium in part.
    /// </summary>
    private void AbandonCancelled()
    {
        Volatile.Write(ref _cancelPending, 0);
        for (int slot = 0; slot < _slotOperation.Length; slot++)
        {
            if (_slotOperation[slot] is not { CancelRequested: true } operation)
            {
                continue;
            }

            _slotOperation[slot] = null;
            _table.Release(slot);
            operation.Fail(new OperationCanceledException(operation.CancellationToken));
            if (--operation.Outstanding == 0)
            {
                if (ReferenceEquals(_current, operation))
                {
                    _current = null;
                }

                operation.Complete();
            }
        }

        if (_current is { CancelRequested: true, Outstanding: 0 } current)
        {
            _current = null;
            current.Fail(new OperationCanceledException(current.CancellationToken));
            current.Complete();
        }

        // Queued I/Os behind one that cannot go out (a full window, a silent target) end now too, not when they reach the front.
        int queued = _backlog.Count;
        for (int i = 0; i < queued; i++)
        {
            KeepUnlessCancelled(_backlog.Dequeue());
        }

        while (_submitted.TryDequeue(out var operation))
        {
            KeepUnlessCancelled(operation);
        }
    }

    private void KeepUnlessCancelled(AoeIoOperation operation)
    {
        if (operation.CancelRequested)
        {
            operation.Fail(new OperationCanceledException(operation.CancellationToken));
            operation.Complete();
            return;
        }

        _backlog.Enqueue(operation);
    }

    private void FailEverything(Exception error)
    {
        for (int slot = 0; slot < _slotOperation.Length; slot++)
        {
            if (_slotOperation[slot] is { } operation)
            {
                _slotOperation[slot] = null;
                _table.Release(slot);
                operation.Fail(error);
                if (--operation.Outstanding == 0)
                {
                    if (ReferenceEquals(_current, operation))
                    {
                        _current = null;
                    }

                    operation.Complete();
                }
            }
        }

        if (_current is { Outstanding: 0 } current)
        {
            _current = null;
            current.Fail(error);
            current.Complete();
        }

        while (_backlog.TryDequeue(out var waiting))
        {
            waiting.Fail(error);
            waiting.Complete();
        }

        while (_submitted.TryDequeue(out var queued))
        {
            queued.Fail(error);
            queued.Complete();
        }
    }
}
