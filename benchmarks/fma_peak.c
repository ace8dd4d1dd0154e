/*
 * The machine's float32 multiply-add peak on one thread: CHAINS independent accumulators, each a chain of fused
 * multiply-adds on registers only, with the widest vectors the compiler is told about (512 bits with -mavx512f, else
 * 256). Prints the best of four runs in GFLOPS (2 flops a lane a multiply-add). docs/BENCHMARKS.md quotes it.
 *
 *   gcc -O2 -march=native -o /tmp/fma_peak benchmarks/fma_peak.c && /tmp/fma_peak
 *   taskset -c 0 /tmp/fma_peak & taskset -c 1 /tmp/fma_peak; wait     # both vCPUs at once
 *
 * Every accumulator starts from a different value. A first version started them all at zero: the compiler then
 * found the chains identical, computed one and copied it, and the loop "ran" at 345 GFLOPS on a vCPU whose real
 * peak is ~215 (Zen 5, 2026-12-07).
 */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#ifdef __AVX512F__
typedef __m512 vec;
#define LANES 16
#define SET1(x) _mm512_set1_ps(x)
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define ADD(a, b) _mm512_add_ps(a, b)
#define STORE(p, v) _mm512_storeu_ps(p, v)
#else
typedef __m256 vec;
#define LANES 8
#define SET1(x) _mm256_set1_ps(x)
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define ADD(a, b) _mm256_add_ps(a, b)
#define STORE(p, v) _mm256_storeu_ps(p, v)
#endif

#define CHAINS 16

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    (void) argv;
    vec x = SET1(1.0001f), y = SET1(0.9999f);
    vec c[CHAINS];
    for (int i = 0; i < CHAINS; i++) {
        c[i] = SET1((float) (argc + i)); /* distinct: see above */
    }
    double best = 0;
    for (int run = 0; run < 4; run++) {
        long n = 50000000;
        double t0 = now();
        for (long i = 0; i < n; i++) {
#pragma GCC unroll 16
            for (int k = 0; k < CHAINS; k++) { /* unrolled: c stays in registers */
                c[k] = FMA(x, y, c[k]);
            }
        }
        double gflops = (double) n * CHAINS * LANES * 2 / (now() - t0) / 1e9;
        if (gflops > best) {
            best = gflops;
        }
    }
    vec s = c[0];
    for (int k = 1; k < CHAINS; k++) {
        s = ADD(s, c[k]);
    }
    float out[LANES];
    STORE(out, s);
    printf("%d-bit multiply-adds, %d chains: %.0f GFLOPS (checksum %g)\n", LANES * 32, CHAINS, best, out[0]);
    return 0;
}
