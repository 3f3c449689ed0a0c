using System.Runtime.CompilerServices;
using NetScsi.Scsi;
using NetScsi.Transport.Aoe.Ata;
using NetScsi.Transport.Ethernet;

namespace NetScsi.Transport.Aoe;

/// <summary>
/// An AoE target on one interface: a shelf whose slots are logical units. One poller thread takes frames from the
/// link in batches (the Ethernet transport's AF_PACKET link, bound to EtherType 0x88A2), answers Query Config, MAC
/// Mask List and Reserve/Release at once, and hands each ATA request to a pooled request that runs it through the
/// slot's <see cref="AtaDevice"/> (so through the SCSI layer); finished requests come back to the poller, which sends
/// their responses in batches. Many requests run at once per slot, up to <see cref="AoeTargetOptions.BufferCount"/>
/// (what the config reply advertises); a request that finds no free buffer is dropped and the initiator retransmits.
/// Nothing on the ATA path allocates once every buffer has been used.
/// </summary>
/// <remarks>
/// Dropped without an answer: frames too short for the AoE header, other EtherTypes, responses (R set), our own frames,
/// anything from a MAC a slot's MAC Mask List leaves out (that MAC sees nothing of the slot), ATA requests to the
/// broadcast shelf or slot, Query Config tests that do not match. Answered with an AoE error: another version (5), an
/// unknown command (1), a truncated argument or an impossible transfer (2), an ATA request from a MAC outside a
/// non-empty reserve list (6), a Reserve/Release set by a MAC outside it (6). A broadcast Query Config is answered by
/// every slot. Every reply is padded to 60 octets.
/// </remarks>
public sealed class AoeTarget : IAsyncDisposable
{
    /// <summary>The smallest MTU served: a config reply with a 1024-octet string must fit in one frame.</summary>
    public const int MinimumMtu = AoeHeader.Length - EthernetHeader.Length + AoeConfigHeader.Length + AoeConfigHeader.MaxConfigStringLength;

    private readonly IFrameLink _link;
    private readonly AoeTargetOptions _options;
    private readonly Slot[] _slots;
    private readonly FrameBatch _receive;
    private readonly FrameBatch _send;
    private readonly Dictionary<MacAddress, ItNexus> _nexuses = [];
    private readonly Request[] _free;
    private int _freeCount;
    private readonly Lock _doneLock = new();
    private Request[] _done;
    private Request[] _draining;
    private int _doneCount;
    private readonly Request[] _sending;
    private int _sendingCount;
    private int _pollerThreadId;
    private int _pollerWaiting;
    private readonly byte[] _configScratch = new byte[AoeConfigHeader.MaxConfigStringLength];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread _poller;
    private readonly byte _sectorsPerFrame;
    private volatile bool _stop;
    private int _disposed;
    private Exception? _failure;

    /// <summary>Frames dropped (not AoE, truncated, ours, responses, masked, no free buffer, ...), for diagnostics.</summary>
    public long DroppedFrames;

    /// <summary>ATA requests dropped because every buffer was in use.</summary>
    public long BufferOverruns;

    /// <summary>Frames answered.</summary>
    public long SentFrames;

    private AoeTarget(IFrameLink link, ushort shelf, Slot[] slots, AoeTargetOptions options)
    {
        _link = link;
        _options = options;
        _slots = slots;
        Shelf = shelf;
        int frameSize = link.Mtu + EthernetHeader.Length;
        _receive = new FrameBatch(options.BatchFrames, frameSize);
        _send = new FrameBatch(options.BatchFrames, frameSize);
        _sectorsPerFrame = AoeResponse.SectorsPerFrame(link.Mtu);
        int buffers = checked(options.BufferCount * slots.Length);
        _free = new Request[buffers];
        for (int i = 0; i < buffers; i++)
        {
            _free[i] = new Request(this, frameSize);
        }

        _freeCount = buffers;
        _done = new Request[buffers];
        _draining = new Request[buffers];
        _sending = new Request[options.BatchFrames];
        _poller = new Thread(Poll) { IsBackground = true, Name = $"aoe {link.Name} e{shelf}" };
    }

    /// <summary>The shelf (AoE major address).</summary>
    public ushort Shelf { get; }

    /// <summary>The interface's MAC: the source of every reply.</summary>
    public MacAddress Address => _link.Address;

    /// <summary>The interface's MTU.</summary>
    public int Mtu => _link.Mtu;

    /// <summary>Sectors one ATA command may carry (the config reply's Sector Count): (MTU - 36) / 512.</summary>
    public byte SectorsPerFrame => _sectorsPerFrame;

    /// <summary>The slots served.</summary>
    public IEnumerable<byte> Slots => _slots.Select(s => s.Number);

    /// <summary>A slot's MAC Mask List (for the control plane and tests).</summary>
    public AoeMacList MacMask(byte slot) => Find(slot).Mask;

    /// <summary>A slot's reserve list.</summary>
    public AoeMacList ReserveList(byte slot) => Find(slot).Reserve;

    /// <summary>
    /// Opens an AF_PACKET socket on <paramref name="interfaceName"/> bound to EtherType 0x88A2 and starts serving
    /// <paramref name="slots"/> as shelf <paramref name="shelf"/>; announces each slot with a broadcast config reply.
    /// </summary>
    /// <exception cref="EthernetLinkException">No such interface, no permission (root or CAP_NET_RAW), or a failed call.</exception>
    /// <exception cref="ArgumentException">A slot twice, a slot 255, a unit whose blocks are not 512 octets, or an MTU under <see cref="MinimumMtu"/>.</exception>
    public static Task<AoeTarget> StartAsync(string interfaceName, ushort shelf, IReadOnlyList<AoeSlotDefinition> slots, AoeTargetOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new AoeTargetOptions();
        return StartAsync(PacketSocketLink.Open(interfaceName, options.BatchFrames, AoeHeader.EtherType), shelf, slots, options, cancellationToken);
    }

    /// <summary>The same on a given link (a simulated segment in tests); the target owns it from here on.</summary>
    internal static async Task<AoeTarget> StartAsync(IFrameLink link, ushort shelf, IReadOnlyList<AoeSlotDefinition> slots, AoeTargetOptions options,
        CancellationToken cancellationToken = default)
    {
        try
        {
            ArgumentNullException.ThrowIfNull(slots);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(shelf, (ushort)(AoeHeader.BroadcastMajor - 1));
            ArgumentOutOfRangeException.ThrowIfLessThan(options.BufferCount, 1);
            if (link.Mtu < MinimumMtu)
            {
                throw new ArgumentException($"the MTU of '{link.Name}' ({link.Mtu}) is below the {MinimumMtu} an AoE target needs", nameof(link));
            }

            if (slots.Count == 0)
            {
                throw new ArgumentException("no slot to export", nameof(slots));
            }

            int maskCapacity = Math.Clamp(Math.Min(options.MacMaskCapacity, (link.Mtu - (AoeHeader.Length - EthernetHeader.Length) - AoeMacMaskHeader.Length) / AoeMacMaskHeader.DirectiveLength), 1, byte.MaxValue);
            int reserveCapacity = Math.Clamp((link.Mtu - (AoeHeader.Length - EthernetHeader.Length) - AoeReserveHeader.Length) / MacAddress.Length, 1, byte.MaxValue);
            var built = new Slot[slots.Count];
            var numbers = new HashSet<byte>();
            ItNexus own = AoeTransportIdCodec.CreateNexus(link.Address, options.RelativeTargetPortId);
            for (int i = 0; i < slots.Count; i++)
            {
                AoeSlotDefinition definition = slots[i];
                if (definition.Slot == AoeHeader.BroadcastMinor)
                {
                    throw new ArgumentException($"slot {AoeHeader.BroadcastMinor} is the broadcast address", nameof(slots));
                }

                if (!numbers.Add(definition.Slot))
                {
                    throw new ArgumentException($"slot {definition.Slot} is exported twice", nameof(slots));
                }

                AtaDevice ata = await AtaDevice.OpenAsync(definition.Unit, own, options.ModelNumber, options.FirmwareRevision, cancellationToken: cancellationToken).ConfigureAwait(false);
                built[i] = new Slot(definition.Slot, ata, new AoeConfigString(definition.ConfigString ?? []),
                    new AoeMacList(maskCapacity, definition.MacMask), new AoeMacList(reserveCapacity));
            }

            var target = new AoeTarget(link, shelf, built, options);
            target.Announce();
            target._poller.Start();
            return target;
        }
        catch
        {
            link.Dispose();
            throw;
        }
    }

    /// <summary>Stops receiving, waits (up to the drain timeout) for requests in flight, closes the link.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop = true;
        _link.Wake();
        if (_poller.IsAlive)
        {
            await Task.Run(() => _poller.Join(_options.DrainTimeout + TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        }

        _stopping.Cancel();
        _link.Dispose();
        _stopping.Dispose();
    }

    /// <summary>The exception that ended the poller, if one did (a failed socket call).</summary>
    public Exception? Failure => _failure;

    private Slot Find(byte number) => _slots.FirstOrDefault(s => s.Number == number) ?? throw new ArgumentOutOfRangeException(nameof(number), $"no slot {number}");

    /// <summary>A broadcast config reply per slot, as targets announce themselves at start-up.</summary>
    private void Announce()
    {
        var request = new AoeHeader { Destination = _link.Address, Source = MacAddress.Broadcast, Command = AoeCommand.QueryConfig };
        foreach (Slot slot in _slots)
        {
            WriteConfigReply(slot, request, AoeConfigCommand.Read, []);
        }

        Flush();
    }

    private void Poll()
    {
        _pollerThreadId = Environment.CurrentManagedThreadId;
        try
        {
            while (!_stop)
            {
                _link.Receive(_receive);
                int received = _receive.Count;
                for (int i = 0; i < received; i++)
                {
                    Handle(_receive.Frame(i));
                }

                int drained = DrainCompleted();
                Flush();
                if (received == 0 && drained == 0)
                {
                    // Completions on other threads wake the link only while this flag is up (an eventfd write per
                    // request costs as much as the request); the exchange orders it before the second look.
                    Interlocked.Exchange(ref _pollerWaiting, 1);
                    if (Volatile.Read(ref _doneCount) == 0)
                    {
                        _link.Wait(200);
                    }

                    Volatile.Write(ref _pollerWaiting, 0);
                }
            }

            // Stopping: let the requests in flight finish and answer them.
            long deadline = Environment.TickCount64 + (long)_options.DrainTimeout.TotalMilliseconds;
            while (Volatile.Read(ref _freeCount) + Volatile.Read(ref _doneCount) < _free.Length && Environment.TickCount64 < deadline)
            {
                DrainCompleted();
                Flush();
                _link.Wait(20);
            }

            DrainCompleted();
            Flush();
        }
        catch (Exception e)
        {
            _failure = e;
        }
    }

    /// <summary>One received frame: answer it into the send batch, start it, or drop it. Never throws for its contents.</summary>
    internal void Handle(ReadOnlySpan<byte> frame)
    {
        AoeReadStatus status = AoeHeader.TryRead(frame, out AoeHeader header);
        if (status is AoeReadStatus.Truncated or AoeReadStatus.NotAoe || header.IsResponse || header.Source == _link.Address
            || header.Source.IsGroup || header.Source.IsZero)
        {
            DroppedFrames++;
            return;
        }

        bool broadcast = header.Major == AoeHeader.BroadcastMajor || header.Minor == AoeHeader.BroadcastMinor;
        if (header.Major != Shelf && header.Major != AoeHeader.BroadcastMajor)
        {
            DroppedFrames++;
            return;
        }

        ReadOnlySpan<byte> argument = frame[AoeHeader.Length..];
        bool answered = false;
        foreach (Slot slot in _slots)
        {
            if (!header.Addresses(Shelf, slot.Number) || !slot.Mask.Admits(header.Source))
            {
                continue;
            }

            answered = true;
            if (status == AoeReadStatus.UnsupportedVersion)
            {
                WriteError(slot, header, AoeError.UnsupportedVersion);
                continue;
            }

            switch (header.Command)
            {
                case AoeCommand.QueryConfig:
                    QueryConfig(slot, header, argument);
                    break;
                case AoeCommand.Ata when !broadcast:
                    StartAta(slot, header, frame);
                    break;
                case AoeCommand.Ata:
                    DroppedFrames++;
                    break;
                case AoeCommand.MacMaskList:
                    MacMaskList(slot, header, argument);
                    break;
                case AoeCommand.ReserveRelease:
                    ReserveRelease(slot, header, argument);
                    break;
                default:
                    WriteError(slot, header, AoeError.UnrecognizedCommand);
                    break;
            }
        }

        if (!answered)
        {
            DroppedFrames++;
        }
    }

    private void QueryConfig(Slot slot, in AoeHeader header, ReadOnlySpan<byte> argument)
    {
        AoeReadStatus status = AoeConfigHeader.TryRead(argument, out AoeConfigHeader config, out ReadOnlySpan<byte> requestString);
        if (status != AoeReadStatus.Ok)
        {
            WriteError(slot, header, AoeError.BadArgument);
            return;
        }

        WriteConfigReply(slot, header, config.Command, requestString);
    }

    private void WriteConfigReply(Slot slot, in AoeHeader header, AoeConfigCommand command, ReadOnlySpan<byte> requestString)
    {
        if (!slot.Config.Apply(command, requestString, _configScratch, out int length, out AoeError error))
        {
            return; // a test that does not match: silence
        }

        var reply = new AoeConfigHeader
        {
            BufferCount = (ushort)Math.Min(_options.BufferCount, ushort.MaxValue),
            FirmwareVersion = _options.FirmwareVersion,
            SectorCount = _sectorsPerFrame,
            Version = AoeHeader.CurrentVersion,
            Command = command,
        };
        Span<byte> frame = NextSendSlot(out int index);
        int frameLength = AoeResponse.WriteConfig(frame, header.ToResponse(_link.Address, Shelf, slot.Number, error), reply, _configScratch.AsSpan(0, length));
        _send.SetLength(index, frameLength);
    }

    private void MacMaskList(Slot slot, in AoeHeader header, ReadOnlySpan<byte> argument)
    {
        if (AoeMacMaskHeader.TryRead(argument, out AoeMacMaskHeader mask, out ReadOnlySpan<byte> directives) != AoeReadStatus.Ok)
        {
            WriteError(slot, header, AoeError.BadArgument);
            return;
        }

        AoeMaskError maskError = AoeMaskError.None;
        switch (mask.Command)
        {
            case AoeMaskCommand.Read:
                break;
            case AoeMaskCommand.Edit:
                for (int i = 0; i < mask.DirectiveCount && maskError == AoeMaskError.None; i++)
                {
                    ReadOnlySpan<byte> directive = directives.Slice(i * AoeMacMaskHeader.DirectiveLength, AoeMacMaskHeader.DirectiveLength);
                    MacAddress address = MacAddress.Read(directive[2..]);
                    switch ((AoeMaskDirective)directive[1])
                    {
                        case AoeMaskDirective.None:
                            break;
                        case AoeMaskDirective.Add:
                            maskError = slot.Mask.TryAdd(address) ? AoeMaskError.None : AoeMaskError.ListFull;
                            break;
                        case AoeMaskDirective.Delete:
                            slot.Mask.Remove(address);
                            break;
                        default:
                            maskError = AoeMaskError.BadDirective;
                            break;
                    }
                }

                break;
            default:
                WriteError(slot, header, AoeError.BadArgument);
                return;
        }

        Span<byte> frame = NextSendSlot(out int index);
        header.ToResponse(_link.Address, Shelf, slot.Number).WriteTo(frame);
        Span<byte> list = frame[(AoeHeader.Length + AoeMacMaskHeader.Length)..];
        int count = slot.Mask.CopyTo(list, AoeMacMaskHeader.DirectiveLength, offset: 2);
        for (int i = 0; i < count; i++)
        {
            list[i * AoeMacMaskHeader.DirectiveLength] = 0;
            list[(i * AoeMacMaskHeader.DirectiveLength) + 1] = (byte)AoeMaskDirective.Add;
        }

        new AoeMacMaskHeader { Command = mask.Command, Error = maskError, DirectiveCount = (byte)count }.WriteTo(frame[AoeHeader.Length..]);
        _send.SetLength(index, PadTo60(frame, AoeHeader.Length + AoeMacMaskHeader.Length + (count * AoeMacMaskHeader.DirectiveLength)));
    }

    private void ReserveRelease(Slot slot, in AoeHeader header, ReadOnlySpan<byte> argument)
    {
        if (AoeReserveHeader.TryRead(argument, out AoeReserveHeader reserve, out ReadOnlySpan<byte> addresses) != AoeReadStatus.Ok)
        {
            WriteError(slot, header, AoeError.BadArgument);
            return;
        }

        switch (reserve.Command)
        {
            case AoeReserveCommand.Read:
                break;
            case AoeReserveCommand.Set:
                if (!slot.Reserve.TryReplaceAs(header.Source, addresses, out bool tooMany))
                {
                    WriteError(slot, header, tooMany ? AoeError.BadArgument : AoeError.TargetReserved);
                    return;
                }

                break;
            case AoeReserveCommand.ForceSet:
                if (!slot.Reserve.TryReplace(addresses))
                {
                    WriteError(slot, header, AoeError.BadArgument);
                    return;
                }

                break;
            default:
                WriteError(slot, header, AoeError.BadArgument);
                return;
        }

        Span<byte> frame = NextSendSlot(out int index);
        header.ToResponse(_link.Address, Shelf, slot.Number).WriteTo(frame);
        int count = slot.Reserve.CopyTo(frame[(AoeHeader.Length + AoeReserveHeader.Length)..]);
        new AoeReserveHeader { Command = reserve.Command, AddressCount = (byte)count }.WriteTo(frame[AoeHeader.Length..]);
        _send.SetLength(index, PadTo60(frame, AoeHeader.Length + AoeReserveHeader.Length + (count * MacAddress.Length)));
    }

    private void StartAta(Slot slot, in AoeHeader header, ReadOnlySpan<byte> frame)
    {
        if (AoeAtaHeader.TryRead(frame[AoeHeader.Length..], out AoeAtaHeader ata) != AoeReadStatus.Ok)
        {
            WriteError(slot, header, AoeError.BadArgument);
            return;
        }

        if (!slot.Reserve.Admits(header.Source))
        {
            WriteError(slot, header, AoeError.TargetReserved);
            return;
        }

        if (!_nexuses.TryGetValue(header.Source, out ItNexus? nexus))
        {
            if (_nexuses.Count >= _options.MaxInitiators)
            {
                DroppedFrames++;
                return;
            }

            nexus = AoeTransportIdCodec.CreateNexus(header.Source, _options.RelativeTargetPortId);
            _nexuses.Add(header.Source, nexus);
        }

        if (_freeCount == 0 && _sendingCount > 0)
        {
            Flush(); // buffers whose responses wait in the send batch come back once it is sent
        }

        if (_freeCount == 0 || slot.InFlight >= _options.BufferCount)
        {
            BufferOverruns++;
            DroppedFrames++;
            return;
        }

        Request request = _free[--_freeCount];
        _free[_freeCount] = null!;
        slot.InFlight++;
        request.Start(slot, nexus, header, ata, frame);
    }

    private void WriteError(Slot slot, in AoeHeader header, AoeError error)
    {
        Span<byte> frame = NextSendSlot(out int index);
        _send.SetLength(index, AoeResponse.WriteHeaderOnly(frame, header.ToResponse(_link.Address, Shelf, slot.Number, error)));
    }

    private static int PadTo60(Span<byte> frame, int length)
    {
        if (length >= AoeResponse.MinimumFrameLength)
        {
            return length;
        }

        frame[length..AoeResponse.MinimumFrameLength].Clear();
        return AoeResponse.MinimumFrameLength;
    }

    /// <summary>The next free frame of the send batch (sending the batch first when it is full).</summary>
    private Span<byte> NextSendSlot(out int index)
    {
        if (_send.IsFull)
        {
            Flush();
        }

        index = _send.Count++;
        return _send.Slot(index);
    }

    private void Flush()
    {
        if (_send.Count > 0)
        {
            SentFrames += _send.Count;
            _link.Send(_send);
            _send.Count = 0;
        }

        for (int i = 0; i < _sendingCount; i++)
        {
            _free[_freeCount++] = _sending[i];
            _sending[i] = null!;
        }

        _sendingCount = 0;
    }

    /// <summary>Moves the finished requests' responses into the send batch and their buffers back to the free list.</summary>
    private int DrainCompleted()
    {
        Request[] batch;
        int count;
        lock (_doneLock)
        {
            count = _doneCount;
            if (count == 0)
            {
                return 0;
            }

            batch = _done;
            _done = _draining;
            _draining = batch;
            _doneCount = 0;
        }

        for (int i = 0; i < count; i++)
        {
            Request request = batch[i];
            batch[i] = null!;
            Send(request);
        }

        return count;
    }

    /// <summary>
    /// Poller thread: a finished request's response goes into the send batch as it is, from the request's own pinned
    /// buffer (not copied); the buffer is free again once the batch has been sent.
    /// </summary>
    private void Send(Request request)
    {
        request.Slot!.InFlight--;
        request.Slot = null;
        if (request.ResponseLength == 0)
        {
            _free[_freeCount++] = request;
            return;
        }

        NextSendSlot(out int index);
        _send.SetExternal(index, request.Buffer, request.ResponseLength);
        _sending[_sendingCount++] = request;
    }

    /// <summary>
    /// A request has its response (or none). On the poller (the unit answered at once, as a file on tmpfs does) it is
    /// queued to send there and then; from any other thread it is handed over, waking the poller only if it sleeps.
    /// </summary>
    private void Completed(Request request)
    {
        if (Environment.CurrentManagedThreadId == _pollerThreadId)
        {
            Send(request);
            return;
        }

        lock (_doneLock)
        {
            _done[_doneCount++] = request;
        }

        if (Interlocked.CompareExchange(ref _pollerWaiting, 0, 1) == 1)
        {
            _link.Wake();
        }
    }

    private sealed class Slot(byte number, AtaDevice ata, AoeConfigString config, AoeMacList mask, AoeMacList reserve)
    {
        public byte Number { get; } = number;

        public AtaDevice Ata { get; } = ata;

        public AoeConfigString Config { get; } = config;

        public AoeMacList Mask { get; } = mask;

        public AoeMacList Reserve { get; } = reserve;

        /// <summary>Requests of this slot in flight (poller thread only).</summary>
        public int InFlight;
    }

    /// <summary>
    /// One ATA request in flight: its frame (the request, then the response in the same buffer: the data of a read
    /// goes where a write's data came, after the 36 octets of headers) and a pooled SCSI task.
    /// </summary>
    private sealed class Request
    {
        private readonly AoeTarget _target;
        private readonly ScsiTask _task = new();
        private readonly Action _observe;
        private ConfiguredValueTaskAwaitable<AtaCompletion>.ConfiguredValueTaskAwaiter _awaiter;
        private AoeHeader _header;
        private AoeAtaHeader _ata;
        private int _requestLength;

        public Request(AoeTarget target, int frameSize)
        {
            _target = target;
            Buffer = GC.AllocateUninitializedArray<byte>(frameSize, pinned: true);
            _observe = Observe;
        }

        public byte[] Buffer { get; }

        public Slot? Slot { get; set; }

        public int ResponseLength { get; private set; }

        public void Start(Slot slot, ItNexus nexus, in AoeHeader header, in AoeAtaHeader ata, ReadOnlySpan<byte> frame)
        {
            Slot = slot;
            _header = header;
            _ata = ata;
            _requestLength = Math.Min(frame.Length, Buffer.Length);
            frame[.._requestLength].CopyTo(Buffer);
            ValueTask<AtaCompletion> pending;
            try
            {
                pending = slot.Ata.ExecuteAsync(_task, nexus, ata, Buffer.AsMemory(AoeAtaHeader.DataOffset, _requestLength - AoeAtaHeader.DataOffset),
                    Buffer.AsMemory(AoeAtaHeader.DataOffset), _target._stopping.Token);
            }
            catch (Exception)
            {
                Finish(Aborted());
                return;
            }

            _awaiter = pending.ConfigureAwait(false).GetAwaiter();
            if (_awaiter.IsCompleted)
            {
                Observe();
            }
            else
            {
                _awaiter.UnsafeOnCompleted(_observe);
            }
        }

        private void Observe()
        {
            AtaCompletion completion;
            try
            {
                completion = _awaiter.GetResult();
            }
            catch (OperationCanceledException)
            {
                completion = AtaCompletion.NoResponse;
            }
            catch (Exception)
            {
                completion = Aborted();
            }

            _awaiter = default;
            Finish(completion);
        }

        private AtaCompletion Aborted() =>
            new(AoeError.None, _ata with { ErrorFeature = (byte)AtaError.Abort, CommandStatus = (byte)(AtaStatus.DeviceReady | AtaStatus.Error) }, 0);

        private void Finish(AtaCompletion completion)
        {
            _task.Reset();
            Slot slot = Slot!;
            AoeHeader reply = _header.ToResponse(_target._link.Address, _target.Shelf, slot.Number, completion.AoeError);
            ResponseLength = completion.Silent ? 0
                : completion.AoeError != AoeError.None ? AoeResponse.WriteHeaderOnly(Buffer, reply)
                : AoeResponse.WriteAta(Buffer, reply, completion.Registers, completion.DataLength);
            _target.Completed(this);
        }
    }
}
