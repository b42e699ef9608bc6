// Builds the detector firmware for a model and a board: C headers generated from the model file and
// from its architecture's descriptor (m4sim_layers.h: layer ids, arena plan), our kernels, the app
// (firmware/app) and start-up, linked for the board's flash and main SRAM
// (src/toolchain/board-linker.ts). Rebuilt only when the model, the descriptor's header, the sources,
// the flags or the memory map change (compileFirmware hashes its inputs; each model, level and memory
// map has its own folder). A firmware that does not fit the board is refused with the numbers
// (src/detector/fit.ts).
import { createHash } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { loadBoard, type Board } from '../emulator/board.js';
import { loadElf } from '../emulator/machine.js';
import { staticSizes, type Elf } from '../elf/elf.js';
import { generateHeaders, ModelError, parseModelText, type Model } from '../model/index.js';
import { printableFileName } from '../model/names.js';
import { architectureOf, headShifts, LAYERS_HEADER, renderLayersHeader } from '../architectures/index.js';
import { DetectorFitError, fitMessage, fitOfLinked, fitOfOverflow } from './fit.js';
import { linkMemory, memoryKey, writeLinkerScript, type LinkMemory } from '../toolchain/board-linker.js';
import { CompileError, compileFirmware, type CompileOptions } from '../toolchain/toolchain.js';
import { INPUT_LIMITS, readInputFile, readInputText } from '../util/input-file.js';
import { projectRoot } from '../util/paths.js';

export const DEFAULT_MODEL = 'models/face-m4-synthetic.model.json';

export interface DetectorBuild {
  elf: string;
  map: string;
  model: Model;
  modelPath: string;
  /** True when nothing changed and gcc did not run. */
  skipped: boolean;
  /** The ELF, parsed once (the fit check read it; runs reuse it). */
  image: Elf;
  /** The memory map it is linked for. */
  memory: LinkMemory;
  /** Static RAM sections (.data + .bss + .noinit and other static RAM) and flash used, in bytes. */
  staticBytes: number;
  flashBytes: number;
}

/** A model path as given (relative to the working directory), or the shipped default model. */
export function resolveModelPath(modelPath?: string): string {
  if (modelPath === undefined) return join(projectRoot(), DEFAULT_MODEL);
  return isAbsolute(modelPath) ? modelPath : join(process.cwd(), modelPath);
}

/** FastGRNN_Shifts order (firmware/kernels/fastgrnn.c): each divisor as a product of scale fields. */
const FASTGRNN_SHIFT_PRODUCTS: readonly (readonly string[])[] = [
  ['u', 'hiddenStateMVU', 'mVUOut'],
  ['mV1AddMV2', 'mV1AddMV2Out'],
  ['mV2AddMV1', 'mV1AddMV2Out'],
  ['mV1AddMV2Demote'],
  ['pC1AddBg', 'pC1AddBgOut'],
  ['pC1AddBgDemote'],
  ['pC1AddBh', 'pC1AddBhOut'],
  ['pC1AddBhDemote'],
  ['gateHDHiddenState', 'hiddenStateHDGate'],
  ['qOneSubGate', 'qOneSubGateOut'],
  ['sigmoidZeta', 'sigmoidZetaMulQOneSubGate'],
  ['sigmoidNuAddQOneSubGate', 'sigmoidNuAddQOneSubGateOut'],
  ['sigmoidNuAddQOneSubGateHDUpdate', 'updateHDSigmoidNuAddQOneSubGate'],
  ['pC3AddPC1', 'hiddenStateOut'],
  ['pC1AddPC3', 'hiddenStateOut'],
  ['hiddenStateDemote'],
];

/**
 * The model's FastGRNN divisors as shift amounts, for the kernel's compiled-in fast step
 * (-DM4SIM_FASTGRNN_SHIFTS_A/_B); null when a divisor is not a power of two (the generic step runs).
 */
export function fastGrnnShifts(model: Model, header: string, struct: string): number[] | null {
  const fields = model.files[header]?.structs?.[struct]?.fields as Record<string, unknown> | undefined;
  if (!fields) return null;
  const shifts: number[] = [];
  for (const product of FASTGRNN_SHIFT_PRODUCTS) {
    let d = 1;
    for (const f of product) {
      const v = fields[f];
      if (typeof v !== 'number') return null;
      d *= v;
    }
    const k = Math.log2(d);
    if (!Number.isInteger(k) || k < 0 || k > 30) return null;
    shifts.push(k);
  }
  return shifts;
}

/** GCC optimization levels the detector firmware can be built at (the default is -O2). */
export type OptimizationLevel = 'O0' | 'O1' | 'O2' | 'O3' | 'Os';
const OPTIMIZATION_LEVELS: readonly OptimizationLevel[] = ['O0', 'O1', 'O2', 'O3', 'Os'];

/** The board the detector is built for when none is given. */
export const DEFAULT_BOARD = 'm4-256k';

export interface BuildOptions {
  optimization?: OptimizationLevel;
  /** The board linked for, with its --ram/--flash overrides (default: m4-256k). */
  board?: Board;
}

/**
 * Builds (or finds built) the detector for a model and a board. Throws DetectorFitError (one line
 * with needed and available bytes) when it does not fit the board's SRAM or flash.
 */
export function buildDetector(modelPath?: string, opts: BuildOptions = {}): DetectorBuild {
  const level = opts.optimization ?? 'O2';
  // A fixed set: the level becomes a compiler flag and a folder name.
  if (!OPTIMIZATION_LEVELS.includes(level)) throw new Error(`unknown optimization level ${String(level)}`);
  const board = opts.board ?? loadBoard(DEFAULT_BOARD);
  const memory = linkMemory(board);
  const root = projectRoot();
  const resolved = resolveModelPath(modelPath);
  // Read once: the text validated is the text hashed (the file could change between two reads).
  const text = readInputText(resolved, 'model file');
  const model = parseModelText(text, basename(resolved));
  const arch = architectureOf(model);
  const layersHeader = renderLayersHeader(arch);
  // The folder is named by the model and the descriptor's header and band rows (a changed plan builds
  // anew), the level and the memory map.
  const hash = createHash('sha256')
    .update(text)
    .update('\0')
    .update(layersHeader)
    .update(`\0${arch.rnnpoolBandRows ?? ''}`)
    .digest('hex')
    .slice(0, 12);
  const dir = join(
    root,
    'firmware',
    'build',
    `detector-${hash}${level === 'O2' ? '' : `-${level}`}-${memoryKey(memory)}`,
  );
  const linkerScript = writeLinkerScript(memory, dir);
  generateHeaders(model, join(dir, 'model'), { scaleFieldNames: 'seedot' });
  writeFileSync(join(dir, 'model', LAYERS_HEADER), layersHeader);
  const defines: Record<string, number> = {};
  const defineLists: Record<string, string> = {};
  if (arch.rnnpoolBandRows !== undefined) defines.RNNPOOL_BAND_ROWS = arch.rnnpoolBandRows;
  const a = fastGrnnShifts(model, 'rnn1.h', 'RNN1_SCALES');
  const b = fastGrnnShifts(model, 'rnn2.h', 'RNN2_SCALES');
  if (a) defineLists.M4SIM_FASTGRNN_SHIFTS_A = a.join(',');
  if (b) defineLists.M4SIM_FASTGRNN_SHIFTS_B = b.join(',');
  headShifts(model).forEach((s, i) => {
    defines[`M4SIM_HEAD${i + 1}_CONF_SHIFT`] = s.conf;
    defines[`M4SIM_HEAD${i + 1}_LOC_SHIFT`] = s.loc;
  });
  const kernels = join(root, 'firmware', 'kernels');
  const app = join(root, 'firmware', 'app');
  const sources = [
    join(app, 'main.c'),
    join(app, 'layer_markers.c'),
    ...arch.firmwareSources.map((f) => join(app, f)),
    ...readdirSync(kernels)
      .filter((f) => f.endsWith('.c'))
      .map((f) => join(kernels, f)),
    join(root, 'firmware', 'board', 'startup.c'),
  ].sort();
  const r = compileModelFirmware(resolved, model, board, memory, {
    sources,
    output: join(dir, 'detector.elf'),
    linkerScript,
    specs: ['rdimon.specs'],
    includeDirs: [join(dir, 'model'), app, kernels],
    defines: { ...defines, ...defineLists },
    cflags: ['-Wall', '-Wextra', ...(level === 'O2' ? [] : [`-${level}`])],
  });
  const image = loadElf(readInputFile(r.elf, 'firmware', INPUT_LIMITS.firmware), r.elf);
  // Counted as the SRAM report counts static data and flash (src/elf/elf.ts staticSizes).
  const sizes = staticSizes(image, [memory.ram], memory.flash);
  const staticBytes = sizes.data + sizes.bss + sizes.other;
  const problem = fitOfLinked(memory, staticBytes, sizes.flashUsed);
  if (problem) throw new DetectorFitError(fitMessage(model.name, board.name, problem), problem);
  return {
    elf: r.elf,
    map: r.map,
    model,
    modelPath: resolved,
    skipped: r.skipped,
    image,
    memory,
    staticBytes,
    flashBytes: sizes.flashUsed,
  };
}

/**
 * compileFirmware for a model's firmware: the sources are m4sim's own and build with every valid
 * shipped model, so a link that overflows the board's SRAM or flash is a DetectorFitError with ld's
 * numbers, and any other failure the model's doing: a bad-input ModelError naming the model file and
 * gcc's first error line. A missing newlib stays what it is (an installation problem, not the model's).
 */
function compileModelFirmware(
  modelPath: string,
  model: Model,
  board: Board,
  memory: LinkMemory,
  opts: CompileOptions,
): ReturnType<typeof compileFirmware> {
  try {
    return compileFirmware(opts);
  } catch (e) {
    if (!(e instanceof CompileError) || /install newlib/.test(e.message)) throw e;
    const problem = fitOfOverflow(memory, `${e.message}\n${e.stderr}`);
    if (problem) throw new DetectorFitError(fitMessage(model.name, board.name, problem), problem);
    throw new ModelError(
      `${printableFileName(basename(modelPath))}: the firmware generated from this model does not build: ${e.message}`,
    );
  }
}
