// Engine experiment (bench/engine.mjs builds and runs it): one benchmark ELF of bench/firmware.mjs
// run in Unicorn alone — no m4sim, no JavaScript — with the memory set up one of several ways the
// public API allows, to see whether any of them avoids Unicorn 2.0.1's store slow path (README
// "Engine"). Prints the CPU seconds of the emulation. Variants:
//   map      uc_mem_map for flash and RAM (what m4sim does)
//   ptr      uc_mem_map_ptr: RAM and flash backed by our own buffers
//   noexec   RAM mapped read/write only (no UC_PROT_EXEC)
//   page4k   uc_ctl_set_page_size(4096) before mapping (ARM's default target page is 1 KiB)
//   mmio     RAM as uc_mmio_map with C callbacks on our buffer (no RAM block, so no dirty tracking)
//   hook     map, plus an empty native UC_HOOK_BLOCK callback: what the block hook costs the engine
// The firmware's semihosting (rdimon start-up and printf) is answered just enough to run: open,
// close, write, istty, flen, heapinfo, exit. Only for our own bench ELFs (m4-256k layout).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unicorn/unicorn.h>

#define FLASH 0x08000000u
#define FLASH_SIZE (1u << 20)
#define RAM 0x20000000u
#define RAM_SIZE (256u << 10)

static uint8_t *ram_buf, *flash_buf;
static int done;
static long long blocks;

static uint64_t mmio_read(uc_engine *uc, uint64_t off, unsigned size, void *user) {
  uint64_t v = 0;
  memcpy(&v, ram_buf + off, size);
  return v;
}
static void mmio_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *user) {
  memcpy(ram_buf + off, &v, size);
}
static void block_cb(uc_engine *uc, uint64_t a, uint32_t s, void *u) { blocks++; }

static uint32_t rd32(uc_engine *uc, uint32_t a) {
  uint32_t v = 0;
  uc_mem_read(uc, a, &v, 4);
  return v;
}

static void semihosting(uc_engine *uc, uint32_t intno, void *user) {
  uint32_t pc, op, arg, ret = 0;
  uc_reg_read(uc, UC_ARM_REG_PC, &pc);
  uc_reg_read(uc, UC_ARM_REG_R0, &op);
  uc_reg_read(uc, UC_ARM_REG_R1, &arg);
  if (intno != 7) {  // EXCP_BKPT
    fprintf(stderr, "CPU exception %u at %08x\n", intno, pc);
    done = 2;
    uc_emu_stop(uc);
    return;
  }
  switch (op) {
    case 0x01: ret = 1; break;  // SYS_OPEN
    case 0x05: {                // SYS_WRITE
      uint32_t buf = rd32(uc, arg + 4), len = rd32(uc, arg + 8);
      char text[4096];
      if (len > sizeof text) len = sizeof text;
      uc_mem_read(uc, buf, text, len);
      fwrite(text, 1, len, stdout);
      break;
    }
    case 0x09: ret = 1; break;  // SYS_ISTTY
    case 0x16: {                // SYS_HEAPINFO
      uint32_t info[4] = {0, 0, RAM + RAM_SIZE, 0};
      uc_mem_write(uc, rd32(uc, arg), info, sizeof info);
      break;
    }
    case 0x18:  // SYS_EXIT
    case 0x20:  // SYS_EXIT_EXTENDED
      done = 1;
      uc_emu_stop(uc);
      return;
    case 0x02:  // SYS_CLOSE
    case 0x0c:  // SYS_FLEN
      break;
    default: ret = (uint32_t)-1; break;
  }
  uc_reg_write(uc, UC_ARM_REG_R0, &ret);
  pc = (pc + 2) | 1;
  uc_reg_write(uc, UC_ARM_REG_PC, &pc);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: engine ELF map|ptr|noexec|page4k|mmio|hook\n");
    return 64;
  }
  const char *variant = argv[2];
  FILE *f = fopen(argv[1], "rb");
  if (!f) { perror(argv[1]); return 66; }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *elf = malloc(n);
  if (fread(elf, 1, n, f) != (size_t)n || n < 52 || memcmp(elf, "\177ELF\1\1", 6) != 0) {
    fprintf(stderr, "%s: not a 32-bit little-endian ELF\n", argv[1]);
    return 65;
  }
  fclose(f);
  uc_engine *uc;
  uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &uc);
  uc_ctl_set_cpu_model(uc, UC_CPU_ARM_CORTEX_M4);
  if (!strcmp(variant, "page4k") && uc_ctl_set_page_size(uc, 4096) != UC_ERR_OK) return 70;
  ram_buf = aligned_alloc(65536, RAM_SIZE);
  flash_buf = aligned_alloc(65536, FLASH_SIZE);
  memset(ram_buf, 0, RAM_SIZE);
  memset(flash_buf, 0, FLASH_SIZE);
  uc_err err;
  if (!strcmp(variant, "ptr")) {
    err = uc_mem_map_ptr(uc, FLASH, FLASH_SIZE, UC_PROT_READ | UC_PROT_EXEC, flash_buf);
    if (!err) err = uc_mem_map_ptr(uc, RAM, RAM_SIZE, UC_PROT_ALL, ram_buf);
  } else {
    err = uc_mem_map(uc, FLASH, FLASH_SIZE, UC_PROT_READ | UC_PROT_EXEC);
    if (!err && !strcmp(variant, "mmio")) err = uc_mmio_map(uc, RAM, RAM_SIZE, mmio_read, NULL, mmio_write, NULL);
    else if (!err) err = uc_mem_map(uc, RAM, RAM_SIZE, !strcmp(variant, "noexec") ? UC_PROT_READ | UC_PROT_WRITE : UC_PROT_ALL);
  }
  if (!err) err = uc_mem_map(uc, 0xE0000000u, 0x100000, UC_PROT_ALL);  // the PPB as plain memory
  if (err) {
    fprintf(stderr, "mapping: %s\n", uc_strerror(err));
    return 70;
  }
  // PT_LOAD segments at their physical (load) addresses, as m4sim loads them.
  const uint32_t phoff = *(uint32_t *)(elf + 28);
  const uint16_t phentsize = *(uint16_t *)(elf + 42), phnum = *(uint16_t *)(elf + 44);
  for (int i = 0; i < phnum; i++) {
    if (phoff + (uint64_t)(i + 1) * phentsize > (uint64_t)n) return 65;
    const uint32_t *ph = (const uint32_t *)(elf + phoff + i * phentsize);
    if (ph[0] != 1 || ph[4] == 0) continue;
    if ((uint64_t)ph[1] + ph[4] > (uint64_t)n) return 65;
    if (!strcmp(variant, "mmio") && ph[3] >= RAM && ph[3] + ph[4] <= RAM + RAM_SIZE)
      memcpy(ram_buf + (ph[3] - RAM), elf + ph[1], ph[4]);
    else if (uc_mem_write(uc, ph[3], elf + ph[1], ph[4]) != UC_ERR_OK)
      return 65;
  }
  uc_hook h;
  uc_hook_add(uc, &h, UC_HOOK_INTR, semihosting, NULL, 1, 0);
  if (!strcmp(variant, "hook")) uc_hook_add(uc, &h, UC_HOOK_BLOCK, block_cb, NULL, 1, 0);
  uint32_t sp = rd32(uc, FLASH), pc = rd32(uc, FLASH + 4);
  uc_reg_write(uc, UC_ARM_REG_SP, &sp);
  const clock_t c0 = clock();
  while (!done) {
    err = uc_emu_start(uc, pc | 1, 0xffffffff, 0, 0);
    if (err) {
      fprintf(stderr, "emu_start: %s\n", uc_strerror(err));
      return 70;
    }
    uc_reg_read(uc, UC_ARM_REG_PC, &pc);
  }
  printf("%s %.3f s cpu\n", variant, (double)(clock() - c0) / CLOCKS_PER_SEC);
  return done == 1 ? 0 : 70;
}
