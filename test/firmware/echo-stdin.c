// Reads one line from the host's standard input through semihosting (SYS_READ on ":tt") and echoes it.
#include <stdio.h>

int main(void) {
  char line[64];
  if (fgets(line, sizeof line, stdin) == NULL) {
    printf("eof\n");
    return 1;
  }
  printf("got: %s", line);
  return 0;
}
