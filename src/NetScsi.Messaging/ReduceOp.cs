using System.Numerics;

namespace NetScsi.Messaging;

/// <summary>The built-in reduction operators (MPI_SUM, MPI_PROD, MPI_MIN, MPI_MAX) for numeric types.</summary>
public enum ReduceOp
{
    Sum,
    Prod,
    Min,
    Max,
}

/// <summary>
/// A reduction operator (MPI_Op): an associative combination of two elements. Reductions apply it in rank order
/// (the lower ranks' value on the left), so it need not be commutative. Implement it on a struct: calls are
/// specialised and inlined.
/// </summary>
public interface IReduceOperator<T>
    where T : unmanaged
{
    /// <summary>left ⊕ right.</summary>
    static abstract T Combine(T left, T right);
}

/// <summary>Sum.</summary>
public readonly struct SumOperator<T> : IReduceOperator<T>
    where T : unmanaged, INumber<T>
{
    public static T Combine(T left, T right) => left + right;
}

/// <summary>Product.</summary>
public readonly struct ProdOperator<T> : IReduceOperator<T>
    where T : unmanaged, INumber<T>
{
    public static T Combine(T left, T right) => left * right;
}

/// <summary>Minimum.</summary>
public readonly struct MinOperator<T> : IReduceOperator<T>
    where T : unmanaged, INumber<T>
{
    public static T Combine(T left, T right) => T.Min(left, right);
}

/// <summary>Maximum.</summary>
public readonly struct MaxOperator<T> : IReduceOperator<T>
    where T : unmanaged, INumber<T>
{
    public static T Combine(T left, T right) => T.Max(left, right);
}
