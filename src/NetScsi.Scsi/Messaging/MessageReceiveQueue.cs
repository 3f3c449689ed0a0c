using System.Buffers;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace NetScsi.Scsi.Messaging;

/// <summary>
/// A bounded receive queue between a communications device logical unit and whoever reads its messages (the TUN
/// writer of IP over SCSI): like a NIC's receive ring it holds at most <see cref="MaxMessages"/> messages and
/// <see cref="MaxBytes"/> bytes, and refuses the rest (<see cref="TryDeliver"/> returns false), so a flood costs
/// bounded memory. Messages are copied into pooled buffers on delivery and out into the reader's buffer on receive.
/// Many writers, one reader.
/// </summary>
public sealed class MessageReceiveQueue : IMessageSink
{
    private readonly Channel<Entry> _channel;
    private readonly ushort[] _streams;
    private long _bytes;

    /// <param name="streams">The STREAM SELECTION values taken (e.g. 0800h IPv4, 86DDh IPv6).</param>
    /// <param name="maxMessages">Most messages held.</param>
    /// <param name="maxBytes">Most message bytes held.</param>
    public MessageReceiveQueue(IEnumerable<ushort> streams, int maxMessages, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(streams);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessages);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        _streams = [.. streams];
        MaxMessages = maxMessages;
        MaxBytes = maxBytes;
        _channel = Channel.CreateBounded<Entry>(new BoundedChannelOptions(maxMessages)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    /// <summary>Most messages held.</summary>
    public int MaxMessages { get; }

    /// <summary>Most message bytes held.</summary>
    public long MaxBytes { get; }

    /// <summary>Messages held now.</summary>
    public int Count => _channel.Reader.Count;

    /// <summary>Message bytes held now.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <inheritdoc/>
    public bool AcceptsStream(ushort streamSelection) => Array.IndexOf(_streams, streamSelection) >= 0;

    /// <inheritdoc/>
    public bool TryDeliver(ushort streamSelection, ReadOnlySpan<byte> message)
    {
        if (Interlocked.Add(ref _bytes, message.Length) > MaxBytes)
        {
            Interlocked.Add(ref _bytes, -message.Length);
            return false;
        }
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, message.Length));
        message.CopyTo(buffer);
        if (_channel.Writer.TryWrite(new Entry(streamSelection, buffer, message.Length)))
        {
            return true;
        }
        ArrayPool<byte>.Shared.Return(buffer);
        Interlocked.Add(ref _bytes, -message.Length);
        return false;
    }

    /// <summary>
    /// Takes the oldest message into <paramref name="destination"/> if there is one. Throws
    /// <see cref="ArgumentException"/> (leaving the message queued) when it does not fit.
    /// </summary>
    public bool TryReceive(Span<byte> destination, out MessageInfo message)
    {
        message = default;
        if (!_channel.Reader.TryPeek(out Entry next))
        {
            return false;
        }
        if (next.Length > destination.Length)
        {
            throw new ArgumentException($"The next message is {next.Length} bytes; the buffer holds {destination.Length}.", nameof(destination));
        }
        if (!_channel.Reader.TryRead(out Entry entry))
        {
            return false;
        }
        entry.Buffer.AsSpan(0, entry.Length).CopyTo(destination);
        ArrayPool<byte>.Shared.Return(entry.Buffer);
        Interlocked.Add(ref _bytes, -entry.Length);
        message = new MessageInfo(entry.StreamSelection, entry.Length);
        return true;
    }

    /// <summary>
    /// Waits for the next message and takes it into <paramref name="destination"/>. Throws
    /// <see cref="ChannelClosedException"/> once the queue is <see cref="Close">closed</see> and empty.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<MessageInfo> ReceiveAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (TryReceive(destination.Span, out MessageInfo message))
            {
                return message;
            }
            if (!await _channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new ChannelClosedException();
            }
        }
    }

    /// <summary>Refuses further messages; the reader still takes those already queued.</summary>
    public void Close() => _channel.Writer.TryComplete();

    private readonly record struct Entry(ushort StreamSelection, byte[] Buffer, int Length);
}
