// The camera row protocol (firmware/app/camera.h, src/emulator/camera.ts): a streaming firmware asks
// for frame rows with the application semihosting call 0x100 and gets exactly those bytes; requests
// outside the frame, empty ones and destinations that are not RAM are refused one by one (-1, errno,
// a refusal line), the firmware runs on and the host does not throw. The detector firmware, which
// streams its frame, stops with one clear status when it gets no frame.
import { describe, expect, it } from 'vitest';
import { architectureOf, layerNames } from '../src/architectures/index.js';
import { buildDetector } from '../src/detector/build.js';
import { CAMERA_SYMBOL, runDetector } from '../src/detector/run.js';
import { CAMERA_ROWS_OP, cameraFrame, cameraRowsProblem } from '../src/emulator/camera.js';
import { SYS, Semihosting } from '../src/emulator/semihosting.js';
import { loadBoard } from '../src/emulator/board.js';
import { loadElf } from '../src/emulator/machine.js';
import { readFileSync } from 'node:fs';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { simulate } from './helpers/run.js';

if (!haveToolchain) console.warn('skipping camera firmware tests: arm-none-eabi-gcc not found');

/** A frame whose every byte says where it is: row r, column c holds (7r + c) mod 256. */
const FRAME = Uint8Array.from({ length: 320 * 240 }, (_, i) => (7 * Math.floor(i / 320) + (i % 320)) & 0xff);

/** FNV-1a 32-bit (the reference figures: offset basis 2166136261, prime 16777619). */
function fnv1a(bytes: Uint8Array): number {
  let h = 2166136261;
  for (const b of bytes) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h;
}

describe('camera requests (host side)', () => {
  const frame = cameraFrame(FRAME, 320, 240);
  it('accepts any range inside the frame and names what is wrong with any other', () => {
    expect(cameraRowsProblem(frame, 0, 240)).toBeNull();
    expect(cameraRowsProblem(frame, 239, 1)).toBeNull();
    expect(cameraRowsProblem(frame, 239, 2)).toBe('rows 239..240 outside the 240-row frame');
    expect(cameraRowsProblem(frame, 240, 1)).toBe('rows 240..240 outside the 240-row frame');
    expect(cameraRowsProblem(frame, 5, 0)).toBe('no rows (from row 5)');
    expect(cameraRowsProblem(frame, 0xffffffff, 2)).toBe(
      'rows 4294967295..4294967296 outside the 240-row frame',
    );
  });
  it('refuses a frame its sizes do not describe', () => {
    expect(() => cameraFrame(FRAME, 320, 239)).toThrow('camera frame of 76800 bytes is not 320x239');
    expect(() => cameraFrame(FRAME, 0, 240)).toThrow('camera frame size 0x240 is not positive integers');
  });
});

describe('the camera call in the semihosting dispatch (a guest RAM of 4 KiB, no emulator)', () => {
  const BASE = 0x20000000;
  const ram = new Uint8Array(4096);
  const at = (address: number, length: number) => {
    const o = address - BASE;
    if (o < 0 || o + length > ram.length) throw new Error('unmapped');
    return o;
  };
  const host = (camera?: ReturnType<typeof cameraFrame>) =>
    new Semihosting(
      {
        read: (address, length) => ram.slice(at(address, length), at(address, length) + length),
        write: (address, bytes) => ram.set(bytes, at(address, bytes.length)),
      },
      {
        stdout: () => {},
        stderr: () => {},
        cmdline: 'camera',
        heapInfo: { heapBase: 0, heapLimit: 0, stackBase: 0, stackLimit: 0 },
        elapsedSeconds: () => 0,
        camera,
      },
    );
  const block = (dest: number, first: number, count: number) => {
    new DataView(ram.buffer).setUint32(0, dest, true);
    new DataView(ram.buffer).setUint32(4, first, true);
    new DataView(ram.buffer).setUint32(8, count, true);
    return BASE;
  };

  it('copies exactly the rows asked for and returns 0', () => {
    const sh = host(cameraFrame(FRAME, 320, 240));
    expect(sh.handle(CAMERA_ROWS_OP, block(BASE + 64, 5, 2))).toEqual({ kind: 'return', value: 0 });
    expect([...ram.subarray(64, 64 + 640)]).toEqual([...FRAME.subarray(5 * 320, 7 * 320)]);
    // Row 5, column 0: (7 · 5 + 0) mod 256 = 35; row 6, column 319: (42 + 319) mod 256 = 105.
    expect([ram[64], ram[64 + 639]]).toEqual([35, 105]);
    expect(sh.refused).toEqual([]);
  });

  it('refuses a destination past guest RAM before writing anything (EFAULT), and runs on', () => {
    const sh = host(cameraFrame(FRAME, 320, 240));
    ram.fill(0xee, 3000);
    expect(sh.handle(CAMERA_ROWS_OP, block(BASE + 3000, 0, 4))).toEqual({ kind: 'return', value: -1 });
    expect(sh.handle(SYS.ERRNO, 0)).toEqual({ kind: 'return', value: 14 });
    expect(ram.subarray(3000).every((b) => b === 0xee)).toBe(true);
    expect(sh.refused).toEqual(['M4SIM_CAMERA_ROWS destination at 0x20000bb8 (1280 bytes) is not in RAM']);
  });
});

describe.skipIf(!haveToolchain)('camera requests from firmware', () => {
  const elf = haveToolchain ? buildTestFirmware('camera-rows') : '';

  it('streams the whole frame in rows, refuses each hostile request and runs on', () => {
    const run = simulate(elf, { camera: cameraFrame(FRAME, 320, 240) });
    expect(run.result.exit).toMatchObject({ reason: 'exit', code: 0 });
    const hash = fnv1a(FRAME).toString(16).padStart(8, '0');
    // errno: EINVAL 22 for a range, EFAULT 14 for memory (src/emulator/semihosting.ts).
    expect(run.output).toBe(
      [
        `frame in rows: 0 fnv1a ${hash}`,
        'the last row: 0 errno 0',
        'rows 239..240: -1 errno 22',
        'row 240: -1 errno 22',
        'no rows: -1 errno 22',
        'rows 0xffffffff..0: -1 errno 22',
        '2^31 rows: -1 errno 22',
        'into flash: -1 errno 14',
        'past the end of RAM: -1 errno 14',
        'into unmapped memory: -1 errno 14',
        'block in unmapped memory: -1 errno 14',
        'buffer untouched: 1',
        '',
      ].join('\n'),
    );
    expect(run.result.semihosting.refused).toEqual([
      'M4SIM_CAMERA_ROWS rows 239..240 outside the 240-row frame',
      'M4SIM_CAMERA_ROWS rows 240..240 outside the 240-row frame',
      'M4SIM_CAMERA_ROWS no rows (from row 0)',
      'M4SIM_CAMERA_ROWS rows 4294967295..4294967296 outside the 240-row frame',
      'M4SIM_CAMERA_ROWS rows 1..2147483648 outside the 240-row frame',
      'M4SIM_CAMERA_ROWS destination at 0x8000000 (320 bytes) is not in RAM',
      'M4SIM_CAMERA_ROWS destination at 0x2003ff9c (320 bytes) is not in RAM',
      'M4SIM_CAMERA_ROWS destination at 0x30000000 (320 bytes) is not in RAM',
      'M4SIM_CAMERA_ROWS parameter block at 0x30000000 (4 bytes) is not in flash or RAM',
    ]);
  });

  it('without a frame, every request is refused with ENOSYS (88)', () => {
    const run = simulate(elf, {});
    expect(run.result.exit).toMatchObject({ reason: 'exit', code: 0 });
    expect(run.output.split('\n')[1]).toBe('the last row: -1 errno 88');
    expect(run.result.semihosting.refused[0]).toBe('M4SIM_CAMERA_ROWS (the run has no camera frame)');
  });
});

describe.skipIf(!haveToolchain)('the detector firmware streams its frame', () => {
  const build = haveToolchain ? buildDetector() : null;

  it('has the camera call, and the frame is not preloaded into its arena', () => {
    const elf = loadElf(readFileSync(build!.elf), build!.elf);
    expect(elf.symbol(CAMERA_SYMBOL)).toBeDefined();
    // The arena is smaller than a frame's rows plus the conv output: it cannot hold the frame whole
    // next to the tensors (face-m4.ts: 121,088 bytes).
    expect(elf.symbol('m4sim_input')!.size).toBe(121_088);
  });

  it('stops at its first row request with status 3 and one refusal when the run has no frame', () => {
    const board = loadBoard('m4-256k');
    const names = layerNames(architectureOf(build!.model));
    // A machine run without the camera: the ordinary firmware run, as `m4sim simulate detector.elf`.
    const run = simulate(build!.elf, { board });
    expect(run.result.exit).toMatchObject({ reason: 'exit', code: 3 });
    expect(run.result.semihosting.refused).toEqual(['M4SIM_CAMERA_ROWS (the run has no camera frame)']);
    // Layer 1 (conv) began and never ended.
    expect(run.result.itm.filter((e) => e.port === 1 || e.port === 2).map((e) => [e.port, e.value])).toEqual([
      [1, 1],
    ]);
    // With the frame, the same firmware runs to the end.
    const ok = runDetector(build!.elf, new Int8Array(76800), { board, layerNames: names, maxBoxes: 750 });
    expect(ok.result.exit).toMatchObject({ reason: 'exit', code: 0 });
    expect(ok.result.semihosting.refused).toEqual([]);
  });
});
