// Benchmark: repeated int16 matrix-vector products (64x64, 32-bit accumulators) whose output feeds
// the next input, so nothing can be hoisted out of the loop. GCC 12 -O2 makes the inner loop 5
// instructions per multiply-accumulate (ldrsh, ldrh, cmp, smlabb, bne): about 21.5 k instructions per
// iteration. -DITERATIONS=N sets the amount of work (default 30000: ~650 M instructions); prints a
// checksum and exits 0. The same source built for the host gives the reference checksums:
// ITERATIONS=1 f0c3dfd3, 10 19928258, 100 f38fdcb4, 1000 4e8e6b8f, 30000 aefcd044 (no UB: checked
// with -fsanitize=undefined).
#include <stdint.h>
#include <stdio.h>

#ifndef ITERATIONS
#define ITERATIONS 30000
#endif

#define ROWS 64
#define COLS 64

static int16_t matrix[ROWS][COLS];
static int16_t vec[COLS];
static int32_t out[ROWS];

__attribute__((noinline)) static void matvec(void) {
  for (int i = 0; i < ROWS; i++) {
    const int16_t *row = matrix[i];
    int32_t acc = 0;
    for (int j = 0; j < COLS; j++) acc += (int32_t)row[j] * vec[j];
    out[i] = acc;
  }
}

int main(void) {
  uint32_t seed = 12345u;
  for (int i = 0; i < ROWS; i++) {
    for (int j = 0; j < COLS; j++) {
      seed = seed * 1103515245u + 12345u;
      matrix[i][j] = (int16_t)((seed >> 16) & 0xff) - 128;
    }
  }
  for (int j = 0; j < COLS; j++) vec[j] = (int16_t)(j - 32);

  uint32_t checksum = 0;
  for (long it = 0; it < ITERATIONS; it++) {
    matvec();
    for (int j = 0; j < COLS; j++) {
      vec[j] = (int16_t)(out[j] >> 10);
      checksum = checksum * 31u + (uint32_t)out[j];
    }
  }
  printf("iterations %ld checksum %08lx\n", (long)ITERATIONS, (unsigned long)checksum);
  return 0;
}
