namespace NetScsi.Functional.Tests.Adversarial;

/// <summary>
/// Tests that bound the process's managed heap (what a hostile peer can make the target hold). The heap is the whole
/// test process's, so they run alone, after the parallel collections: another test's buffers are not the target's.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuresTheHeapCollection
{
    public const string Name = "measures the managed heap";
}
