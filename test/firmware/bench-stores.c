// Benchmark: store-heavy tensor code in the spirit of a quantized network's DIV build (our own
// code): int16 and int8 tensors updated in place, requantized through 64-bit division (GCC calls
// libgcc's __aeabi_ldivmod / __aeabi_uldivmod: the M4 divides only 32 bits), a depthwise 3x3 filter
// that writes each output row over its input through a two-row ring, and a residual add. Built -O3
// by bench/firmware.mjs. Every guest store takes Unicorn 2.0.1's softmmu slow path (README
// "Engine"), so this is where the engine, not the profiler, sets the speed. -DROUNDS=N sets the
// amount of work (default 170: 320 M instructions); prints a checksum and exits 0. The same source
// built for the host (gcc -O2 -DROUNDS=N; no UB: checked with -fsanitize=undefined
// -fno-sanitize-recover) gives the reference checksums: ROUNDS=1 da1a7a93, 10 5c1f332b,
// 170 cee1aed9 (test/bench-firmware.test.ts).
#include <stdint.h>
#include <stdio.h>

#ifndef ROUNDS
#define ROUNDS 170
#endif

#define NOINLINE __attribute__((noinline))

#define H 48
#define W 48
#define C 4

static int16_t act[H][W][C];  // the activation, updated in place
static int8_t q8[H][W][C];    // its int8 requantization
static int16_t ring[2][W][C]; // the two input rows the 3x3 filter still needs
static int16_t weights[C][3][3];
static int64_t scale_num[C];
static int64_t scale_den[C];

static uint32_t rng_state = 0x9E3779B9u;
static uint32_t rng(void) {
  // xorshift32 (Marsaglia 2003)
  uint32_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  rng_state = x;
  return x;
}

static int16_t sat16(int64_t v) { return v > 32767 ? 32767 : v < -32768 ? -32768 : (int16_t)v; }
static int8_t sat8(int32_t v) { return v > 127 ? 127 : v < -128 ? -128 : (int8_t)v; }

// act = act * num / den per channel, C-style truncating 64-bit division, saturated to int16.
NOINLINE static void rescale(void) {
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int c = 0; c < C; c++) act[y][x][c] = sat16((int64_t)act[y][x][c] * scale_num[c] / scale_den[c]);
}

// Depthwise 3x3 (zero padding) written over its input row by row: each row's input is kept in the
// ring until the row below has been computed.
NOINLINE static void depthwise(void) {
  for (int x = 0; x < W; x++)
    for (int c = 0; c < C; c++) ring[1][x][c] = 0;
  for (int y = 0; y < H; y++) {
    int16_t(*above)[C] = ring[(y + 1) & 1];  // input row y-1 (zeros for y = 0)
    int16_t(*here)[C] = ring[y & 1];
    for (int x = 0; x < W; x++)
      for (int c = 0; c < C; c++) here[x][c] = act[y][x][c];
    for (int x = 0; x < W; x++)
      for (int c = 0; c < C; c++) {
        int32_t acc = 0;
        for (int dx = -1; dx <= 1; dx++) {
          int xx = x + dx;
          if (xx < 0 || xx >= W) continue;
          acc += (int32_t)weights[c][0][dx + 1] * above[xx][c];
          acc += (int32_t)weights[c][1][dx + 1] * here[xx][c];
          if (y + 1 < H) acc += (int32_t)weights[c][2][dx + 1] * act[y + 1][xx][c];
        }
        act[y][x][c] = sat16(acc >> 3);
      }
  }
}

// int8 requantization with a per-round 64-bit unsigned divisor, then the residual add back.
NOINLINE static void requantize_residual(uint64_t divisor) {
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int c = 0; c < C; c++) {
        int32_t v = act[y][x][c];
        uint64_t mag = (uint64_t)(v < 0 ? -v : v) << 20;
        int32_t q = (int32_t)(mag / divisor);
        q8[y][x][c] = sat8(v < 0 ? -q : q);
      }
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int c = 0; c < C; c++) act[y][x][c] = sat16((int32_t)act[y][x][c] + q8[y][x][c] * 16);
}

NOINLINE static uint32_t fold(uint32_t h) {
  // FNV-1a over the int8 tensor.
  const uint8_t *p = (const uint8_t *)q8;
  for (unsigned i = 0; i < sizeof q8; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

int main(void) {
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int c = 0; c < C; c++) act[y][x][c] = (int16_t)((int32_t)(rng() & 0x3fff) - 0x2000);
  for (int c = 0; c < C; c++) {
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) weights[c][i][j] = (int16_t)((int32_t)(rng() % 9) - 3);
    weights[c][1][1] = 8;
    scale_num[c] = 2600000011LL + 100000000LL * c;
    scale_den[c] = 2800000003LL - 7 * c;
  }
  uint32_t h = 2166136261u;
  for (int round = 0; round < ROUNDS; round++) {
    rescale();
    depthwise();
    requantize_residual(((uint64_t)1 << 32) + 977u * (uint64_t)(round + 1) + (rng() & 0xffff));
    h = fold(h);
  }
  printf("rounds %d checksum %08lx\n", ROUNDS, (unsigned long)h);
  return 0;
}
