#include "gather.h"

#include <string.h>

void gather_scaled(int16_t *dst, const int16_t *src, uint32_t n, int32_t scale) {
  if (scale == 1) {
    memcpy(dst, src, n * 2);
    return;
  }
  for (uint32_t i = 0; i < n; i++) dst[i] = (int16_t)(src[i] / scale);
}
