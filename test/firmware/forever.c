// Never ends: the simulator must stop it with its instruction or time limit.
#include <stdio.h>

int main(void) {
  printf("looping forever\n");
  for (;;) {
  }
}
