// Input reader shared by the conv / mbconv / l2norm / heads kernel tests. m4sim_input holds 32-bit
// little-endian words (int32 parameters) and arrays (int16 or int8), each padded to 4 bytes, in the
// order each test's main reads them (test/kernels-conv.test.ts writes them the same way).
#ifndef CONV_IO_H
#define CONV_IO_H

#include <stdint.h>
#include <string.h>

typedef struct {
  const uint8_t *p;
} conv_io;

static inline int32_t io_i32(conv_io *r) {
  int32_t v;
  memcpy(&v, r->p, 4);
  r->p += 4;
  return v;
}

static inline const int16_t *io_i16(conv_io *r, uint32_t n) {
  const int16_t *a = (const int16_t *)(const void *)r->p;
  r->p += (n * 2u + 3u) & ~3u;
  return a;
}

static inline const int8_t *io_i8(conv_io *r, uint32_t n) {
  const int8_t *a = (const int8_t *)r->p;
  r->p += (n + 3u) & ~3u;
  return a;
}

#endif
