// SVC (ARMv7-M ARM B1.5.6 exception entry, B1.5.8 return): SVC_Handler finds the frame on the
// stack LR's EXC_RETURN names (bit 2: 0 = MSP), reads the 8-bit immediate from the SVC instruction
// before the stacked return address, and returns values through the stacked R0. An SVC with SP at
// 4 mod 8 and CCR.STKALIGN set shows the 8-byte aligned frame and the xPSR bit 9 marker (B1.5.7).
// Exits 21 when every check passed.
#include <stdlib.h>
#include "exc-common.h"

static volatile uint32_t seen_ipsr, seen_lr, seen_control, seen_bit9, calls;

void svc_dispatch(uint32_t *frame, uint32_t exc_return) {
  uint32_t imm = ((const uint16_t *)frame[6])[-1] & 0xFFu; /* SVC #imm8 is 0xDFxx */
  calls = calls + 1;
  seen_ipsr = get_ipsr();
  seen_lr = exc_return;
  seen_control = get_control();
  seen_bit9 = (frame[7] >> 9) & 1u;
  switch (imm) {
    case 1: frame[0] = frame[0] + frame[1]; break;
    case 2: frame[0] = frame[0] * frame[1] + frame[2] + frame[3]; break;
    case 3: /* r0 = SP before the SVC: return how far below it the frame starts */
      frame[0] = frame[0] - (uint32_t)frame;
      break;
    default: frame[0] = imm; break;
  }
}

__attribute__((naked)) void SVC_Handler(void) {
  __asm__ volatile(
      "tst lr, #4\n"
      "ite eq\n"
      "mrseq r0, msp\n"
      "mrsne r0, psp\n"
      "mov r1, lr\n"
      "b svc_dispatch\n");
}

static uint32_t svc_add(uint32_t a, uint32_t b) {
  register uint32_t r0 __asm__("r0") = a;
  register uint32_t r1 __asm__("r1") = b;
  __asm__ volatile("svc #1" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

static uint32_t svc_madd(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  register uint32_t r0 __asm__("r0") = a;
  register uint32_t r1 __asm__("r1") = b;
  register uint32_t r2 __asm__("r2") = c;
  register uint32_t r3 __asm__("r3") = d;
  __asm__ volatile("svc #2" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r3) : "memory");
  return r0;
}

static uint32_t svc_imm42(void) {
  register uint32_t r0 __asm__("r0") = 0;
  __asm__ volatile("svc #42" : "+r"(r0)::"memory");
  return r0;
}

/*
 * SVC #3 with SP forced to 0 mod 8 (misalign = 0) or 4 mod 8 (misalign = 4: 4 bytes of padding).
 * basic != 0 clears CONTROL.FPCA first, so the basic 8-word frame (32 bytes) is stacked; otherwise
 * FPCA is still set from the FP instructions newlib's printf ran and the frame is the extended one
 * (26 words, 104 bytes, space reserved by lazy stacking: B1.5.7).
 */
__attribute__((naked, noinline)) uint32_t svc_frame(uint32_t misalign, uint32_t basic) {
  __asm__ volatile(
      "push {r4, lr}\n"
      "cbz r1, 1f\n"
      "mrs r1, control\n"
      "bic r1, r1, #4\n"
      "msr control, r1\n"
      "isb\n"
      "1:\n"
      "mov r4, sp\n"
      "bic r1, r4, #7\n"
      "sub r1, r1, #8\n"
      "sub r1, r1, r0\n"
      "mov sp, r1\n"
      "mov r0, sp\n"
      "svc #3\n"
      "mov sp, r4\n"
      "pop {r4, pc}\n");
  (void)misalign;
  (void)basic;
}

int main(void) {
  int ok = 1;
  SCB_CCR |= CCR_STKALIGN;
  barrier();
  printf("exc-svc\n");
  printf("thread: ipsr=%lu control=%lu\n", (unsigned long)get_ipsr(), (unsigned long)get_control());

  uint32_t r = svc_add(40, 2);
  printf("svc #1 add(40, 2) = %lu\n", (unsigned long)r);
  ok &= r == 42;
  printf("handler: ipsr=%lu exc_return=0x%08lx control=%lu\n", (unsigned long)seen_ipsr,
         (unsigned long)seen_lr, (unsigned long)seen_control);
  ok &= seen_ipsr == 11;

  r = svc_madd(6, 7, 100, 1000);
  printf("svc #2 madd(6, 7, 100, 1000) = %lu\n", (unsigned long)r);
  ok &= r == 1142;

  r = svc_imm42();
  printf("svc #42 immediate = %lu\n", (unsigned long)r);
  ok &= r == 42;

  static const struct { uint32_t misalign, basic, bytes, bit9; } frames[4] = {
      {0, 0, 104, 0}, {4, 0, 108, 1}, {0, 1, 32, 0}, {4, 1, 36, 1}};
  for (int i = 0; i < 4; i++) {
    r = svc_frame(frames[i].misalign, frames[i].basic);
    printf("svc at sp%%8==%lu, %s frame: %lu bytes below sp, xpsr bit9=%lu, exc_return=0x%08lx\n",
           (unsigned long)frames[i].misalign, frames[i].basic ? "basic" : "extended",
           (unsigned long)r, (unsigned long)seen_bit9, (unsigned long)seen_lr);
    ok &= r == frames[i].bytes && seen_bit9 == frames[i].bit9;
  }
  printf("calls: %lu\n", (unsigned long)calls);
  printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 21 : 1;
}
