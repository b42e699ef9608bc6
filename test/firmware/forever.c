// Never ends, and keeps doing work (so it is not an idle `b .`): the simulator must stop it with its
// instruction or time limit.
#include <stdio.h>

volatile unsigned spins;

int main(void) {
  printf("looping forever\n");
  for (;;) spins++;
}
