// The STM32 HAL's 1 kHz time base on SysTick, written here the way the HAL does it (no vendor code):
// HAL_InitTick → SysTick_Config(SystemCoreClock / 1000): LOAD = 168,000 − 1 = 167,999 at 168 MHz,
// VAL = 0, CTRL = CLKSOURCE | TICKINT | ENABLE (ARMv7-M ARM B3.3), the lowest priority;
// SysTick_Handler → HAL_IncTick: uwTick += 1. HAL_Delay(Delay) waits until uwTick − tickstart ≥
// Delay + 1 (it adds one tick so the wait is at least Delay ms whatever the phase), so HAL_Delay(10)
// returns at the 11th tick after it read tickstart: 11 ms when called just after a tick, a little
// over 10 ms when called just before one. Both are measured with DWT CYCCNT.
#include <stdint.h>
#include <stdio.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)
#define SCB_SHPR3 REG(0xE000ED20u)
#define DEMCR REG(0xE000EDFCu)
#define DWT_CTRL REG(0xE0001000u)
#define DWT_CYCCNT REG(0xE0001004u)

#define SYSTEM_CORE_CLOCK 168000000u
#define HAL_MAX_DELAY 0xFFFFFFFFu

static volatile uint32_t uwTick;

void SysTick_Handler(void) { uwTick += 1; }

static uint32_t HAL_GetTick(void) { return uwTick; }

static void HAL_Delay(uint32_t Delay) {
  uint32_t tickstart = HAL_GetTick();
  uint32_t wait = Delay;
  if (wait < HAL_MAX_DELAY) wait += 1; /* uwTickFreq: 1 kHz */
  while ((HAL_GetTick() - tickstart) < wait) {
  }
}

static uint32_t SysTick_Config(uint32_t ticks) {
  if (ticks - 1u > 0xFFFFFFu) return 1;
  SYST_RVR = ticks - 1u;
  SCB_SHPR3 = (SCB_SHPR3 & 0x00FFFFFFu) | (0xF0u << 24); /* SysTick: priority 15 of 4 bits */
  SYST_CVR = 0;
  SYST_CSR = 7; /* CLKSOURCE | TICKINT | ENABLE */
  return 0;
}

int main(void) {
  printf("stm32-hal-tick\n");
  DEMCR |= 1u << 24; /* TRCENA */
  DWT_CTRL |= 1u;    /* CYCCNTENA */
  if (SysTick_Config(SYSTEM_CORE_CLOCK / 1000u) != 0) return 1;
  printf("load %lu\n", (unsigned long)SYST_RVR);

  /* Just after a tick: wait for uwTick to change, then HAL_Delay(10). */
  uint32_t k = uwTick;
  while (uwTick == k) {
  }
  uint32_t start = uwTick;
  uint32_t t0 = DWT_CYCCNT;
  HAL_Delay(10);
  uint32_t t1 = DWT_CYCCNT;
  uint32_t after = uwTick;

  /* Just before a tick: wait until the counter is within 200 cycles of its wrap. */
  while (SYST_CVR > 200u) {
  }
  uint32_t start2 = uwTick;
  uint32_t t2 = DWT_CYCCNT;
  HAL_Delay(10);
  uint32_t t3 = DWT_CYCCNT;
  uint32_t after2 = uwTick;

  printf("after a tick: uwTick %lu -> %lu, %lu cycles\n", (unsigned long)start, (unsigned long)after,
         (unsigned long)(t1 - t0));
  printf("before a tick: uwTick %lu -> %lu, %lu cycles\n", (unsigned long)start2,
         (unsigned long)after2, (unsigned long)(t3 - t2));
  return 0;
}
