// Tries to reach the host through raw semihosting calls. With m4sim every one must fail (return -1)
// and be reported as refused; nothing may appear on the host.
#include <stdio.h>
#include <string.h>

#define SYS_OPEN 0x01
#define SYS_REMOVE 0x0e
#define SYS_SYSTEM 0x12

static int semihost(int op, void *arg) {
  register int r0 __asm__("r0") = op;
  register void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

static int sh_open(const char *path, int mode) {
  unsigned block[3] = {(unsigned)path, (unsigned)mode, strlen(path)};
  return semihost(SYS_OPEN, block);
}

static int sh_string_op(int op, const char *text) {
  unsigned block[2] = {(unsigned)text, strlen(text)};
  return semihost(op, block);
}

int main(void) {
  printf("open /etc/passwd: %d\n", sh_open("/etc/passwd", 0));           // mode 0: "r"
  printf("open ../outside.txt: %d\n", sh_open("../outside.txt", 4));     // mode 4: "w"
  printf("system: %d\n", sh_string_op(SYS_SYSTEM, "echo pwned > /tmp/m4sim-pwned"));
  printf("remove: %d\n", sh_string_op(SYS_REMOVE, "/tmp/m4sim-pwned"));
  return 0;
}
