// Benchmark: branchy control code in the spirit of CoreMark (our own code, not CoreMark's): each
// round walks and reorders a linked list, runs a tokenizer state machine over a text it rewrites,
// multiplies small integer matrices, and folds everything into bitwise CRCs. Built -O3 by
// bench/firmware.mjs. Its blocks are short (GCC 12 -O3: 3.6 instructions per executed block) and it
// calls small functions all the time (one call per 23 instructions): the block hook and the shadow
// call stack run at their most often per instruction. -DROUNDS=N sets the amount of work (default
// 15000: 289 M instructions); prints a checksum and exits 0. The same source built for the host
// (gcc -O2 -DROUNDS=N; no UB: checked with -fsanitize=undefined -fno-sanitize-recover) gives the
// reference checksums: ROUNDS=1 d920a672, 10 849acb4e, 15000 d4a34dbd (test/bench-firmware.test.ts).
#include <stdint.h>
#include <stdio.h>

#ifndef ROUNDS
#define ROUNDS 15000
#endif

#define NOINLINE __attribute__((noinline))

// --- bitwise CRCs (one bit per loop turn: a branch per bit) ------------------------------------

// CRC-16/CCITT-FALSE step over one byte (polynomial 0x1021, MSB first).
NOINLINE static uint16_t crc16_byte(uint16_t crc, uint8_t byte) {
  crc ^= (uint16_t)byte << 8;
  for (int i = 0; i < 8; i++) crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
  return crc;
}

NOINLINE static uint16_t crc16_word(uint16_t crc, uint32_t word) {
  crc = crc16_byte(crc, (uint8_t)word);
  crc = crc16_byte(crc, (uint8_t)(word >> 8));
  crc = crc16_byte(crc, (uint8_t)(word >> 16));
  return crc16_byte(crc, (uint8_t)(word >> 24));
}

// CRC-32 (reflected polynomial 0xEDB88320) over a buffer.
NOINLINE static uint32_t crc32_buf(uint32_t crc, const uint8_t *p, int n) {
  crc = ~crc;
  while (n-- > 0) {
    crc ^= *p++;
    for (int i = 0; i < 8; i++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

// --- linked list -------------------------------------------------------------------------------

#define NODES 48

struct node {
  struct node *next;
  int16_t key;
  int16_t tag;
  int32_t value;
};

static struct node pool[NODES];

static uint32_t rng_state = 0x2545F491u;
NOINLINE static uint32_t rng(void) {
  // xorshift32 (Marsaglia 2003)
  uint32_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  rng_state = x;
  return x;
}

NOINLINE static struct node *list_build(void) {
  struct node *head = 0;
  for (int i = NODES - 1; i >= 0; i--) {
    pool[i].key = (int16_t)(rng() & 0x3ff);
    pool[i].tag = (int16_t)i;
    pool[i].value = (int32_t)(rng() >> 8) - 0x7fffff;
    pool[i].next = head;
    head = &pool[i];
  }
  return head;
}

NOINLINE static struct node *list_find(struct node *head, int16_t key) {
  while (head && head->key != key) head = head->next;
  return head;
}

NOINLINE static struct node *list_reverse(struct node *head) {
  struct node *prev = 0;
  while (head) {
    struct node *next = head->next;
    head->next = prev;
    prev = head;
    head = next;
  }
  return prev;
}

static int by_key(const struct node *a, const struct node *b) {
  return a->key != b->key ? a->key - b->key : a->tag - b->tag;
}

static int by_value(const struct node *a, const struct node *b) {
  return a->value < b->value ? -1 : a->value > b->value ? 1 : a->tag - b->tag;
}

// Insertion sort through a comparison function pointer (an indirect call per comparison).
NOINLINE static struct node *list_sort(struct node *head, int (*cmp)(const struct node *, const struct node *)) {
  struct node *sorted = 0;
  while (head) {
    struct node *n = head;
    head = head->next;
    struct node **at = &sorted;
    while (*at && cmp(*at, n) < 0) at = &(*at)->next;
    n->next = *at;
    *at = n;
  }
  return sorted;
}

// Moves every node whose key is odd behind the others, keeping order in both parts.
NOINLINE static struct node *list_partition(struct node *head) {
  struct node *even = 0, **even_tail = &even, *odd = 0, **odd_tail = &odd;
  for (; head; head = head->next) {
    if (head->key & 1) {
      *odd_tail = head;
      odd_tail = &head->next;
    } else {
      *even_tail = head;
      even_tail = &head->next;
    }
  }
  *odd_tail = 0;
  *even_tail = odd;
  return even;
}

NOINLINE static uint16_t list_work(uint16_t crc, int round) {
  struct node *head = list_build();
  for (int i = 0; i < 8; i++) {
    struct node *n = list_find(head, (int16_t)((round * 7 + i * 131) & 0x3ff));
    crc = crc16_word(crc, n ? (uint32_t)n->tag : 0xffffu);
  }
  head = list_sort(head, (round & 1) ? by_value : by_key);
  head = list_reverse(head);
  head = list_partition(head);
  int i = 0;
  for (struct node *n = head; n; n = n->next, i++)
    if ((i & 7) == 0) crc = crc16_word(crc, (uint32_t)n->value ^ ((uint32_t)n->key << 16));
  return crc;
}

// --- tokenizer state machine -------------------------------------------------------------------

enum state { S_START, S_SIGN, S_INT, S_DOT, S_FRAC, S_EXP, S_EXP_SIGN, S_EXP_INT, S_HEX0, S_HEX, S_BAD, N_STATES };

#define TEXT_LEN 96

static char text[TEXT_LEN + 1] = "12,-7.5e3,0x1F,+.5,abc,9e-2,0x,3.,-,77,1.25e+8,0xdead,--4,6e,0.0,";

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

NOINLINE static enum state next_state(enum state s, char c) {
  switch (s) {
    case S_START:
      if (c == '+' || c == '-') return S_SIGN;
      if (c == '0') return S_HEX0;
      if (is_digit(c)) return S_INT;
      if (c == '.') return S_DOT;
      return S_BAD;
    case S_SIGN:
      if (is_digit(c)) return S_INT;
      if (c == '.') return S_DOT;
      return S_BAD;
    case S_HEX0:
      if (c == 'x' || c == 'X') return S_HEX;
      if (is_digit(c)) return S_INT;
      if (c == '.') return S_FRAC;
      if (c == 'e' || c == 'E') return S_EXP;
      return S_BAD;
    case S_INT:
      if (is_digit(c)) return S_INT;
      if (c == '.') return S_FRAC;
      if (c == 'e' || c == 'E') return S_EXP;
      return S_BAD;
    case S_DOT:
      return is_digit(c) ? S_FRAC : S_BAD;
    case S_FRAC:
      if (is_digit(c)) return S_FRAC;
      if (c == 'e' || c == 'E') return S_EXP;
      return S_BAD;
    case S_EXP:
      if (c == '+' || c == '-') return S_EXP_SIGN;
      return is_digit(c) ? S_EXP_INT : S_BAD;
    case S_EXP_SIGN:
    case S_EXP_INT:
      return is_digit(c) ? S_EXP_INT : S_BAD;
    case S_HEX:
      return is_hex(c) ? S_HEX : S_BAD;
    default:
      return S_BAD;
  }
}

// Counts the tokens of `text` by final state, and the transitions taken.
NOINLINE static uint16_t scan(uint16_t crc, uint32_t counts[N_STATES]) {
  enum state s = S_START;
  uint32_t transitions = 0;
  for (const char *p = text;; p++) {
    char c = *p;
    if (c == ',' || c == 0) {
      counts[s]++;
      s = S_START;
      if (c == 0) break;
      continue;
    }
    enum state t = next_state(s, c);
    transitions += t != s;
    s = t;
  }
  return crc16_word(crc, transitions);
}

// Rewrites one character of the text so that later rounds take other paths.
NOINLINE static void mutate(uint32_t r) {
  static const char alphabet[] = "0123456789+-.eExXaf";
  int at = (int)(r % TEXT_LEN);
  if (text[at] == ',' || text[at] == 0) return;
  text[at] = alphabet[(r >> 8) % (sizeof alphabet - 1)];
}

// --- small matrices ----------------------------------------------------------------------------

#define DIM 6

NOINLINE static void mat_mul(int32_t c[DIM][DIM], const int16_t a[DIM][DIM], const int16_t b[DIM][DIM]) {
  for (int i = 0; i < DIM; i++)
    for (int j = 0; j < DIM; j++) {
      int32_t acc = 0;
      for (int k = 0; k < DIM; k++) acc += (int32_t)a[i][k] * b[k][j];
      c[i][j] = acc;
    }
}

// Keeps bits 4..11 of each product as the next matrix, with its sign, and clamps the diagonal.
NOINLINE static void mat_reduce(int16_t out[DIM][DIM], const int32_t c[DIM][DIM]) {
  for (int i = 0; i < DIM; i++)
    for (int j = 0; j < DIM; j++) {
      int32_t v = c[i][j];
      int16_t bits = (int16_t)((v >> 4) & 0xff);
      if (v < 0) bits = (int16_t)-bits;
      if (i == j && bits > 100) bits = 100;
      out[i][j] = bits;
    }
}

static int16_t ma[DIM][DIM], mb[DIM][DIM];
static int32_t mc[DIM][DIM];

NOINLINE static uint16_t matrix_work(uint16_t crc) {
  mat_mul(mc, ma, mb);
  mat_reduce(ma, mc);
  mat_mul(mc, mb, ma);
  mat_reduce(mb, mc);
  return crc16_word(crc, (uint32_t)mc[0][0] ^ (uint32_t)mc[DIM - 1][DIM - 1]);
}

int main(void) {
  for (int i = 0; i < DIM; i++)
    for (int j = 0; j < DIM; j++) {
      ma[i][j] = (int16_t)((i * 7 + j * 3) % 17 - 8);
      mb[i][j] = (int16_t)((i * 5 + j * 11) % 13 - 6);
    }
  uint16_t crc = 0xffff;
  uint32_t counts[N_STATES] = {0};
  for (int round = 0; round < ROUNDS; round++) {
    crc = list_work(crc, round);
    crc = scan(crc, counts);
    mutate(rng());
    crc = matrix_work(crc);
  }
  uint32_t crc32 = crc32_buf(0, (const uint8_t *)counts, sizeof counts);
  crc32 = crc32_buf(crc32, (const uint8_t *)text, TEXT_LEN);
  printf("rounds %d checksum %08lx\n", ROUNDS, (unsigned long)(crc32 ^ crc));
  return 0;
}
