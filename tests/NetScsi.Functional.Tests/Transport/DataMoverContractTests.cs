using System.Buffers;
using System.Net;
using System.Threading.Channels;
using NetScsi.Iscsi.Pdus;
using NetScsi.Transport;
using NetScsi.Transport.InMemory;
using NetScsi.Transport.Tcp;

namespace NetScsi.Functional.Tests.Transport;

/// <summary>
/// The contract every data mover keeps (RFC 5047), run against each one: control PDUs in order and byte for byte,
/// large segments once enabled, Put_Data and Get_Data placing every byte where it belongs, abort against graceful
/// close, cancellation, back-pressure, buffers from the mover's pool. A new transport adds a subclass.
/// </summary>
public abstract class DataMoverContractTests
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>A connected initiator and target mover, and what tears their transport down.</summary>
    protected abstract Task<(IInitiatorDataMover Initiator, ITargetDataMover Target, IAsyncDisposable Owner)> ConnectAsync();

    private static DataMoverParameters FullFeature(int maxSegment, bool initialR2T = true, bool immediateData = false) => new()
    {
        MaxRecvDataSegmentLength = maxSegment,
        PeerMaxRecvDataSegmentLength = maxSegment,
        MaxBurstLength = 256 * 1024,
        FirstBurstLength = 64 * 1024,
        InitialR2T = initialR2T,
        ImmediateData = immediateData,
        MaxOutstandingR2T = 4,
    };

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] NopOut(uint itt, int dataLength)
    {
        var header = new byte[Bhs.Length];
        new NopOutPdu { Immediate = true, InitiatorTaskTag = itt, TargetTransferTag = Bhs.ReservedTag, DataSegmentLength = dataLength }.WriteTo(header);
        return header;
    }

    [Fact]
    public async Task ControlPdus_ArriveInOrder_ByteForByte_FromTheFirstPdu()
    {
        var (initiator, target, owner) = await ConnectAsync();
        await using (owner)
        {
            var received = new TargetRecorder();
            Task<DataMoverReceiveEnd> run = target.RunAsync(received, CancellationToken.None);
            var sent = new List<byte[]>();
            for (int i = 0; i < 40; i++)
            {
                // Before Enable_Datamover: login's 8192-byte limit.
                byte[] data = Pattern(i * 197 % 8192, seed: i);
                sent.Add(data);
                initiator.SendControl(NopOut((uint)i, data.Length), data);
                if (i % 7 == 0)
                {
                    Assert.True(await initiator.FlushAsync());
                }
            }
            Assert.True(await initiator.FlushAsync());

            for (int i = 0; i < sent.Count; i++)
            {
                var (header, data) = await received.Control.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
                Assert.Equal((uint)i, Bhs.GetInitiatorTaskTag(header));
                Assert.Equal(sent[i], data);
            }
            target.Terminate();
            await run.WaitAsync(Timeout);
        }
    }

    [Fact]
    public async Task AfterEnableDatamover_LargeSegmentsAndDigests_Arrive()
    {
        var (initiator, target, owner) = await ConnectAsync();
        await using (owner)
        {
            var p = FullFeature(1024 * 1024) with { HeaderDigest = true, DataDigest = true };
            initiator.EnableDatamover(p, []);
            target.EnableDatamover(p, []);
            var received = new TargetRecorder();
            Task<DataMoverReceiveEnd> run = target.RunAsync(received, CancellationToken.None);
            byte[] data = Pattern(1024 * 1024 - 3, seed: 9);
            initiator.SendControl(NopOut(7, data.Length), data);
            Assert.True(await initiator.FlushAsync());

            var (header, got) = await received.Control.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(7u, Bhs.GetInitiatorTaskTag(header));
            Assert.Equal(data, got);
            target.Terminate();
            await run.WaitAsync(Timeout);
        }
    }

    [Theory]
    [InlineData(4096, 1)]
    [InlineData(65536, 300 * 1024)]
    [InlineData(8192, 1024 * 1024)]
    public async Task PutData_EveryByteLandsAtItsOffset_WithStatusOnTheLastPdu(int maxSegment, int length)
    {
        var (initiator, target, owner) = await ConnectAsync();
        await using (owner)
        {
            var p = FullFeature(maxSegment);
            initiator.EnableDatamover(p, []);
            target.EnableDatamover(p, []);
            var read = new TestTask { InitiatorTaskTag = 0x11, DataBuffer = new byte[length] };
            var received = new InitiatorRecorder(read);
            Task<DataMoverReceiveEnd> run = initiator.RunAsync(received, CancellationToken.None);

            byte[] data = Pattern(length, seed: length);
            var sending = new TestTask { InitiatorTaskTag = 0x11 };
            await target.PutDataAsync(sending, DataInSource.FromMemory(data), new TargetSequenceNumbers(5, 1, 9), new DataInStatus(0, false, false, 0));
            Assert.True(await target.FlushAsync());

            DataInPdu last = await received.Status.Task.WaitAsync(Timeout);
            Assert.Equal(data, read.DataBuffer.ToArray());
            Assert.Equal(5u, last.StatSN);
            Assert.True(last.Final);
            // DataSN counts up from 0 without a gap; each segment within the receiver's limit.
            Assert.Equal(Enumerable.Range(0, received.DataIn.Count).Select(i => (uint)i), received.DataIn.Select(d => d.DataSN));
            Assert.All(received.DataIn, d => Assert.InRange(d.DataSegmentLength, 1, maxSegment));
            Assert.Equal(length, received.DataIn.Sum(d => d.DataSegmentLength));
            initiator.Terminate();
            await run.WaitAsync(Timeout);
        }
    }

    [Theory]
    [InlineData(true, false, 512 * 1024)]   // every byte solicited, several R2Ts outstanding
    [InlineData(false, true, 200 * 1024)]   // immediate + unsolicited burst, then R2Ts for the rest
    [InlineData(false, true, 32 * 1024)]    // all of it immediate and unsolicited
    public async Task WriteData_ImmediateUnsolicitedAndSolicited_AllLandInTheTargetsBuffer(bool initialR2T, bool immediateData, int length)
    {
        var (initiator, target, owner) = await ConnectAsync();
        await using (owner)
        {
            var p = FullFeature(64 * 1024, initialR2T, immediateData);
            initiator.EnableDatamover(p, []);
            target.EnableDatamover(p, []);
            byte[] data = Pattern(length, seed: 3);
            var writing = new TestTask { InitiatorTaskTag = 0x22, TransferId = 1, WriteData = data };
            var receiving = new TestTask { InitiatorTaskTag = 0x22, DataBuffer = new byte[length] };
            var atInitiator = new InitiatorRecorder(writing);
            var atTarget = new TargetRecorder(receiving, target);
            Task<DataMoverReceiveEnd> initiatorRun = initiator.RunAsync(atInitiator, CancellationToken.None);
            Task<DataMoverReceiveEnd> targetRun = target.RunAsync(atTarget, CancellationToken.None);

            var header = new byte[Bhs.Length];
            new ScsiCommandPdu { Write = true, InitiatorTaskTag = 0x22, ExpectedDataTransferLength = (uint)length, CmdSN = 1 }.WriteTo(header);
            initiator.SendCommand(header, writing, expStatSN: 1);
            Assert.True(await initiator.FlushAsync());

            // The target's engine: the command with its immediate data, then Get_Data for what is solicited.
            var (command, immediate) = await atTarget.Control.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(IscsiOpcode.ScsiCommand, Bhs.GetOpcode(command));
            var pdu = ScsiCommandPdu.Parse(command);
            int unsolicitedEnd = !initialR2T && !pdu.Final ? Math.Min(p.FirstBurstLength, length) : immediate.Length;
            DataOutStart start;
            lock (atTarget.SendSide)
            {
                start = target.BeginDataOut(receiving, new ReadOnlySequence<byte>(immediate), unsolicitedEnd);
                if (start == DataOutStart.NeedsGetData)
                {
                    target.GetData(receiving, new TargetSequenceNumbers(1, 2, 9));
                }
            }
            if (start == DataOutStart.NeedsGetData)
            {
                Assert.True(await target.FlushAsync());
            }

            // The initiator's engine: answer every R2T the mover queued.
            if (start != DataOutStart.Complete)
            {
                _ = atInitiator.SendSolicitedAsync(initiator);
                await atTarget.Complete.Task.WaitAsync(Timeout);
            }
            Assert.Equal(data, receiving.DataBuffer.ToArray());
            Assert.False(receiving.WaitingForData);
            initiator.Terminate();
            target.Terminate();
            await Task.WhenAll(initiatorRun, targetRun).WaitAsync(Timeout);
        }
    }

    [Fact]
    public async Task GracefulClose_DeliversWhatWasFlushed_ThenThePeerSeesTheEnd()
    {
        var (initiator, target, owner) = await ConnectAsync();
        await using (owner)
        {
            var received = new TargetRecorder();
            Task<DataMoverReceiveEnd> run = target.RunAsync(received, CancellationToken.None);
            byte[] data = Pattern(4000, seed: 1);
            initiator.SendControl(NopOut(1, data.Length), data);
            Assert.True(await initiator.FlushAsync());
            await initiator.DisposeAsync();

            var (_, got) = await received.Control.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(data, got);
            Assert.Equal(DataMoverReceiveEnd.PeerClosed, await run.WaitAsync(Timeout));
        }
    }

    [Fact]
    public async Task Terminate_EndsBothReceiveSides_Promptly()
    {
        var (initiator, target, owner) = await ConnectAsync();
        await using (owner)
        {
            Task<DataMoverReceiveEnd> targetRun = target.RunAsync(new TargetRecorder(), CancellationToken.None);
            Task<DataMoverReceiveEnd> initiatorRun = initiator.RunAsync(new InitiatorRecorder(null), CancellationToken.None);
            target.Terminate();

            Assert.Equal(DataMoverReceiveEnd.Canceled, await targetRun.WaitAsync(Timeout));
            // The peer sees the end of the stream or the connection fail: either way its receive side ends.
            try
            {
                await initiatorRun.WaitAsync(Timeout);
            }
            catch (IOException)
            {
            }
            Assert.True(initiatorRun.IsCompleted);
        }
    }

    [Fact]
    public async Task Cancellation_EndsAWaitingReceiveSide()
    {
        var (_, target, owner) = await ConnectAsync();
        await using (owner)
        {
            using var cts = new CancellationTokenSource();
            Task<DataMoverReceiveEnd> run = target.RunAsync(new TargetRecorder(), cts.Token);
            await Task.Delay(50);
            Assert.False(run.IsCompleted);
            cts.Cancel();
            Assert.Equal(DataMoverReceiveEnd.Canceled, await run.WaitAsync(Timeout));
        }
    }

    [Fact]
    public async Task BackPressure_AReceiverThatStops_HoldsTheSender_ThenEverythingArrivesInOrder()
    {
        var (initiator, target, owner) = await ConnectAsync();
        await using (owner)
        {
            var p = FullFeature(1024 * 1024);
            initiator.EnableDatamover(p, []);
            target.EnableDatamover(p, []);
            var received = new TargetRecorder();
            received.Gate.Reset();
            Task<DataMoverReceiveEnd> run = target.RunAsync(received, CancellationToken.None);
            byte[] data = Pattern(1024 * 1024, seed: 2);

            int sent = 0;
            Task<bool>? pending = null;
            while (sent < 256)
            {
                initiator.SendControl(NopOut((uint)sent++, data.Length), data);
                ValueTask<bool> flush = initiator.FlushAsync();
                if (!flush.IsCompleted)
                {
                    pending = flush.AsTask();
                    if (await Task.WhenAny(pending, Task.Delay(300)) != pending)
                    {
                        break; // held: the receiver stopped taking
                    }
                }
            }
            Assert.True(sent < 256, "a sender facing a receiver that takes nothing must be held back, not buffer without bound");

            received.Gate.Set();
            if (pending is not null)
            {
                Assert.True(await pending.WaitAsync(Timeout));
            }
            for (int i = 0; i < sent; i++)
            {
                var (header, got) = await received.Control.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
                Assert.Equal((uint)i, Bhs.GetInitiatorTaskTag(header));
                Assert.True(got.AsSpan().SequenceEqual(data));
            }
            target.Terminate();
            await run.WaitAsync(Timeout);
        }
    }

    [Fact]
    public async Task BufferPool_RentsAtLeastWhatIsAsked_AndTakesItBack()
    {
        var (initiator, target, owner) = await ConnectAsync();
        await using (owner)
        {
            foreach (IDataMoverConnection mover in (IDataMoverConnection[])[initiator, target])
            {
                byte[] buffer = mover.BufferPool.Rent(300 * 1024);
                Assert.True(buffer.Length >= 300 * 1024);
                mover.BufferPool.Return(buffer);
                Assert.True(mover.Capabilities.MaxDataSegmentLength >= DataMoverParameters.LoginMaxRecvDataSegmentLength);
            }
        }
    }

    protected sealed class TestTask : DataTask;

    /// <summary>A target engine that records control PDUs (copied) and plays Data_Completion_Notify.</summary>
    private sealed class TargetRecorder(TestTask? task = null, ITargetDataMover? mover = null) : ITargetDataMoverHandler
    {
        public Channel<(byte[] Header, byte[] Data)> Control { get; } = Channel.CreateUnbounded<(byte[], byte[])>();

        public TaskCompletionSource Complete { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Open unless a test closes it: a closed gate stops the receive side taking PDUs.</summary>
        public ManualResetEventSlim Gate { get; } = new(true);

        public object SendSide { get; } = new();

        public ValueTask<bool> OnControlAsync(PduFrame frame)
        {
            Gate.Wait(Timeout);
            Control.Writer.TryWrite((((ReadOnlySpan<byte>)frame.Header).ToArray(), BuffersExtensions.ToArray(frame.Data)));
            return new ValueTask<bool>(true);
        }

        public ValueTask<bool> OnFramingErrorAsync(PduReadResult error, PduFrame frame) => throw new InvalidDataException("framing error: " + error);

        public DataTask? FindDataOutTask(uint initiatorTaskTag) => task is not null && task.InitiatorTaskTag == initiatorTaskTag ? task : null;

        public void OnDataOutComplete(DataTask completed) => Complete.TrySetResult();

        public async ValueTask OnMoreDataWantedAsync(DataTask wanted)
        {
            lock (SendSide)
            {
                mover!.GetData(wanted, new TargetSequenceNumbers(1, 2, 9));
            }
            await mover!.FlushAsync();
        }

        public ValueTask<bool> OnDataOutRejectedAsync(DataTask? rejected, PduFrame frame, DataOutError error) =>
            throw new InvalidDataException("Data-Out rejected: " + error);
    }

    /// <summary>An initiator engine that places Data-In into one task, records its headers, and answers R2Ts.</summary>
    private sealed class InitiatorRecorder(TestTask? task) : IInitiatorDataMoverHandler
    {
        private readonly SemaphoreSlim _solicited = new(0);

        public List<DataInPdu> DataIn { get; } = [];

        public TaskCompletionSource<DataInPdu> Status { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool ExpectsLoneAnswer => false;

        public ValueTask<bool> OnControlAsync(PduFrame frame) => new(true);

        public ValueTask<bool> OnFramingErrorAsync(PduReadResult error, PduFrame frame) => throw new InvalidDataException("framing error: " + error);

        public DataTask? OnDataIn(in DataInPdu pdu) => task is not null && task.InitiatorTaskTag == pdu.InitiatorTaskTag ? task : null;

        public void OnDataInPlaced(DataTask placed, in DataInPdu pdu)
        {
            DataIn.Add(pdu);
            if (pdu.HasStatus)
            {
                Status.TrySetResult(pdu);
            }
        }

        public DataTask? OnR2T(in ReadyToTransferPdu pdu) => task is not null && task.InitiatorTaskTag == pdu.InitiatorTaskTag ? task : null;

        public void OnSolicitedDataQueued() => _solicited.Release();

        /// <summary>The send loop of this engine: sends each R2T's data as it is queued.</summary>
        public async Task SendSolicitedAsync(IInitiatorDataMover mover)
        {
            while (await _solicited.WaitAsync(Timeout))
            {
                while (mover.HasSolicitedData)
                {
                    mover.SendSolicitedData(expStatSN: 2);
                }
                if (!await mover.FlushAsync())
                {
                    return;
                }
            }
        }

        public void OnReceiveIdle(bool moreReady)
        {
        }

        public void OnReceiveBatchStart()
        {
        }

        public void OnReceiveBatchEnd()
        {
        }
    }
}

/// <summary>The contract on the in-memory mover.</summary>
public sealed class InMemoryDataMoverContractTests : DataMoverContractTests
{
    protected override async Task<(IInitiatorDataMover Initiator, ITargetDataMover Target, IAsyncDisposable Owner)> ConnectAsync()
    {
        var mover = new InMemoryDataMover();
        IInitiatorDataMover initiator = await mover.ConnectAsync(mover.Portal);
        ITargetDataMover target = (await mover.AcceptAsync())!;
        return (initiator, target, mover);
    }
}

/// <summary>The contract on the TCP mover over loopback.</summary>
public sealed class TcpDataMoverContractTests : DataMoverContractTests
{
    protected override async Task<(IInitiatorDataMover Initiator, ITargetDataMover Target, IAsyncDisposable Owner)> ConnectAsync()
    {
        var transport = new TcpTransport();
        IDataMoverListener listener = await transport.ListenAsync(new TcpPortal(new IPEndPoint(IPAddress.Loopback, 0)));
        ValueTask<ITargetDataMover?> accept = listener.AcceptAsync();
        IInitiatorDataMover initiator = await transport.ConnectAsync(listener.Portal).AsTask().WaitAsync(Timeout);
        ITargetDataMover target = (await accept.AsTask().WaitAsync(Timeout))!;
        return (initiator, target, new Closer(listener, initiator, target));
    }

    private sealed class Closer(IDataMoverListener listener, IInitiatorDataMover initiator, ITargetDataMover target) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            initiator.Terminate();
            target.Terminate();
            await initiator.DisposeAsync();
            await target.DisposeAsync();
            await listener.DisposeAsync();
        }
    }
}
