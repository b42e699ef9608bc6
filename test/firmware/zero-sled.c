// Jumps into erased flash past the image and slides: Unicorn's flash is zero-filled and 0x0000
// decodes as `movs r0, r0`, so the core runs ~490,000 new instructions to the end of the 1 MiB
// flash, each translated once (the slow path: a new block per 512 instructions, decoded and costed
// in JavaScript). --timeout must stop it on time (test/timeout.test.ts).
#include <stdio.h>

int main(void) {
  printf("sliding\n");
  void (*sled)(void) = (void (*)(void))(0x08010000u | 1u); // 64 KiB into flash, Thumb state
  sled();
  return 0;
}
