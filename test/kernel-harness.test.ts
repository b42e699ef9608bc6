import { describe, expect, it } from 'vitest';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { runKernelFirmware } from './helpers/kernel.js';

describe.skipIf(!haveToolchain)('kernel-test ABI', () => {
  it('input written at m4sim_input survives start-up; m4sim_output is read back after exit', () => {
    const input = new Int16Array(256).map((_, i) => i * 97 - 12000);
    const run = runKernelFirmware(buildTestFirmware('kernel-echo'), new Uint8Array(input.buffer), 512);
    const output = new Int16Array(run.output.buffer, run.output.byteOffset, 256);
    expect([...output]).toEqual([...input].map((v) => (-v << 16) >> 16));
    expect(run.result.sram.otherStatic + run.result.sram.bss).toBeGreaterThanOrEqual(1024);
  });
});
