// STM32F4 clock set-up from reset, the way start-up code does it, written against RM0090: PWR
// voltage scale 1 (5.4.1/5.4.3) and VOSRDY, FLASH 5 wait states with prefetch and caches (3.5.1,
// 3.9.1) checked back, HSE on and HSERDY, the main PLL 8 MHz / PLLM 8 × PLLN 336 / PLLP 2 = 168 MHz
// (PLLQ 7: 48 MHz) and PLLRDY, AHB /1, APB1 /4, APB2 /2, then SW = PLL and SWS polled (6.3.1–6.3.3).
// The store to RCC_CFGR that switches, a DWT CYCCNT read and an ITM port 1 write of that count are
// one straight-line sequence: the ITM event's cycle count is the switch's plus 4 (STR 2 + LDR 2). Then the FLASH
// key sequence (3.5.1) unlocks FLASH_CR and LOCK locks it again. Prints what it reads back; exit 0.
#include <stdint.h>
#include <stdio.h>

#define REG(address) (*(volatile uint32_t *)(address))

#define RCC_CR REG(0x40023800u)
#define RCC_PLLCFGR REG(0x40023804u)
#define RCC_CFGR REG(0x40023808u)
#define RCC_APB1ENR REG(0x40023840u)
#define PWR_CR REG(0x40007000u)
#define PWR_CSR REG(0x40007004u)
#define FLASH_ACR REG(0x40023C00u)
#define FLASH_KEYR REG(0x40023C04u)
#define FLASH_CR REG(0x40023C10u)
#define DEMCR REG(0xE000EDFCu)
#define DWT_CTRL REG(0xE0001000u)
#define DWT_CYCCNT REG(0xE0001004u)
#define ITM_STIM1 REG(0xE0000004u)

#define RCC_CR_HSEON (1u << 16)
#define RCC_CR_HSERDY (1u << 17)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_PLLCFGR_PLLSRC_HSE (1u << 22)
#define RCC_CFGR_SW_PLL 2u
#define RCC_CFGR_SWS_MASK (3u << 2)
#define RCC_CFGR_SWS_PLL (2u << 2)
#define RCC_CFGR_PRESCALERS (0xFu << 4 | 7u << 10 | 7u << 13) /* HPRE, PPRE1, PPRE2 */
#define RCC_CFGR_PPRE1_DIV4 (5u << 10)
#define RCC_CFGR_PPRE2_DIV2 (4u << 13)
#define RCC_APB1ENR_PWREN (1u << 28)
#define PWR_CR_VOS_SCALE1 (1u << 14) /* bit 14 on F405/407; VOS[1:0] = 11 on F42x/43x (reset value) */
#define PWR_CSR_VOSRDY (1u << 14)
#define FLASH_ACR_LATENCY_5WS 5u
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ICEN (1u << 9)
#define FLASH_ACR_DCEN (1u << 10)
#define FLASH_CR_LOCK (1u << 31)

int main(void) {
  DEMCR |= 1u << 24; /* TRCENA */
  DWT_CYCCNT = 0;
  DWT_CTRL |= 1u; /* CYCCNTENA */
  printf("reset CR %08lx PLLCFGR %08lx CFGR %08lx\n", (unsigned long)RCC_CR, (unsigned long)RCC_PLLCFGR,
         (unsigned long)RCC_CFGR);

  RCC_APB1ENR |= RCC_APB1ENR_PWREN;
  (void)RCC_APB1ENR; /* read back: the clock is on before PWR is accessed */
  PWR_CR |= PWR_CR_VOS_SCALE1;
  while ((PWR_CSR & PWR_CSR_VOSRDY) == 0) {
  }

  FLASH_ACR = FLASH_ACR_LATENCY_5WS | FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN;
  while ((FLASH_ACR & 0xFu) != FLASH_ACR_LATENCY_5WS) {
  }

  RCC_CR |= RCC_CR_HSEON;
  while ((RCC_CR & RCC_CR_HSERDY) == 0) {
  }
  RCC_PLLCFGR = 8u | 336u << 6 | 0u << 16 | RCC_PLLCFGR_PLLSRC_HSE | 7u << 24;
  RCC_CR |= RCC_CR_PLLON;
  while ((RCC_CR & RCC_CR_PLLRDY) == 0) {
  }
  RCC_CFGR = (RCC_CFGR & ~RCC_CFGR_PRESCALERS) | RCC_CFGR_PPRE1_DIV4 | RCC_CFGR_PPRE2_DIV2;

  uint32_t cfgr = (RCC_CFGR & ~3u) | RCC_CFGR_SW_PLL;
  uint32_t at;
  __asm__ volatile(
      "str %[cfgr], [%[rcc_cfgr]]\n\t"
      "ldr %[at], [%[cyccnt]]\n\t"
      "str %[at], [%[itm]]"
      : [at] "=&r"(at)
      : [cfgr] "r"(cfgr), [rcc_cfgr] "r"(&RCC_CFGR), [cyccnt] "r"(&DWT_CYCCNT), [itm] "r"(&ITM_STIM1)
      : "memory");
  while ((RCC_CFGR & RCC_CFGR_SWS_MASK) != RCC_CFGR_SWS_PLL) {
  }

  printf("PWR CR %08lx CSR %08lx\n", (unsigned long)PWR_CR, (unsigned long)PWR_CSR);
  printf("FLASH ACR %08lx\n", (unsigned long)FLASH_ACR);
  printf("RCC CR %08lx PLLCFGR %08lx CFGR %08lx\n", (unsigned long)RCC_CR, (unsigned long)RCC_PLLCFGR,
         (unsigned long)RCC_CFGR);

  uint32_t locked = FLASH_CR;
  FLASH_KEYR = 0x45670123u;
  FLASH_KEYR = 0xCDEF89ABu;
  uint32_t unlocked = FLASH_CR;
  FLASH_CR = FLASH_CR_LOCK;
  printf("FLASH CR %08lx unlocked %08lx locked %08lx\n", (unsigned long)locked, (unsigned long)unlocked,
         (unsigned long)FLASH_CR);
  return 0;
}
