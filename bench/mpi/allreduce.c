// allreduce.c - average MPI_Allreduce time (doubles, MPI_SUM) per message size, like osu_allreduce, for
// bench/mpi/compare-openmpi.sh. Output: "mpi allreduce size=N avg_us=X" per size, from rank 0.
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, np;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &np);
  long max = argc > 1 ? atol(argv[1]) : 1024;
  double *in = malloc(max), *out = malloc(max);
  for (long i = 0; i < max / 8; i++) in[i] = rank + 1.0;
  for (long size = 8; size <= max; size *= 2) {
    int iterations = size <= 8192 ? 2000 : (size <= 262144 ? 200 : 20), warm = iterations / 10;
    double start = 0;
    MPI_Barrier(MPI_COMM_WORLD);
    for (int i = 0; i < iterations + warm; i++) {
      if (i == warm) start = MPI_Wtime();
      MPI_Allreduce(in, out, (int)(size / 8), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    }
    double local = (MPI_Wtime() - start) / iterations * 1e6, sum = 0;
    MPI_Allreduce(&local, &sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    if (!rank) { printf("mpi allreduce size=%ld avg_us=%.2f\n", size, sum / np); fflush(stdout); }
  }
  MPI_Finalize();
  return 0;
}
