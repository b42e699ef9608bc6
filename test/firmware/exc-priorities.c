// NVIC priorities (ARMv7-M ARM B1.5.4 priority grouping, B1.5.5 preemption, B3.4 NVIC): three IRQs,
// 28 (low, 0xC0), 29 (mid, 0x80) and 30 (high, 0x40), pended by software through NVIC_ISPR and STIR,
// with handlers in a vector table of our own that VTOR points at (B3.2.5). Checked: preemption by
// a higher priority, no preemption by an equal or lower one, BASEPRI masking (pending while masked,
// taken when BASEPRI is lowered), BASEPRI_MAX only raising, PRIMASK (cpsid/cpsie), AIRCR.PRIGROUP
// subpriority that orders pending exceptions but does not preempt, and equal priorities in exception
// number order. Priorities are multiples of 0x20 so 3 implemented priority bits are enough.
// Lines 28-30 are free on QEMU's mps2-an386 (32 IRQs). Exits 24 when every check passed.
#include <stdlib.h>
#include "exc-common.h"

#define IRQ_L 28
#define IRQ_M 29
#define IRQ_H 30

static volatile uint32_t phase;
static volatile uint32_t ipsr_l, ipsr_m, ipsr_h;

static void pend(unsigned irq) {
  NVIC_ISPR(irq / 32) = 1u << (irq % 32);
  barrier();
}
static uint32_t pending(unsigned irq) { return (NVIC_ISPR(irq / 32) >> (irq % 32)) & 1u; }

void irq_low(void) {
  ipsr_l = get_ipsr();
  note("L+");
  if (phase == 1) pend(IRQ_M); /* higher: preempts at once */
  if (phase == 5) {
    NVIC_STIR = IRQ_H; /* group 0: preempts */
    barrier();
  }
  note("L-");
}
void irq_mid(void) {
  ipsr_m = get_ipsr();
  note("M+");
  if (phase == 1) pend(IRQ_H);
  if (phase == 2) pend(IRQ_L); /* lower: waits until M returns, then tail-chains */
  if (phase == 5) pend(IRQ_L); /* same group, better subpriority: still no preemption */
  note("M-");
}
void irq_high(void) {
  ipsr_h = get_ipsr();
  note("H+");
  if (phase == 2) pend(IRQ_M);
  note("H-");
}

extern uint32_t _estack;
void Reset_Handler(void);
void NMI_Handler(void);
void HardFault_Handler(void);
void Default_Handler(void);

/* 16 system vectors + 32 IRQs: 48 words, aligned to the next power of two of its size (B3.2.5). */
__attribute__((aligned(256))) static const void *const vectors[16 + 32] = {
    [0] = &_estack,
    [1] = (const void *)Reset_Handler,
    [2] = (const void *)NMI_Handler,
    [3] = (const void *)HardFault_Handler,
    [4 ... 15] = (const void *)Default_Handler,
    [16 ... 16 + IRQ_L - 1] = (const void *)Default_Handler,
    [16 + IRQ_L] = (const void *)irq_low,
    [16 + IRQ_M] = (const void *)irq_mid,
    [16 + IRQ_H] = (const void *)irq_high,
    [16 + 31] = (const void *)Default_Handler,
};

int main(void) {
  int ok = 1;
  printf("exc-priorities\n");
  SCB_VTOR = (uint32_t)vectors;
  barrier();
  printf("vtor at our table: %s\n", SCB_VTOR == (uint32_t)vectors ? "yes" : "no");
  NVIC_IPR(IRQ_L) = 0xC0;
  NVIC_IPR(IRQ_M) = 0x80;
  NVIC_IPR(IRQ_H) = 0x40;
  NVIC_ISER(0) = (1u << IRQ_L) | (1u << IRQ_M) | (1u << IRQ_H);

  phase = 1; /* L, preempted by M, preempted by H */
  pend(IRQ_L);
  note("T");
  print_log("nested");
  printf("ipsr: L %lu M %lu H %lu\n", (unsigned long)ipsr_l, (unsigned long)ipsr_m,
         (unsigned long)ipsr_h);
  ok &= ipsr_l == 16 + IRQ_L && ipsr_m == 16 + IRQ_M && ipsr_h == 16 + IRQ_H;

  phase = 2; /* H pends M, M pends L: each runs after the one that pended it returns */
  pend(IRQ_H);
  note("T");
  print_log("tail-chained");

  phase = 3; /* BASEPRI = 0x80 masks M (0x80) and L, not H (0x40) */
  set_basepri(0x80);
  pend(IRQ_M);
  note(pending(IRQ_M) ? "M-pending" : "M-not-pending");
  pend(IRQ_H);
  set_basepri_max(0xC0); /* lower priority than 0x80: no effect */
  note(get_basepri() == 0x80 ? "basepri-max-kept" : "basepri-max-changed");
  set_basepri_max(0x60); /* higher priority: raises the mask */
  note(get_basepri() == 0x60 ? "basepri-max-raised" : "basepri-max-not-raised");
  note("unmask");
  set_basepri(0);
  barrier();
  note("T");
  print_log("basepri");

  phase = 4; /* PRIMASK */
  __asm__ volatile("cpsid i" ::: "memory");
  pend(IRQ_H);
  note(get_primask() && pending(IRQ_H) ? "H-pending" : "H-taken");
  pend(IRQ_L);
  pend(IRQ_M);
  note("cpsie");
  __asm__ volatile("cpsie i" ::: "memory");
  barrier();
  note("T");
  print_log("primask");

  /* PRIGROUP = 5: group priority is bits [7:6], subpriority bits [5:0]. */
  SCB_AIRCR = (0x05FAu << 16) | (5u << 8);
  barrier();
  printf("prigroup: %lu\n", (unsigned long)((SCB_AIRCR >> 8) & 7u));
  NVIC_IPR(IRQ_L) = 0x40; /* group 1, sub 0x00 */
  NVIC_IPR(IRQ_M) = 0x60; /* group 1, sub 0x20 */
  NVIC_IPR(IRQ_H) = 0x00; /* group 0 */
  phase = 5; /* M pends L (same group): no preemption; L pends H through STIR (group 0): preempts */
  pend(IRQ_M);
  note("T");
  print_log("subpriority");

  phase = 6; /* both pending at once: the better subpriority (L) first, then M */
  __asm__ volatile("cpsid i" ::: "memory");
  pend(IRQ_M);
  pend(IRQ_L);
  __asm__ volatile("cpsie i" ::: "memory");
  barrier();
  note("T");
  print_log("pending order");

  phase = 7; /* equal priorities: the lower exception number first */
  NVIC_IPR(IRQ_L) = 0x80;
  NVIC_IPR(IRQ_M) = 0x80;
  NVIC_IPR(IRQ_H) = 0x80;
  __asm__ volatile("cpsid i" ::: "memory");
  pend(IRQ_H);
  pend(IRQ_M);
  pend(IRQ_L);
  __asm__ volatile("cpsie i" ::: "memory");
  barrier();
  note("T");
  print_log("equal priority");

  /* ICPR clears a pending interrupt before it is taken. */
  __asm__ volatile("cpsid i" ::: "memory");
  pend(IRQ_H);
  NVIC_ICPR(0) = 1u << IRQ_H;
  barrier();
  __asm__ volatile("cpsie i" ::: "memory");
  barrier();
  note("T");
  print_log("cleared");
  printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 24 : 1;
}
