// m4sim as a library: load a board and an ELF, run it, read the figures.
export { loadBoard, boardNames, type Board, type MemoryRegion } from './emulator/board.js';
export {
  runFirmware,
  loadElf,
  EXIT_STATUS,
  isStopReason,
  type RunOptions,
  type RunResult,
  type ExitReason,
  type StopConditions,
} from './emulator/machine.js';
export { parseCycleLimit, parseSimTime } from './emulator/stop-conditions.js';
export { parseElf, ElfError, type Elf } from './elf/elf.js';
export { SymbolTable } from './elf/symbols.js';
export {
  DEFAULT_CYCLE_MODEL,
  blockCost,
  describeCycleModel,
  type CycleModelParams,
} from './profile/cycle-model.js';
export { toJson, JSON_SCHEMA_VERSION, type RunJson } from './report/json.js';
export { findToolchain, compileFirmware } from './toolchain/toolchain.js';
