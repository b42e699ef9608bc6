// Runs the detector firmware on one frame: writes the frame and the control block before reset,
// runs it in the emulator, and reads back the raw head outputs, the boxes, and per-layer checksums
// and cycles (from the ITM layer markers).
import type { Board } from '../emulator/board.js';
import type { Elf } from '../elf/elf.js';
import { INPUT_LIMITS, readInputFile } from '../util/input-file.js';
import { cameraFrame } from '../emulator/camera.js';
import { loadElf, runFirmware, type RunResult } from '../emulator/machine.js';
import type { Box } from '../reference/postprocess.js';
import {
  controlBlock,
  OUTPUT_BYTES,
  OUTPUT_MAGIC,
  parseOutputBlock,
  type DetectorOutputBlock,
} from './abi.js';

export const FRAME_WIDTH = 320;
export const FRAME_HEIGHT = 240;
export const FRAME_BYTES = FRAME_WIDTH * FRAME_HEIGHT;
/** The camera row request (firmware/app/camera.c): its presence marks a firmware that streams the frame. */
export const CAMERA_SYMBOL = 'm4sim_camera_rows';
/** Box score threshold when none is given: 0.5 in Q15. */
export const DEFAULT_THRESHOLD_Q15 = 16384;

export interface LayerRun {
  id: number;
  name: string;
  checksum: number;
  /** Modeled cycles from the layer's begin marker to its end marker. */
  cycles: number;
  /** The layer's output as it was when the run ended (valid for the last layer run, or when not overwritten). */
  tensorAddress: number;
  tensorBytes: number;
}

export interface DetectorRun {
  result: RunResult;
  block: DetectorOutputBlock;
  /** The raw head outputs (model.outputs.count), or empty when the run stopped before them. */
  outputs: Int16Array;
  boxes: Box[];
  layers: LayerRun[];
  /** The arena as the run left it (for reading a stopped layer's tensor). */
  arena: Uint8Array;
  arenaAddress: number;
  output: string;
}

export interface DetectorRunOptions {
  board: Board;
  thresholdQ15?: number;
  /** Most boxes to keep: the architecture's maxBoxes (its firmware's cap) or fewer. */
  maxBoxes: number;
  /** Layer names by id - 1: the architecture's (src/architectures: layerNames). */
  layerNames: readonly string[];
  /** Stop after this layer id; its tensor stays in the arena. */
  stopAfter?: number;
  exact?: boolean;
  clockHz?: number;
  /** Run limits, as for any firmware (`--max-instructions`, `--timeout`). */
  maxInstructions?: number;
  timeoutMs?: number;
  stdout?: (b: Uint8Array) => void;
  /**
   * Called as the firmware writes each layer marker (ITM port 1: begin, port 2: end), while the run
   * is still going; `total` is the number of layer names. For progress displays: keep it cheap.
   */
  onLayer?: LayerListener;
}

export type LayerListener = (id: number, name: string, phase: 'begin' | 'end', total: number) => void;

/** Reads and parses the ELF, then runs it (a session parses once: runParsedDetector). */
export function runDetector(elfPath: string, frame: Int8Array, opts: DetectorRunOptions): DetectorRun {
  const elf = loadElf(readInputFile(elfPath, 'firmware', INPUT_LIMITS.firmware), elfPath);
  return runParsedDetector(elf, frame, opts);
}

export function runParsedDetector(elf: Elf, frame: Int8Array, opts: DetectorRunOptions): DetectorRun {
  const sym = (name: string) => {
    const s = elf.symbol(name);
    if (!s) throw new Error(`${elf.name}: not a detector firmware (no ${name} symbol)`);
    return s;
  };
  const input = sym('m4sim_input');
  // A firmware with the camera call (firmware/app/camera.h) reads the frame in rows as it runs; the
  // others find it whole at m4sim_input (m4sim_abi.h).
  const streamed = elf.symbol(CAMERA_SYMBOL) !== undefined;
  const control = sym('m4sim_control');
  const outSym = sym('m4sim_output');
  if (frame.length !== FRAME_BYTES)
    throw new Error(`frame must be ${FRAME_BYTES} bytes, got ${frame.length}`);
  const frameBytes = new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
  const text: Buffer[] = [];
  const names = opts.layerNames;
  const onLayer = opts.onLayer;
  const result = runFirmware(elf, {
    board: opts.board,
    clockHz: opts.clockHz,
    exact: opts.exact,
    maxInstructions: opts.maxInstructions,
    timeoutMs: opts.timeoutMs,
    stdout: (b) => {
      text.push(Buffer.from(b));
      opts.stdout?.(b);
    },
    stderr: (b) => text.push(Buffer.from(b)),
    onItmEvent: onLayer
      ? (e) => {
          if (e.port === 1 || e.port === 2)
            onLayer(
              e.value,
              names[e.value - 1] ?? `layer${e.value}`,
              e.port === 1 ? 'begin' : 'end',
              names.length,
            );
        }
      : undefined,
    camera: streamed ? cameraFrame(frameBytes, FRAME_WIDTH, FRAME_HEIGHT) : undefined,
    preload: [
      ...(streamed ? [] : [{ address: input.value, bytes: frameBytes }]),
      {
        address: control.value,
        bytes: controlBlock(opts.stopAfter ?? 0, opts.thresholdQ15 ?? DEFAULT_THRESHOLD_Q15, opts.maxBoxes),
      },
    ],
    collect: [
      { name: 'arena', address: input.value, length: input.size },
      { name: 'output', address: outSym.value, length: OUTPUT_BYTES },
    ],
  });
  const arena = result.collected.arena!;
  const block = parseOutputBlock(result.collected.output!);
  const slice = (address: number, bytes: number) => {
    const start = address - input.value;
    if (address === 0 || start < 0 || start + bytes > arena.length) return new Uint8Array(0);
    return arena.slice(start, start + bytes);
  };
  let outputs = new Int16Array(0);
  let boxes: Box[] = [];
  if (block.magic === OUTPUT_MAGIC && block.rawCount > 0) {
    const raw = slice(block.rawAddress, block.rawCount * 2);
    outputs = new Int16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2);
    const b = slice(block.boxAddress, block.boxCount * 12);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    boxes = Array.from({ length: block.boxCount }, (_, i) => ({
      x1: v.getInt16(12 * i, true),
      y1: v.getInt16(12 * i + 2, true),
      x2: v.getInt16(12 * i + 4, true),
      y2: v.getInt16(12 * i + 6, true),
      score: v.getUint16(12 * i + 8, true),
      prior: v.getUint16(12 * i + 10, true),
    }));
  }
  const begins = new Map<number, number>();
  const layers: LayerRun[] = [];
  for (const e of result.itm) {
    if (e.port === 1) begins.set(e.value, e.cycles);
    if (e.port === 2) {
      const id = e.value;
      layers.push({
        id,
        name: names[id - 1] ?? `layer${id}`,
        checksum: block.checksums[id - 1] ?? 0,
        cycles: e.cycles - (begins.get(id) ?? e.cycles),
        tensorAddress: block.tensorAddress[id - 1] ?? 0,
        tensorBytes: block.tensorBytes[id - 1] ?? 0,
      });
    }
  }
  return {
    result,
    block,
    outputs,
    boxes,
    layers,
    arena,
    arenaAddress: input.value,
    output: Buffer.concat(text).toString('utf8'),
  };
}
