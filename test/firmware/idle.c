// Start-up code in the style of vendor templates: main returns into `LoopForever: b LoopForever`.
// No semihosting exit: the simulator must see the idle loop and stop instead of running forever.
extern unsigned _estack;

volatile int counter;

int main(void) {
  for (int i = 0; i < 100; i++) counter += i;
  return 0;
}

__attribute__((noreturn)) void Reset_Handler(void) {
  main();
  for (;;) {
  }
}

typedef void (*vector_t)(void);

__attribute__((section(".isr_vector"), used)) const vector_t vectors[2] = {
    (vector_t)(unsigned)&_estack,
    Reset_Handler,
};
