namespace NetScsi.IpOverScsi.Tests.Networks;

/// <summary>
/// The tests that start many <c>netscsi ip up</c> processes run one at a time: on a 2-core machine, a 12-process
/// grid beside other networks coming up would only make every start-up slower.
/// </summary>
[CollectionDefinition(Name)]
public sealed class NetworkCollection
{
    public const string Name = "namespace networks";
}
