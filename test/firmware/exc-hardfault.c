// A HardFault handler that reads the fault status registers (ARMv7-M ARM B3.2.15 CFSR, B3.2.16 HFSR,
// B3.2.18 BFAR) after a load from 0x30000000, unmapped on both QEMU's mps2-an386 and m4-256k. BusFault
// is not enabled in SHCSR, so the precise bus fault escalates to HardFault (B1.5.14): HFSR.FORCED,
// CFSR.PRECISERR and BFARVALID, BFAR = the address; the stacked PC is the faulting LDR (B1.5.6).
// The handler prints and exits 26 when every check passed.
#include <stdlib.h>
#include "exc-common.h"

#define UNMAPPED 0x30000000u

extern const char fault_ldr[];

__attribute__((naked, noinline)) uint32_t load_word(uint32_t address) {
  __asm__ volatile(
      ".global fault_ldr\n"
      "fault_ldr:\n"
      "ldr r0, [r0]\n"
      "bx lr\n");
  (void)address;
}

void hardfault_report(uint32_t *frame, uint32_t exc_return) {
  uint32_t cfsr = SCB_CFSR, hfsr = SCB_HFSR, bfar = SCB_BFAR;
  uint32_t ipsr = get_ipsr();
  int pc_ok = frame[6] == ((uint32_t)fault_ldr & ~1u);
  printf("hardfault: ipsr=%lu exc_return=0x%08lx\n", (unsigned long)ipsr, (unsigned long)exc_return);
  printf("cfsr=0x%08lx hfsr=0x%08lx bfar=0x%08lx\n", (unsigned long)cfsr, (unsigned long)hfsr,
         (unsigned long)bfar);
  printf("stacked pc is the faulting ldr: %s, stacked r0=0x%08lx\n", pc_ok ? "yes" : "no",
         (unsigned long)frame[0]);
  int ok = ipsr == 3 && cfsr == 0x00008200u && hfsr == 0x40000000u && bfar == UNMAPPED && pc_ok &&
           frame[0] == UNMAPPED;
  printf("%s\n", ok ? "PASS" : "FAIL");
  exit(ok ? 26 : 1);
}

__attribute__((naked)) void HardFault_Handler(void) {
  __asm__ volatile(
      "tst lr, #4\n"
      "ite eq\n"
      "mrseq r0, msp\n"
      "mrsne r0, psp\n"
      "mov r1, lr\n"
      "b hardfault_report\n");
}

int main(void) {
  printf("exc-hardfault\n");
  printf("before: cfsr=0x%08lx hfsr=0x%08lx shcsr=0x%08lx\n", (unsigned long)SCB_CFSR,
         (unsigned long)SCB_HFSR, (unsigned long)SCB_SHCSR);
  uint32_t v = load_word(UNMAPPED);
  printf("not reached: 0x%08lx\n", (unsigned long)v);
  return 1;
}
