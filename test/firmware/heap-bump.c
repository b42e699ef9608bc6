// Bare firmware (own vector table, no C library, no start-up) with its own bump allocator: it hands
// out memory from the linker's `end` upwards, 8-byte aligned, and defines no break function. It
// fills a 100-byte block (offsets 0..99), then a 60-byte one (offsets 104..163), with 0x11 (no
// byte of the paint pattern), so the highest byte written is end + 163.
#define SYS_EXIT_EXTENDED 0x20
#define ADP_Stopped_ApplicationExit 0x20026

extern unsigned _estack;
extern char end[];

static int semihost(int op, const void *arg) {
  register int r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

// The break lives in a register-held local: bare firmware has no .data/.bss initialisation.
static char *bump(char **brk, unsigned n) {
  char *p = *brk;
  *brk = p + ((n + 7u) & ~7u);
  return p;
}

static void fill(volatile char *p, unsigned n) {
  for (unsigned i = 0; i < n; i++) p[i] = 0x11;
}

__attribute__((noreturn)) void Reset_Handler(void) {
  char *brk = end;
  fill(bump(&brk, 100), 100);
  fill(bump(&brk, 60), 60);
  const unsigned block[2] = {ADP_Stopped_ApplicationExit, 0};
  semihost(SYS_EXIT_EXTENDED, block);
  for (;;) {
  }
}

__attribute__((naked, noreturn)) static void Fault_Handler(void) {
  __asm__ volatile("bkpt 1\n1: b 1b\n");
}

typedef void (*vector_t)(void);

__attribute__((section(".isr_vector"), used)) const vector_t vectors[4] = {
    (vector_t)(unsigned)&_estack,
    Reset_Handler,
    Fault_Handler, // NMI
    Fault_Handler, // HardFault
};
