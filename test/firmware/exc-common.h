// Shared by the exception test firmwares (exc-*.c): System Control Space registers (ARMv7-M ARM
// DDI 0403 B3.2 SCB, B3.3 SysTick, B3.4 NVIC) and a small event log printed at the end, so that
// nothing is printed from a handler (newlib's stdio is not reentrant). Every program builds twice,
// for m4sim (firmware/board/m4-256k.ld) and for QEMU's mps2-an386 (test/firmware/qemu-mps2-an386.ld).
#ifndef EXC_COMMON_H
#define EXC_COMMON_H
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define REG8(a) (*(volatile uint8_t *)(a))

/* B3.2.2 System control block. */
#define SCB_ICSR REG(0xE000ED04u)
#define SCB_VTOR REG(0xE000ED08u)
#define SCB_AIRCR REG(0xE000ED0Cu)
#define SCB_CCR REG(0xE000ED14u)
#define SCB_SHPR(n) REG8(0xE000ED18u + (n) - 4) /* system handler n (4..15) priority byte */
#define SCB_SHCSR REG(0xE000ED24u)
#define SCB_CFSR REG(0xE000ED28u)
#define SCB_HFSR REG(0xE000ED2Cu)
#define SCB_MMFAR REG(0xE000ED34u)
#define SCB_BFAR REG(0xE000ED38u)
#define ICSR_PENDSVSET (1u << 28)
#define ICSR_PENDSTSET (1u << 26)
#define ICSR_VECTACTIVE 0x1FFu
#define CCR_STKALIGN (1u << 9)

/* B3.3 SysTick. */
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)
#define CSR_ENABLE 1u
#define CSR_TICKINT 2u
#define CSR_CLKSOURCE 4u
#define CSR_COUNTFLAG (1u << 16)

/* B3.4 NVIC. */
#define NVIC_ISER(n) REG(0xE000E100u + 4 * (n))
#define NVIC_ICER(n) REG(0xE000E180u + 4 * (n))
#define NVIC_ISPR(n) REG(0xE000E200u + 4 * (n))
#define NVIC_ICPR(n) REG(0xE000E280u + 4 * (n))
#define NVIC_IABR(n) REG(0xE000E300u + 4 * (n))
#define NVIC_IPR(irq) REG8(0xE000E400u + (irq))
#define NVIC_STIR REG(0xE000EF00u)

static inline uint32_t get_ipsr(void) {
  uint32_t v;
  __asm__ volatile("mrs %0, ipsr" : "=r"(v));
  return v;
}
static inline uint32_t get_control(void) {
  uint32_t v;
  __asm__ volatile("mrs %0, control" : "=r"(v));
  return v;
}
static inline uint32_t get_basepri(void) {
  uint32_t v;
  __asm__ volatile("mrs %0, basepri" : "=r"(v));
  return v;
}
static inline void set_basepri(uint32_t v) { __asm__ volatile("msr basepri, %0" ::"r"(v) : "memory"); }
static inline void set_basepri_max(uint32_t v) {
  __asm__ volatile("msr basepri_max, %0" ::"r"(v) : "memory");
}
static inline uint32_t get_primask(void) {
  uint32_t v;
  __asm__ volatile("mrs %0, primask" : "=r"(v));
  return v;
}
static inline void barrier(void) { __asm__ volatile("dsb\n\tisb" ::: "memory"); }

/* The event log: handlers append short words, main prints them at the end. */
#define LOG_MAX 64
static const char *volatile event_log[LOG_MAX];
static volatile unsigned event_count;
static inline void note(const char *what) {
  if (event_count < LOG_MAX) event_log[event_count] = what;
  event_count = event_count + 1;
}
__attribute__((unused)) static void print_log(const char *title) {
  printf("%s:", title);
  for (unsigned i = 0; i < event_count && i < LOG_MAX; i++) printf(" %s", event_log[i]);
  printf("\n");
  event_count = 0;
}
#endif
