using System.Security.Cryptography;
using System.Runtime.InteropServices;
using NetScsi.Messaging;

namespace NetScsi.Examples.Jacobi;

/// <summary>What a solve ended with (rank 0's view; other ranks get the same iterations and residual).</summary>
/// <param name="Iterations">Sweeps done.</param>
/// <param name="Residual">The largest change of the last sweep.</param>
/// <param name="Checksum">SHA-256 of the whole grid's doubles in row order (rank 0 only; empty elsewhere).</param>
internal readonly record struct JacobiResult(int Iterations, double Residual, string Checksum);

/// <summary>
/// Heat diffusion on an <c>nx</c> × <c>ny</c> plate whose top edge is held at 1 and the other edges at 0: each
/// sweep replaces every interior cell by the mean of its four neighbours, until the largest change falls below the
/// tolerance. The rows are split among the ranks; each sweep exchanges one halo row with each neighbour rank, and
/// an Allreduce (max, exact in floating point) of the local residuals decides for all whether to stop. Every cell is
/// computed from the same values by the same expression whatever the split, so the grid is bit-identical for any N.
/// </summary>
internal static class JacobiSolver
{
    private const int HaloUp = 1;
    private const int HaloDown = 2;
    private const int Rows = 3;

    public static JacobiResult Solve(Communicator comm, int nx, int ny, double tolerance, int maxIterations)
    {
        // Interior rows 1..ny-2 are split; rows 0 and ny-1 are the fixed edges.
        int interior = ny - 2;
        int first = 1 + (int)((long)interior * comm.Rank / comm.Size);
        int last = 1 + (int)((long)interior * (comm.Rank + 1) / comm.Size);
        int rows = last - first;
        // Local rows: a halo (or the fixed edge) above, the own rows, a halo (or edge) below.
        double[] grid = new double[(rows + 2) * nx];
        double[] next = new double[(rows + 2) * nx];
        if (first == 1)
        {
            grid.AsSpan(0, nx).Fill(1.0);
            next.AsSpan(0, nx).Fill(1.0);
        }
        int up = comm.Rank - 1;
        int down = comm.Rank + 1 < comm.Size && rows > 0 ? comm.Rank + 1 : -1;
        if (rows == 0)
        {
            throw new ArgumentException($"{comm.Size} ranks for {interior} interior rows: some rank would have none.");
        }
        double[] local = new double[1];
        double[] global = new double[1];
        int iteration = 0;
        double residual = double.PositiveInfinity;
        while (iteration < maxIterations && residual >= tolerance)
        {
            ExchangeHalos(comm, grid, nx, rows, up, down);
            double change = 0;
            for (int r = 1; r <= rows; r++)
            {
                int row = r * nx;
                next[row] = grid[row];
                next[row + nx - 1] = grid[row + nx - 1];
                for (int c = 1; c < nx - 1; c++)
                {
                    double value = 0.25 * (grid[row - nx + c] + grid[row + nx + c] + grid[row + c - 1] + grid[row + c + 1]);
                    change = Math.Max(change, Math.Abs(value - grid[row + c]));
                    next[row + c] = value;
                }
            }
            (grid, next) = (next, grid);
            local[0] = change;
            comm.Allreduce<double>(local, global, ReduceOp.Max);
            residual = global[0];
            iteration++;
        }
        return new JacobiResult(iteration, residual, GatherChecksum(comm, grid, nx, ny, rows));
    }

    private static void ExchangeHalos(Communicator comm, double[] grid, int nx, int rows, int up, int down)
    {
        Requests requests = default;
        int count = 0;
        if (up >= 0)
        {
            requests[count++] = comm.Irecv<double>(grid.AsMemory(0, nx), up, HaloDown);
            requests[count++] = comm.Isend<double>(grid.AsMemory(nx, nx), up, HaloUp);
        }
        if (down >= 0)
        {
            requests[count++] = comm.Irecv<double>(grid.AsMemory((rows + 1) * nx, nx), down, HaloUp);
            requests[count++] = comm.Isend<double>(grid.AsMemory(rows * nx, nx), down, HaloDown);
        }
        Request.WaitAll(((Span<Request>)requests)[..count]);
    }

    [System.Runtime.CompilerServices.InlineArray(4)]
    private struct Requests
    {
        private Request _first;
    }

    /// <summary>Rank 0 assembles the grid (its rows, every rank's, the bottom edge) and hashes it.</summary>
    private static string GatherChecksum(Communicator comm, double[] grid, int nx, int ny, int rows)
    {
        if (comm.Rank != 0)
        {
            comm.Send<double>(grid.AsSpan(nx, rows * nx), 0, Rows);
            return "";
        }
        double[] whole = new double[nx * ny];
        whole.AsSpan(0, nx).Fill(1.0);
        grid.AsSpan(nx, rows * nx).CopyTo(whole.AsSpan(nx));
        int offset = (1 + rows) * nx;
        for (int rank = 1; rank < comm.Size; rank++)
        {
            Status status = comm.Recv<double>(whole.AsSpan(offset, (ny - 1) * nx - offset), rank, Rows);
            offset += status.Count<double>();
        }
        return Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(whole.AsSpan())));
    }
}
