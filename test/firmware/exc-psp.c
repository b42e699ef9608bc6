// The two stack pointers and privilege (ARMv7-M ARM B1.4.4 CONTROL, B1.5.6 entry, B1.5.8 return):
// main switches Thread mode to PSP (CONTROL.SPSEL = 1); an SVC then stacks its frame on PSP, LR is
// EXC_RETURN 0xFFFFFFFD (thread, PSP, basic frame: FPCA cleared first) and the handler runs on MSP.
// With CONTROL.nPRIV = 1, MSR CONTROL and CPSID are ignored (B5.2.3, B5.2.1) and an SVC handler
// (privileged) gives privilege back. Exits 29 when every check passed.
#include <stdlib.h>
#include "exc-common.h"

static uint64_t process_stack[128];
static volatile uint32_t h_lr, h_psp, h_msp, h_sp, h_frame_r0, h_control;

static inline uint32_t get_psp(void) {
  uint32_t v;
  __asm__ volatile("mrs %0, psp" : "=r"(v));
  return v;
}
static inline uint32_t get_msp(void) {
  uint32_t v;
  __asm__ volatile("mrs %0, msp" : "=r"(v));
  return v;
}
static inline uint32_t get_sp(void) {
  uint32_t v;
  __asm__ volatile("mov %0, sp" : "=r"(v));
  return v;
}
static inline void set_control(uint32_t v) {
  __asm__ volatile("msr control, %0\n\tisb" ::"r"(v) : "memory");
}

void svc_body(uint32_t *frame, uint32_t exc_return) {
  h_lr = exc_return;
  h_psp = get_psp();
  h_msp = get_msp();
  h_sp = get_sp();
  h_control = get_control();
  h_frame_r0 = frame[0];
  uint32_t imm = ((const uint16_t *)frame[6])[-1] & 0xFFu;
  if (imm == 6) set_control(get_control() & ~1u); /* back to privileged */
  frame[0] = (uint32_t)frame;
}

__attribute__((naked)) void SVC_Handler(void) {
  __asm__ volatile(
      "tst lr, #4\n"
      "ite eq\n"
      "mrseq r0, msp\n"
      "mrsne r0, psp\n"
      "mov r1, lr\n"
      "b svc_body\n");
}

/*
 * In asm, so no compiler-generated stack access happens while Thread mode is on PSP: out[0] = SP
 * after the switch, out[1] = CONTROL, out[2] = what SVC #5 returned in r0 (its frame's address),
 * out[3] = SP after the SVC returned. Back on MSP at the end.
 */
__attribute__((naked, noinline)) void psp_probe(uint32_t top, uint32_t *out) {
  __asm__ volatile(
      "push {r4, lr}\n"
      "mov r4, r1\n"
      "msr psp, r0\n"
      "movs r2, #2\n"
      "msr control, r2\n"
      "isb\n"
      "mov r2, sp\n"
      "str r2, [r4, #0]\n"
      "mrs r2, control\n"
      "str r2, [r4, #4]\n"
      "movw r0, #0x1234\n"
      "svc #5\n"
      "str r0, [r4, #8]\n"
      "mov r2, sp\n"
      "str r2, [r4, #12]\n"
      "movs r2, #0\n"
      "msr control, r2\n"
      "isb\n"
      "pop {r4, pc}\n");
  (void)top;
  (void)out;
}

static void svc6(void) { __asm__ volatile("svc #6" ::: "r0", "memory"); }

int main(void) {
  int ok = 1;
  printf("exc-psp\n");
  uint32_t top = (uint32_t)&process_stack[128];
  uint32_t msp_before = get_msp();
  uint32_t out[4];
  psp_probe(top, out);
  uint32_t sp_on_psp = out[0], control_psp = out[1], frame = out[2], sp_after = out[3];
  uint32_t msp_after = get_msp();
  printf("thread on psp: sp==top %s, control=%lu\n", sp_on_psp == top ? "yes" : "no",
         (unsigned long)control_psp);
  printf("svc from psp: exc_return=0x%08lx frame==psp-32 %s, r0=0x%lx, handler sp==msp %s, "
         "handler control=%lu\n",
         (unsigned long)h_lr, frame == top - 32 && h_psp == frame ? "yes" : "no",
         (unsigned long)h_frame_r0, h_sp == h_msp ? "yes" : "no", (unsigned long)h_control);
  printf("psp restored after return: %s, msp unchanged: %s\n", sp_after == top ? "yes" : "no",
         msp_after == msp_before ? "yes" : "no");
  ok &= sp_on_psp == top && control_psp == 2 && h_lr == 0xFFFFFFFDu && frame == top - 32 &&
        h_frame_r0 == 0x1234 && h_sp == h_msp && h_control == 0 && sp_after == top &&
        msp_after == msp_before;

  /* Unprivileged Thread mode (on MSP). */
  set_control(1);
  uint32_t c1 = get_control();
  set_control(0); /* ignored: unprivileged */
  uint32_t c2 = get_control();
  __asm__ volatile("cpsid i" ::: "memory"); /* ignored: unprivileged */
  uint32_t pm = get_primask();
  svc6(); /* the handler clears nPRIV */
  uint32_t c3 = get_control();
  printf("unprivileged: control=%lu, after msr control,0: %lu, primask after cpsid: %lu, "
         "after svc #6: %lu\n",
         (unsigned long)c1, (unsigned long)c2, (unsigned long)pm, (unsigned long)c3);
  ok &= c1 == 1 && c2 == 1 && pm == 0 && c3 == 0;
  printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 29 : 1;
}
