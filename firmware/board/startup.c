/*
 * m4sim start-up for Cortex-M4 firmware linked with newlib's rdimon (--specs=rdimon.specs) and a
 * board linker script (a .ld file in firmware/board, or the one src/toolchain/board-linker.ts writes; both
 * INCLUDE sections.ld).
 *
 * Reset_Handler enables the FPU, copies .data from flash to RAM (rdimon-crt0 does not), then jumps to
 * newlib's _start, which clears .bss, asks the host for the heap and stack (SYS_HEAPINFO), opens the
 * standard streams, runs main and calls exit() with its result.
 *
 * Every system exception points at Default_Handler, which stops on `bkpt 0`: a breakpoint whose
 * immediate is not the semihosting 0xAB, so the simulator reports it instead of hanging. IPSR holds
 * the number of the exception taken. Firmware can override any handler (they are weak).
 */
#include <stdint.h>

extern uint32_t _estack;
extern uint32_t _sidata, _sdata, _edata;

extern void _start(void) __attribute__((noreturn));

void Reset_Handler(void) __attribute__((noreturn));
void Default_Handler(void) __attribute__((naked));

void NMI_Handler(void) __attribute__((weak, alias("Default_Handler")));
void HardFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler(void) __attribute__((weak, alias("Default_Handler")));
void BusFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SVC_Handler(void) __attribute__((weak, alias("Default_Handler")));
void DebugMon_Handler(void) __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));

typedef void (*vector_t)(void);

/* Initial SP, Reset, then the 14 system exception slots (0 = reserved). */
__attribute__((section(".isr_vector"), used)) const vector_t m4sim_vector_table[16] = {
    (vector_t)(uintptr_t)&_estack,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    0,
    0,
    0,
    0,
    SVC_Handler,
    DebugMon_Handler,
    0,
    PendSV_Handler,
    SysTick_Handler,
};

#define CPACR (*(volatile uint32_t *)0xE000ED88u)

/* No loop-to-memcpy rewriting: nothing but this function may run before .data is in place. */
__attribute__((optimize("no-tree-loop-distribute-patterns"))) void Reset_Handler(void) {
  /* CP10 and CP11 full access: the hard-float ABI uses s0-s31 from the first function on. */
  CPACR |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");

  const uint32_t *src = &_sidata;
  for (uint32_t *dst = &_sdata; dst < &_edata;) *dst++ = *src++;

  _start();
}

void Default_Handler(void) {
  __asm__ volatile(
      "bkpt 0\n"
      "1: b 1b\n");
}
