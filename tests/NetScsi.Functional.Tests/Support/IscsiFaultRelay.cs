using System.Net;
using System.Net.Sockets;
using System.Text;
using NetScsi.Iscsi.Pdus;
using NetScsi.Transport.Tcp;

namespace NetScsi.Functional.Tests.Support;

/// <summary>Which way a PDU crosses the relay.</summary>
internal enum RelayDirection
{
    /// <summary>Initiator to target.</summary>
    ToTarget,

    /// <summary>Target to initiator.</summary>
    ToInitiator,
}

/// <summary>What the relay does to the PDU a <see cref="PduFault"/> matches.</summary>
internal enum FaultAction
{
    /// <summary>Flips every bit of one byte of the PDU (in its BHS or its data segment), then forwards it.</summary>
    CorruptByte,

    /// <summary>Closes both sides of the connection instead of forwarding the PDU.</summary>
    Drop,

    /// <summary>Stops forwarding in that direction (this PDU and all after it) until <see cref="IscsiFaultRelay.ReleaseStalls"/>.</summary>
    Stall,

    /// <summary>Holds the PDU back and forwards it after <see cref="PduFault.HoldCount"/> later PDUs in the same direction.</summary>
    HoldPast,
}

/// <summary>Where a <see cref="FaultAction.CorruptByte"/> offset counts from.</summary>
internal enum PduRegion
{
    Header,
    Data,
}

/// <summary>
/// One deterministic fault: the <see cref="Index"/>-th PDU (from 0) going <see cref="Direction"/> on the
/// <see cref="Connection"/>-th accepted connection (from 0) whose opcode is <see cref="Opcode"/> (any when null).
/// Each fault fires at most once.
/// </summary>
internal sealed record PduFault(RelayDirection Direction, IscsiOpcode? Opcode, int Index, FaultAction Action)
{
    public int Connection { get; init; }

    public PduRegion Region { get; init; } = PduRegion.Data;

    /// <summary>Byte of the region that <see cref="FaultAction.CorruptByte"/> flips.</summary>
    public int Offset { get; init; }

    /// <summary>For <see cref="FaultAction.HoldPast"/>: how many later PDUs overtake the held one.</summary>
    public int HoldCount { get; init; } = 1;
}

/// <summary>
/// A TCP relay between an initiator and a target that frames the iSCSI stream both ways (BHS, AHS, header digest,
/// padded data segment, data digest; RFC 7143 §11.2) and applies <see cref="PduFault"/>s to chosen PDUs. It learns
/// whether digests are in use from the target's login answers (HeaderDigest/DataDigest), which take effect with the
/// first PDU after the final login response (§13.1). Everything it did is in <see cref="Log"/>.
/// </summary>
internal sealed class IscsiFaultRelay : IAsyncDisposable
{
    private readonly System.Net.Sockets.TcpListener _listener;
    private readonly IPEndPoint _upstream;
    private readonly List<PduFault> _faults;
    private readonly HashSet<PduFault> _fired = new();
    private readonly Lock _lock = new();
    private readonly List<string> _log = new();
    private readonly List<Task> _connections = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<(int Connection, RelayDirection Direction, IscsiOpcode Opcode), int> _counts = new();
    private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _acceptLoop;
    private int _accepted;

    private IscsiFaultRelay(IPEndPoint upstream, IEnumerable<PduFault> faults)
    {
        _upstream = upstream;
        _faults = faults.ToList();
        _listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Portal = new TcpPortal((IPEndPoint)_listener.LocalEndpoint);
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Where initiators connect.</summary>
    public TcpPortal Portal { get; }

    /// <summary>Connections accepted so far.</summary>
    public int AcceptedConnections => Volatile.Read(ref _accepted);

    public static IscsiFaultRelay Start(IPEndPoint upstream, params PduFault[] faults) => new(upstream, faults);

    /// <summary>What the relay did, in order ("conn 0 ToInitiator DataIn #2: corrupted data byte 5").</summary>
    public IReadOnlyList<string> Log
    {
        get
        {
            lock (_lock)
            {
                return _log.ToArray();
            }
        }
    }

    /// <summary>Whether <paramref name="fault"/> has fired.</summary>
    public bool Fired(PduFault fault)
    {
        lock (_lock)
        {
            return _fired.Contains(fault);
        }
    }

    /// <summary>PDUs with <paramref name="opcode"/> forwarded (or faulted) going <paramref name="direction"/> on connection <paramref name="connection"/>.</summary>
    public int Count(int connection, RelayDirection direction, IscsiOpcode opcode)
    {
        lock (_lock)
        {
            return _counts.GetValueOrDefault((connection, direction, opcode));
        }
    }

    /// <summary>
    /// Adds a fault whose <see cref="PduFault.Index"/> counts from now: the Index-th matching PDU after those already
    /// seen. Returns the fault as armed (pass it to <see cref="Fired"/>).
    /// </summary>
    public PduFault Arm(PduFault fault)
    {
        lock (_lock)
        {
            int seen = _counts.GetValueOrDefault((fault.Connection, fault.Direction, fault.Opcode ?? AnyOpcode));
            PduFault armed = fault with { Index = seen + fault.Index };
            _faults.Add(armed);
            return armed;
        }
    }

    /// <summary>Lets every stalled direction go on.</summary>
    public void ReleaseStalls()
    {
        TaskCompletionSource release;
        lock (_lock)
        {
            release = _release;
            _release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        release.TrySetResult();
    }

    private void Record(string entry)
    {
        lock (_lock)
        {
            _log.Add(entry);
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket initiator;
            try
            {
                initiator = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            int index = Interlocked.Increment(ref _accepted) - 1;
            lock (_lock)
            {
                _connections.Add(Task.Run(() => RelayConnectionAsync(index, initiator)));
            }
        }
    }

    private async Task RelayConnectionAsync(int index, Socket initiatorSocket)
    {
        using Socket initiator = initiatorSocket;
        using var target = new Socket(_upstream.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        initiator.NoDelay = true;
        target.NoDelay = true;
        try
        {
            await target.ConnectAsync(_upstream, _stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            return;
        }

        var state = new ConnectionState(index, initiator, target);
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        Task up = PumpAsync(state, RelayDirection.ToTarget, ended.Token);
        Task down = PumpAsync(state, RelayDirection.ToInitiator, ended.Token);
        await Task.WhenAny(up, down);
        state.Close();
        ended.Cancel();
        try
        {
            await Task.WhenAll(up, down);
        }
        catch (Exception)
        {
            // One side ending takes the other with it; how it ended is not the relay's business.
        }
    }

    /// <summary>Reads PDUs from one side, applies the faults that match, forwards them to the other side.</summary>
    private async Task PumpAsync(ConnectionState state, RelayDirection direction, CancellationToken cancellationToken)
    {
        Socket from = direction == RelayDirection.ToTarget ? state.Initiator : state.Target;
        Socket to = direction == RelayDirection.ToTarget ? state.Target : state.Initiator;
        var held = new List<(byte[] Pdu, int Remaining)>();
        while (true)
        {
            byte[]? pdu = await ReadPduAsync(from, state, cancellationToken);
            if (pdu is null)
            {
                return;
            }

            IscsiOpcode opcode = Bhs.GetOpcode(pdu);
            int ordinal;
            int ordinalAny;
            lock (_lock)
            {
                var key = (state.Index, direction, opcode);
                ordinal = _counts.GetValueOrDefault(key);
                _counts[key] = ordinal + 1;
                var anyKey = (state.Index, direction, AnyOpcode);
                ordinalAny = _counts.GetValueOrDefault(anyKey);
                _counts[anyKey] = ordinalAny + 1;
            }

            if (direction == RelayDirection.ToInitiator && opcode == IscsiOpcode.LoginResponse)
            {
                state.LearnFromLoginResponse(pdu);
            }

            string name = $"conn {state.Index} {direction} {opcode} #{ordinal}";
            PduFault? fault = Match(state.Index, direction, opcode, ordinal, ordinalAny);
            bool hold = false;
            switch (fault?.Action)
            {
                case FaultAction.CorruptByte:
                    int at = fault.Region == PduRegion.Header ? fault.Offset : state.DataOffset(pdu) + fault.Offset;
                    pdu[at] ^= 0xFF;
                    Record($"{name}: corrupted {fault.Region.ToString().ToLowerInvariant()} byte {fault.Offset}");
                    break;
                case FaultAction.Drop:
                    Record($"{name}: dropped the connection");
                    state.Close();
                    return;
                case FaultAction.Stall:
                    Record($"{name}: stalled");
                    Task release;
                    lock (_lock)
                    {
                        release = _release.Task;
                    }
                    await release.WaitAsync(cancellationToken);
                    Record($"{name}: released");
                    break;
                case FaultAction.HoldPast:
                    Record($"{name}: held past {fault.HoldCount} PDU(s)");
                    held.Add((pdu, fault.HoldCount));
                    hold = true;
                    break;
            }

            if (!hold)
            {
                await to.SendAsync(pdu, SocketFlags.None, cancellationToken);
                for (int i = 0; i < held.Count; i++)
                {
                    var (heldPdu, remaining) = held[i];
                    if (remaining > 1)
                    {
                        held[i] = (heldPdu, remaining - 1);
                        continue;
                    }
                    held.RemoveAt(i--);
                    await to.SendAsync(heldPdu, SocketFlags.None, cancellationToken);
                }
            }
        }
    }

    /// <summary>Counts every PDU of a direction, whatever its opcode (faults without an opcode count these).</summary>
    private const IscsiOpcode AnyOpcode = (IscsiOpcode)0xFF;

    private PduFault? Match(int connection, RelayDirection direction, IscsiOpcode opcode, int ordinal, int ordinalAny)
    {
        lock (_lock)
        {
            foreach (PduFault fault in _faults)
            {
                bool matches = fault.Opcode is null ? fault.Index == ordinalAny : fault.Opcode == opcode && fault.Index == ordinal;
                if (fault.Connection == connection && fault.Direction == direction && matches && _fired.Add(fault))
                {
                    return fault;
                }
            }
        }
        return null;
    }

    /// <summary>One whole PDU as it was on the wire, or null at the end of the stream.</summary>
    private static async Task<byte[]?> ReadPduAsync(Socket from, ConnectionState state, CancellationToken cancellationToken)
    {
        var bhs = new byte[Bhs.Length];
        if (!await ReadExactlyAsync(from, bhs, cancellationToken))
        {
            return null;
        }

        // Digests start with the first PDU after the final login response; both directions see that PDU after it.
        bool fullFeature = state.FullFeature;
        int headerDigest = fullFeature && state.HeaderDigest ? Crc32CLength : 0;
        int dataLength = Bhs.GetDataSegmentLength(bhs);
        int dataDigest = fullFeature && state.DataDigest && dataLength > 0 ? Crc32CLength : 0;
        int rest = Bhs.GetTotalAhsLength(bhs) + headerDigest + Bhs.PaddedLength(dataLength) + dataDigest;
        var pdu = new byte[Bhs.Length + rest];
        bhs.CopyTo(pdu, 0);
        if (!await ReadExactlyAsync(from, pdu.AsMemory(Bhs.Length), cancellationToken))
        {
            return null;
        }
        return pdu;
    }

    private const int Crc32CLength = 4;

    private static async Task<bool> ReadExactlyAsync(Socket from, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            int n;
            try
            {
                n = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return false;
            }
            if (n == 0)
            {
                return false;
            }
            buffer = buffer[n..];
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        ReleaseStalls();
        await _acceptLoop;
        Task[] connections;
        lock (_lock)
        {
            connections = _connections.ToArray();
        }
        await Task.WhenAll(connections);
        _stop.Dispose();
    }

    /// <summary>The digests one connection negotiated, and whether its login is over.</summary>
    private sealed class ConnectionState(int index, Socket initiator, Socket target)
    {
        private int _closed;

        public int Index { get; } = index;

        public Socket Initiator { get; } = initiator;

        public Socket Target { get; } = target;

        public volatile bool FullFeature;
        public volatile bool HeaderDigest;
        public volatile bool DataDigest;

        /// <summary>Where the data segment of <paramref name="pdu"/> starts (after BHS, AHS and header digest).</summary>
        public int DataOffset(byte[] pdu) => Bhs.Length + Bhs.GetTotalAhsLength(pdu) + (FullFeature && HeaderDigest ? Crc32CLength : 0);

        /// <summary>
        /// A login response: its text answers HeaderDigest and DataDigest (the target's answer is the outcome,
        /// RFC 7143 §6.2); a final success with NSG=FullFeaturePhase (T=1, NSG=3, status 0) ends the login.
        /// </summary>
        public void LearnFromLoginResponse(byte[] pdu)
        {
            int length = Bhs.GetDataSegmentLength(pdu);
            string text = Encoding.ASCII.GetString(pdu, Bhs.Length + Bhs.GetTotalAhsLength(pdu), length);
            foreach (string pair in text.Split('\0', StringSplitOptions.RemoveEmptyEntries))
            {
                if (pair.StartsWith("HeaderDigest=", StringComparison.Ordinal))
                {
                    HeaderDigest = pair.EndsWith("=CRC32C", StringComparison.Ordinal);
                }
                else if (pair.StartsWith("DataDigest=", StringComparison.Ordinal))
                {
                    DataDigest = pair.EndsWith("=CRC32C", StringComparison.Ordinal);
                }
            }

            bool transit = (pdu[1] & 0x80) != 0;
            int nextStage = pdu[1] & 0x03;
            if (transit && nextStage == 3 && pdu[36] == 0)
            {
                FullFeature = true;
            }
        }

        public void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return;
            }
            foreach (Socket socket in (Socket[])[Initiator, Target])
            {
                try
                {
                    socket.Shutdown(SocketShutdown.Both);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                }
                socket.Close();
            }
        }
    }
}
