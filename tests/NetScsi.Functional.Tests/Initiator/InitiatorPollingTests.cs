using System.IO.Pipelines;
using System.Net;
using NetScsi.Iscsi.Initiator;
using NetScsi.Transport;

namespace NetScsi.Functional.Tests.Initiator;

/// <summary>
/// <see cref="IscsiSessionOptions.ReceivePollTime"/>: the session asks a transport that can poll to do so
/// before it waits for the answer to a lone command, and never when told not to.
/// </summary>
public sealed class InitiatorPollingTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task LoneCommands_AskThePollingTransportToPoll_ForTheConfiguredTime()
    {
        List<TimeSpan> polls = await ReadOneAtATimeAsync(_ => { });
        Assert.NotEmpty(polls);
        Assert.All(polls, duration => Assert.Equal(TimeSpan.FromMicroseconds(50), duration));
    }

    [Fact]
    public async Task ReceivePollTimeZero_NeverPolls()
    {
        List<TimeSpan> polls = await ReadOneAtATimeAsync(o => o.ReceivePollTime = TimeSpan.Zero);
        Assert.Empty(polls);
    }

    /// <summary>50 reads, one at a time, through a mover that records what it is asked to poll.</summary>
    private static async Task<List<TimeSpan>> ReadOneAtATimeAsync(Action<IscsiSessionOptions> configure)
    {
        await using var target = await InitiatorTarget.StartAsync();
        var connector = new RecordingConnector(target.Mover);
        // Inline continuations submit the next command before the receive loop waits: one command is out then.
        await using var session = await IscsiSession.ConnectAsync(target.Options(o =>
        {
            o.Connector = connector;
            o.InlineCompletions = true;
            configure(o);
        })).WaitAsync(s_timeout);

        var buffer = new byte[4096];
        for (int i = 0; i < 50; i++)
        {
            await session.ReadAsync(0, (ulong)(i * 8), 8, buffer).AsTask().WaitAsync(s_timeout);
        }

        lock (connector.Polls)
        {
            return [.. connector.Polls];
        }
    }

    /// <summary>Connects through another mover and hands out connections that record what they are asked to poll.</summary>
    private sealed class RecordingConnector(IDataMoverConnector inner) : IDataMoverConnector
    {
        public List<TimeSpan> Polls { get; } = [];

        public async ValueTask<IDataMoverConnection> ConnectAsync(Portal portal, CancellationToken cancellationToken = default) =>
            new RecordingConnection(await inner.ConnectAsync(portal, cancellationToken), Polls);
    }

    private sealed class RecordingConnection(IDataMoverConnection inner, List<TimeSpan> polls) : IDataMoverConnection, IPollingReceiver
    {
        public IDuplexPipe Transport => inner.Transport;

        public string PeerAddress => inner.PeerAddress;

        public string RemoteName => inner.RemoteName;

        public string Kind => inner.Kind;

        public void PollNextRead(TimeSpan duration)
        {
            lock (polls)
            {
                polls.Add(duration);
            }
        }

        public void Abort() => inner.Abort();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
