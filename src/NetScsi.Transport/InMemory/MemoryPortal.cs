namespace NetScsi.Transport.InMemory;

/// <summary>The portal of an <see cref="InMemoryDataMover"/>: a name, reachable only inside the process.</summary>
/// <param name="Name">The mover's name.</param>
public sealed record MemoryPortal(string Name) : Portal
{
    public override string Transport => "memory";

    public override string ToString() => "memory:" + Name;
}
