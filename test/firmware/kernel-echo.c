// The kernel-test ABI: the simulator writes inputs into m4sim_input (.noinit, so start-up code does
// not clear it) before reset and reads m4sim_output after exit. This one negates int16 values.
#include <stdint.h>
#include <stdlib.h>

__attribute__((section(".noinit"))) int16_t m4sim_input[256];
int16_t m4sim_output[256];

int main(void) {
  for (int i = 0; i < 256; i++) m4sim_output[i] = (int16_t)-m4sim_input[i];
  exit(0);
}
