// Executes a permanently undefined instruction (UDF): the simulator must report it with its address.
#include <stdio.h>

int main(void) {
  printf("about to execute udf\n");
  __asm__ volatile("udf #0");
  printf("still running\n");
  return 0;
}
