namespace NetScsi.Transport.Aoe.Client;

/// <summary>What an <see cref="AoeIoOperation"/> asks of the target.</summary>
internal enum AoeOperationKind
{
    QueryConfig,
    Identify,
    Read,
    Write,
    Flush,
}
