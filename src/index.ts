// m4sim as a library: load a board and an ELF, run it, read the figures.
export { loadBoard, boardNames, type Board, type MemoryRegion } from './emulator/board.js';
export {
  runFirmware,
  startMachine,
  loadElf,
  EXIT_STATUS,
  isStopReason,
  type RunOptions,
  type RunResult,
  type ExitReason,
  type StopConditions,
  type Machine,
  type MachineStop,
  type MachineProgress,
  type RunControl,
  type WatchAccess,
  type DebugRegister,
} from './emulator/machine.js';
export { serveGdb, parseGdbAddress, type GdbAddress } from './gdb/server.js';
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
// The face detector: build it for a board (refused with the numbers when it does not fit), then run
// frames through one session.
export {
  prepareDetector,
  openDetector,
  type DetectorSession,
  type SessionOptions,
  type FrameRunOptions,
} from './detector/session.js';
export { loadFrame, type DetectorInput } from './detector/input.js';
export { DetectorFitError, DETECTOR_STACK_RESERVE, type FitProblem } from './detector/fit.js';
export { referenceRunner } from './detector/reference.js';
export type { DetectionReport } from './detector/detect.js';
