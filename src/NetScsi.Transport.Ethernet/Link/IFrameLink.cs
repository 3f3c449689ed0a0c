namespace NetScsi.Transport.Ethernet;

/// <summary>
/// One Ethernet interface as the poller sees it: frames of our EtherType in and out in batches, and a wait that a
/// frame's arrival or <see cref="Wake"/> ends. The AF_PACKET link in production, a simulated segment in tests.
/// Called from the poller thread only, except <see cref="Wake"/>.
/// </summary>
internal interface IFrameLink : IDisposable
{
    /// <summary>The interface's name (<c>eth0</c>).</summary>
    string Name { get; }

    /// <summary>The interface's hardware address: the source of every frame sent.</summary>
    MacAddress Address { get; }

    /// <summary>The interface's MTU: the largest frame after the MAC header.</summary>
    int Mtu { get; }

    /// <summary>Takes the frames waiting (up to the batch's capacity) without blocking; sets <see cref="FrameBatch.Count"/>.</summary>
    void Receive(FrameBatch batch);

    /// <summary>Sends every frame in the batch (a frame the link cannot take now is dropped: the protocol retransmits).</summary>
    void Send(FrameBatch batch);

    /// <summary>Blocks until frames may be waiting, <see cref="Wake"/> is called, or the timeout passes.</summary>
    void Wait(int timeoutMilliseconds);

    /// <summary>Ends a <see cref="Wait"/> now or the next one at once; any thread.</summary>
    void Wake();
}
