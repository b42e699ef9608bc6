// Call shapes GCC emits, for the shadow call stack, built at -O0, -O2, -O3 and -Os by the tests.
// noipa keeps every function whole at every level (no inlining, cloning or IPA-SRA), so the call
// counts below hold at all of them; what changes is how the compiler calls and returns: at -O2 and
// above `return leaf(...)` becomes a sibling call (b leaf), `return f(x)` through a pointer an
// indirect one (bx r3), switches jump tables, epilogues pop {…, pc} or ldr pc, [sp], #4.
//
// Hand counts over the run (tail-called code belongs to the tail-caller's caller, as in gprof):
//   main 1; tail 3, tail_cond 3, via_pointer 3, call_pointer 3, dispatch 3, try_jump 3, after_jump 3
//   leaf 3 (tail) + 1 (tail_cond, i = 1) + 3 (via_pointer) + 3 (call_pointer) = 10
//   rec 3 × 5 (rec(4) … rec(0)) = 15; jumper 3 × 4 (jumper(3) … jumper(0)) = 12, which longjmps
//   SVC_Handler 3 (svc #0), handler_work 3; deep_chain 1, deepest 1 (the deepest stack point: 4 KiB)
#include <setjmp.h>
#include <stdio.h>

#define NOIPA __attribute__((noipa))

volatile int sink;
static jmp_buf env;

typedef int (*fn_t)(int);

NOIPA int leaf(int x) { return x * 3 + 1; }

NOIPA int tail(int x) { return leaf(x + 1); }

NOIPA int tail_cond(int x) {
  if (x & 1) return leaf(x);
  return x - 1;
}

NOIPA int via_pointer(fn_t f, int x) { return f(x); }

NOIPA int call_pointer(fn_t f, int x) {
  int r = f(x);
  sink = r;
  return r + 1;
}

NOIPA int rec(int n) {
  if (n == 0) return 0;
  int r = rec(n - 1);
  sink = r;
  return r + n;
}

NOIPA int dispatch(int k) {
  switch (k + sink % 2) {
    case 0: return 11;
    case 1: return 23;
    case 2: return 37;
    case 3: return 41;
    case 4: return 53;
    case 5: return 67;
    default: return 0;
  }
}

volatile int always = 1;

NOIPA void jumper(int depth) {
  if (depth == 0) {
    if (always) longjmp(env, 1);
    return;  // never: a path that returns keeps -Winfinite-recursion quiet
  }
  jumper(depth - 1);
  sink = depth;
}

NOIPA void after_jump(void) { sink = 7; }

NOIPA void try_jump(void) {
  if (setjmp(env) == 0) jumper(3);
  after_jump();
}

NOIPA void handler_work(void) { sink = sink + 1; }

void SVC_Handler(void) { handler_work(); }

NOIPA void deepest(void) {
  volatile char buf[4096];
  buf[0] = 1;
  buf[4095] = 2;
  sink = buf[0] + buf[4095];
}

NOIPA void deep_chain(void) {
  deepest();
  sink = 1;
}

int main(void) {
  for (int i = 0; i < 3; i++) {
    sink = tail(i);
    sink = tail_cond(i);
    sink = via_pointer(leaf, i);
    sink = call_pointer(leaf, i);
    sink = rec(4);
    sink = dispatch(i);
    try_jump();
    __asm volatile("svc #0" ::: "memory");
  }
  deep_chain();
  printf("sink %d\n", sink);
  return 0;
}
