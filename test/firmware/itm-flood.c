// Floods ITM stimulus port 1 with FLOOD_EVENTS writes (value = index), then writes one event on port 5
// and exits 0. m4sim keeps the first ITM_EVENT_LIMIT events and counts the rest per port.
#include <stdint.h>

#ifndef FLOOD_EVENTS
#define FLOOD_EVENTS 2000000u
#endif

#define ITM_STIM32(n) (*(volatile uint32_t *)(0xE0000000u + 4u * (n)))

int main(void) {
  for (uint32_t i = 0; i < FLOOD_EVENTS; i++) ITM_STIM32(1) = i;
  ITM_STIM32(5) = 0xdeadbeefu;
  return 0;
}
