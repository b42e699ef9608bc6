// Bare firmware with its own vector table and no C library or start-up files
// (-nostdlib -nostartfiles): prints "ok" with SYS_WRITE0 and exits with SYS_EXIT_EXTENDED, code 0.
// It uses no .data or .bss, so it needs no initialisation.
#define SYS_WRITE0 0x04
#define SYS_EXIT_EXTENDED 0x20
#define ADP_Stopped_ApplicationExit 0x20026

extern unsigned _estack;

static int semihost(int op, const void *arg) {
  register int r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

__attribute__((noreturn)) void Reset_Handler(void) {
  semihost(SYS_WRITE0, "ok\n");
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
