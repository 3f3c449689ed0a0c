using System.Globalization;
using NetScsi.Examples.Jacobi;
using NetScsi.Messaging;

// Usage: Jacobi [NX NY TOLERANCE MAX_ITERATIONS], under `netscsi mpi run -n N` (alone: one rank).
int nx = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 128;
int ny = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 128;
double tolerance = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 1e-4;
int maxIterations = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 2000;

await using MessagingWorld world = await MessagingWorld.StartFromEnvironmentAsync();
JacobiResult result = await Task.Factory.StartNew(
    () => JacobiSolver.Solve(world.World, nx, ny, tolerance, maxIterations),
    CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
if (world.Rank == 0)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"jacobi {nx}x{ny} ranks={world.Size} iterations={result.Iterations} residual={result.Residual:R} sha256={result.Checksum}"));
}
