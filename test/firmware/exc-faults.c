// Configurable faults taken through the vector table and recovered from (ARMv7-M ARM B1.5.14 fault
// behaviour, B3.2.15 CFSR, B3.2.18 BFAR): with SHCSR.USGFAULTENA and BUSFAULTENA set (B3.2.13) the
// faults below go to UsageFault (exception 6) and BusFault (5) instead of escalating to HardFault.
// The handlers log IPSR and CFSR, clear CFSR (write one to clear) and resume after the faulting
// instruction (or, for INVSTATE, at the caller: the target never runs). Cases: UDF (UNDEFINSTR), SDIV by zero with
// CCR.DIV_0_TRP (DIVBYZERO), an unaligned LDR with CCR.UNALIGN_TRP (UNALIGNED), an FP instruction with
// CPACR denying CP10/CP11 (NOCP), BX to an address with bit 0 clear (INVSTATE), a load from unmapped
// 0x30000000 (PRECISERR, BFARVALID, BFAR). Exits 28 when every check passed.
#include <stdlib.h>
#include "exc-common.h"

#define CPACR REG(0xE000ED88u)
#define SHCSR_USGFAULTENA (1u << 18)
#define SHCSR_BUSFAULTENA (1u << 17)
#define CCR_DIV_0_TRP (1u << 4)
#define CCR_UNALIGN_TRP (1u << 3)

static volatile uint32_t seen_ipsr, seen_cfsr, seen_bfar, faults;
static volatile uint32_t recovered;

/* Never runs: do_arm_bx branches to it with bit 0 clear. */
void recovery(void) {
  recovered = recovered + 1;
  for (;;) {
  }
}

/* Called from both handlers with the stacked frame. */
void fault_body(uint32_t *frame) {
  faults = faults + 1;
  seen_ipsr = get_ipsr();
  seen_cfsr = SCB_CFSR;
  seen_bfar = SCB_BFAR;
  SCB_CFSR = seen_cfsr; /* write one to clear */
  if (seen_cfsr & (1u << 17)) { /* INVSTATE: the stacked PC is the bad target; resume at the caller */
    frame[6] = frame[5] & ~1u; /* back to the caller (stacked LR) */
    frame[7] |= 1u << 24;      /* EPSR.T */
    return;
  }
  uint16_t hw = *(const uint16_t *)frame[6];
  frame[6] += (hw & 0xF800u) >= 0xE800u ? 4u : 2u; /* skip a 32-bit or 16-bit instruction */
}

__attribute__((naked)) void UsageFault_Handler(void) {
  __asm__ volatile("mrs r0, msp\n"
                   "b fault_body\n");
}
__attribute__((naked)) void BusFault_Handler(void) {
  __asm__ volatile("mrs r0, msp\n"
                   "b fault_body\n");
}

__attribute__((naked, noinline)) void do_udf(void) {
  __asm__ volatile("udf #7\n"
                   "bx lr\n");
}
__attribute__((naked, noinline)) uint32_t do_div(uint32_t a, uint32_t b) {
  __asm__ volatile("sdiv r0, r0, r1\n"
                   "bx lr\n");
  (void)a;
  (void)b;
}
__attribute__((naked, noinline)) uint32_t do_load(uint32_t address) {
  __asm__ volatile("ldr r0, [r0]\n"
                   "bx lr\n");
  (void)address;
}
__attribute__((naked, noinline)) void do_vmov(void) {
  __asm__ volatile("vmov.f32 s0, #1.0\n"
                   "bx lr\n");
}
__attribute__((naked, noinline)) void do_arm_bx(uint32_t target) {
  __asm__ volatile("bx r0\n");
  (void)target;
}

static volatile uint32_t words[2] = {0x11223344u, 0x55667788u};

static void report(const char *what) {
  printf("%-10s faults=%lu ipsr=%lu cfsr=0x%08lx\n", what, (unsigned long)faults,
         (unsigned long)seen_ipsr, (unsigned long)seen_cfsr);
  faults = 0;
  seen_ipsr = 0;
  seen_cfsr = 0;
}

int main(void) {
  int ok = 1;
  printf("exc-faults\n");
  SCB_SHCSR |= SHCSR_USGFAULTENA | SHCSR_BUSFAULTENA;
  barrier();

  do_udf();
  ok &= seen_ipsr == 6 && seen_cfsr == 0x00010000u;
  report("udf");

  uint32_t q = do_div(7, 0);
  printf("sdiv 7/0 without DIV_0_TRP = %lu\n", (unsigned long)q);
  ok &= q == 0 && faults == 0;
  SCB_CCR |= CCR_DIV_0_TRP;
  barrier();
  do_div(7, 0);
  ok &= seen_ipsr == 6 && seen_cfsr == 0x02000000u;
  report("sdiv");
  SCB_CCR &= ~CCR_DIV_0_TRP;

  uint32_t v = do_load((uint32_t)&words[0] + 2);
  printf("unaligned ldr without UNALIGN_TRP = 0x%08lx\n", (unsigned long)v);
  ok &= v == 0x77881122u && faults == 0;
  SCB_CCR |= CCR_UNALIGN_TRP;
  barrier();
  do_load((uint32_t)&words[0] + 2);
  ok &= seen_ipsr == 6 && seen_cfsr == 0x01000000u;
  report("unaligned");
  SCB_CCR &= ~CCR_UNALIGN_TRP;

  uint32_t cpacr = CPACR;
  CPACR = cpacr & ~(0xFu << 20);
  barrier();
  do_vmov();
  CPACR = cpacr;
  barrier();
  ok &= seen_ipsr == 6 && seen_cfsr == 0x00080000u;
  report("nocp");

  do_arm_bx((uint32_t)recovery & ~1u); /* bit 0 clear: ARM state, which ARMv7-M does not have */
  ok &= seen_ipsr == 6 && seen_cfsr == 0x00020000u && recovered == 0;
  report("invstate");

  v = do_load(0x30000000u);
  printf("bfar=0x%08lx\n", (unsigned long)seen_bfar);
  ok &= seen_ipsr == 5 && seen_cfsr == 0x00008200u && seen_bfar == 0x30000000u;
  report("bus");
  printf("cfsr after clearing: 0x%08lx hfsr=0x%08lx\n", (unsigned long)SCB_CFSR,
         (unsigned long)SCB_HFSR);
  ok &= SCB_CFSR == 0 && SCB_HFSR == 0;
  printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 28 : 1;
}
