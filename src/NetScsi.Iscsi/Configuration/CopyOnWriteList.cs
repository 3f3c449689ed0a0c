using System.Collections;

namespace NetScsi.Iscsi.Configuration;

/// <summary>
/// A list that is read without locks while it changes: every change copies the items and publishes the copy in
/// one reference store, so a reader (the login state machine, SendTargets) always sees one whole version. Writers
/// are serialized among themselves; <see cref="ReplaceAll"/> swaps the whole content at once.
/// </summary>
public sealed class CopyOnWriteList<T> : IList<T>, IReadOnlyList<T>
{
    private readonly object _writeLock = new();
    private T[] _items = [];

    /// <summary>The current version; never changes after it is returned.</summary>
    public IReadOnlyList<T> Snapshot => Volatile.Read(ref _items);

    public int Count => Volatile.Read(ref _items).Length;

    public bool IsReadOnly => false;

    public T this[int index]
    {
        get => Volatile.Read(ref _items)[index];
        set => Mutate(list => list[index] = value);
    }

    /// <summary>Publishes <paramref name="items"/> as the whole content, in one store.</summary>
    public void ReplaceAll(IEnumerable<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        T[] copy = [.. items];
        lock (_writeLock)
        {
            Volatile.Write(ref _items, copy);
        }
    }

    public void Add(T item) => Mutate(list => list.Add(item));

    public void Insert(int index, T item) => Mutate(list => list.Insert(index, item));

    public bool Remove(T item)
    {
        bool removed = false;
        Mutate(list => removed = list.Remove(item));
        return removed;
    }

    public void RemoveAt(int index) => Mutate(list => list.RemoveAt(index));

    public void Clear() => ReplaceAll([]);

    public bool Contains(T item) => Array.IndexOf(Volatile.Read(ref _items), item) >= 0;

    public int IndexOf(T item) => Array.IndexOf(Volatile.Read(ref _items), item);

    public void CopyTo(T[] array, int arrayIndex) => Volatile.Read(ref _items).CopyTo(array, arrayIndex);

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)Volatile.Read(ref _items)).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private void Mutate(Action<List<T>> change)
    {
        lock (_writeLock)
        {
            var list = new List<T>(Volatile.Read(ref _items));
            change(list);
            Volatile.Write(ref _items, list.ToArray());
        }
    }
}
