using NetScsi.Transport.Rdma.Memory;

namespace NetScsi.Transport.Rdma.Tests;

public sealed class RegisteredBufferPoolTests
{
    private sealed class CountingRegistrar : IRdmaMemoryRegistrar
    {
        public List<(nint Address, nuint Length)> Registered { get; } = [];

        public List<RdmaMemoryRegion> Deregistered { get; } = [];

        public RdmaMemoryRegion Register(nint address, nuint length)
        {
            Registered.Add((address, length));
            return new RdmaMemoryRegion(Registered.Count, 0x100u + (uint)Registered.Count, 0x200u + (uint)Registered.Count);
        }

        public void Deregister(RdmaMemoryRegion region) => Deregistered.Add(region);
    }

    [Fact]
    public void Pool_RegistersOneAlignedSlab_AndCutsItIntoDisjointBuffers()
    {
        var registrar = new CountingRegistrar();
        using var pool = new RegisteredBufferPool(registrar, bufferLength: 1000, count: 4);

        Assert.Equal(1024, pool.BufferLength);
        var (address, length) = Assert.Single(registrar.Registered);
        Assert.Equal(0, address % RegisteredBufferPool.Alignment);
        Assert.Equal((nuint)(4 * 1024), length);

        var buffers = new RegisteredBuffer[4];
        for (int i = 0; i < 4; i++)
        {
            Assert.True(pool.TryRent(out buffers[i]));
            Assert.Equal(0x101u, buffers[i].LocalKey);
            Assert.Equal(0x201u, buffers[i].RemoteKey);
            Assert.InRange(buffers[i].Address, address, address + (nint)length - buffers[i].Length);
            buffers[i].Span.Fill((byte)i);
        }

        for (int i = 0; i < 4; i++)
        {
            Assert.All(buffers[i].Span.ToArray(), b => Assert.Equal((byte)i, b));
            Assert.Equal(buffers[i].Span.ToArray(), buffers[i].Memory.ToArray());
        }
    }

    [Fact]
    public void Pool_Exhausted_RefusesUntilABufferReturns()
    {
        using var pool = new RegisteredBufferPool(new CountingRegistrar(), 64, 2);
        Assert.True(pool.TryRent(out RegisteredBuffer first));
        Assert.True(pool.TryRent(out _));
        Assert.False(pool.TryRent(out RegisteredBuffer none));
        Assert.False(none.IsValid);
        Assert.Equal(2, pool.Outstanding);

        pool.Return(first);
        Assert.Equal(1, pool.Outstanding);
        Assert.True(pool.TryRent(out RegisteredBuffer again));
        Assert.Equal(first.Address, again.Address);
    }

    [Fact]
    public void Pool_ReturnTwice_Throws()
    {
        using var pool = new RegisteredBufferPool(new CountingRegistrar(), 64, 2);
        Assert.True(pool.TryRent(out RegisteredBuffer buffer));
        pool.Return(buffer);
        Assert.Throws<InvalidOperationException>(() => pool.Return(buffer));
    }

    [Fact]
    public void Pool_ReturnOfAnotherPoolsBuffer_Throws()
    {
        using var one = new RegisteredBufferPool(new CountingRegistrar(), 64, 2);
        using var other = new RegisteredBufferPool(new CountingRegistrar(), 64, 2);
        Assert.True(other.TryRent(out RegisteredBuffer foreign));
        Assert.Throws<ArgumentException>(() => one.Return(foreign));
    }

    [Fact]
    public void Pool_Dispose_DeregistersOnce_ThenRefusesRent()
    {
        var registrar = new CountingRegistrar();
        var pool = new RegisteredBufferPool(registrar, 64, 2);
        pool.Dispose();
        pool.Dispose();

        Assert.Equal(new RdmaMemoryRegion(1, 0x101, 0x201), Assert.Single(registrar.Deregistered));
        Assert.Throws<ObjectDisposedException>(() => pool.TryRent(out _));
    }

    [Fact]
    public void Pool_RentAndReturn_AllocateNothing()
    {
        using var pool = new RegisteredBufferPool(new CountingRegistrar(), 64, 4);
        Assert.True(pool.TryRent(out RegisteredBuffer warm));
        _ = warm.Memory;
        pool.Return(warm);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            pool.TryRent(out RegisteredBuffer buffer);
            buffer.Memory.Span[0] = 1;
            pool.Return(buffer);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
