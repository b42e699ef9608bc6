// A fault taken through the vector table (ARMv7-M ARM B1.5.4, B3.2.15-B3.2.18): a read from unmapped
// memory (0x30000000) is a precise BusFault: CFSR.PRECISERR | CFSR.BFARVALID, BFAR = the address.
// BusFault is disabled at reset (SHCSR.BUSFAULTENA = 0), so it escalates to HardFault with
// HFSR.FORCED; with -DBUSFAULT_ENABLED, BusFault_Handler takes it and HFSR stays 0. The stacked PC is
// the faulting load (fault_insn). -DLOCKUP: the HardFault handler faults again: lockup.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define SCB_SHCSR REG(0xE000ED24u)
#define SCB_CFSR REG(0xE000ED28u)
#define SCB_HFSR REG(0xE000ED2Cu)
#define SCB_BFAR REG(0xE000ED38u)

extern const char fault_insn[];

void fault_report(const uint32_t *frame, const char *which) {
  uint32_t cfsr = SCB_CFSR, hfsr = SCB_HFSR, bfar = SCB_BFAR;
  int pc_ok = frame[6] == ((uint32_t)fault_insn & ~1u);
  printf("%s: cfsr=0x%08lx hfsr=0x%08lx bfar=0x%08lx stacked pc is the faulting ldr: %s\n", which,
         (unsigned long)cfsr, (unsigned long)hfsr, (unsigned long)bfar, pc_ok ? "yes" : "no");
#ifdef LOCKUP
  (void)REG(0x30000004u);
#endif
  exit(pc_ok ? 7 : 1);
}

void hard_fault_c(const uint32_t *frame) { fault_report(frame, "HardFault"); }
void bus_fault_c(const uint32_t *frame) { fault_report(frame, "BusFault"); }

__attribute__((naked)) void HardFault_Handler(void) {
  __asm__ volatile("mrs r0, msp\n\tb hard_fault_c");
}
__attribute__((naked)) void BusFault_Handler(void) {
  __asm__ volatile("mrs r0, msp\n\tb bus_fault_c");
}

int main(void) {
  printf("em-fault\n");
#ifdef BUSFAULT_ENABLED
  SCB_SHCSR |= 1u << 17; /* BUSFAULTENA */
#endif
  uint32_t v;
  __asm__ volatile(".global fault_insn\n\t.type fault_insn, %%function\nfault_insn:\n\tldr %0, [%1]"
                   : "=r"(v)
                   : "r"(0x30000000u)
                   : "memory");
  printf("not reached: %lu\n", (unsigned long)v);
  return 0;
}
