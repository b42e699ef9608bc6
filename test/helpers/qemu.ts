// Runs an ELF in QEMU (Debian's qemu-system-arm, QEMU 7.2) as an independent oracle for the
// exception model: mps2-an386 is an MPS2 board with a Cortex-M4 (FPU, NVIC, SysTick), the firmware
// linked with test/firmware/qemu-mps2-an386.ld, output and exit through semihosting (rdimon).
// `-icount shift=0,sleep=off` makes QEMU's virtual clock count instructions (1 ns each), so SysTick
// and WFI wake-ups happen at the same instruction on every run; the firmwares only print what does not
// depend on timing anyway. Every run is bounded: killed after `timeoutMs` (default 10 s).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { FIRMWARE_DIR } from './firmware.js';

export const QEMU = 'qemu-system-arm';
/** The linker script for QEMU's mps2-an386 (code at 0x00000000, SRAM at 0x20000000). */
export const QEMU_LINKER_SCRIPT = join(FIRMWARE_DIR, 'qemu-mps2-an386.ld');

/** True when qemu-system-arm runs here (use with `describe.skipIf(!haveQemu)`). */
export const haveQemu = spawnSync(QEMU, ['--version'], { stdio: 'ignore' }).status === 0;

export interface QemuRun {
  /** QEMU's exit status: the firmware's SYS_EXIT_EXTENDED status; null when it was killed. */
  status: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export function runQemu(elf: string, timeoutMs = 10_000): QemuRun {
  const r = spawnSync(
    QEMU,
    [
      '-M',
      'mps2-an386',
      '-cpu',
      'cortex-m4',
      '-nographic',
      '-monitor',
      'none',
      '-serial',
      'none',
      '-icount',
      'shift=0,sleep=off',
      '-semihosting-config',
      'enable=on,target=native',
      '-kernel',
      elf,
    ],
    { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', input: '' },
  );
  const timedOut = r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', timedOut };
}
