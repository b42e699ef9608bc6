// Every command's exit status comes from one function (src/cli/status.ts); the values are README's
// "Exit statuses" table and sysexits.h (64 EX_USAGE, 65 EX_DATAERR, 66 EX_NOINPUT, 69 EX_UNAVAILABLE,
// 70 EX_SOFTWARE, 73 EX_CANTCREAT, 74 EX_IOERR).
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { exitStatus } from '../src/cli/status.js';
import { OutputFileError } from '../src/cli/output-file.js';
import { DetectorFitError } from '../src/detector/fit.js';
import { BoardError } from '../src/emulator/board.js';
import type { RunResult } from '../src/emulator/machine.js';
import { CompileError } from '../src/toolchain/toolchain.js';
import { InputFileError } from '../src/util/input-file.js';
import { BrokenPipeError, OutputError } from '../src/util/stdio.js';
import { UnavailableError, UsageError } from '../src/util/units.js';

const exit = (reason: RunResult['exit']['reason'], code: number): RunResult['exit'] => ({
  reason,
  code,
  message: '',
  pc: null,
  location: null,
});

describe('exitStatus', () => {
  it('an ELF run ends with the firmware’s own status, whatever ended it', () => {
    expect(exitStatus({ kind: 'firmware', exit: exit('exit', 3) })).toBe(3);
    expect(exitStatus({ kind: 'firmware', exit: exit('memory-fault', 139) })).toBe(139);
  });

  it('a detector run: 1 when it exited but differs from the reference, else the firmware’s status', () => {
    expect(exitStatus({ kind: 'detector', exit: exit('exit', 0), match: true })).toBe(0);
    expect(exitStatus({ kind: 'detector', exit: exit('exit', 0), match: null })).toBe(0);
    expect(exitStatus({ kind: 'detector', exit: exit('exit', 0), match: false })).toBe(1);
    expect(exitStatus({ kind: 'detector', exit: exit('instruction-limit', 125), match: false })).toBe(125);
  });

  it('check 1 when a budget broke, doctor 69 when something is missing, the others 0', () => {
    expect(exitStatus({ kind: 'check', ok: true })).toBe(0);
    expect(exitStatus({ kind: 'check', ok: false })).toBe(1);
    expect(exitStatus({ kind: 'doctor', ok: true })).toBe(0);
    expect(exitStatus({ kind: 'doctor', ok: false })).toBe(69);
    expect(exitStatus({ kind: 'done' })).toBe(0);
  });

  it('errors map to sysexits', () => {
    const status = (error: unknown) => exitStatus({ kind: 'error', error });
    expect(status(new CommanderError(0, 'commander.helpDisplayed', ''))).toBe(0);
    expect(status(new CommanderError(1, 'commander.unknownOption', ''))).toBe(64);
    expect(status(new UsageError('x'))).toBe(64);
    expect(status(new BoardError('x'))).toBe(65);
    expect(status(new DetectorFitError('x', { flash: { needed: 2, available: 1 } }))).toBe(65);
    expect(status(new InputFileError('x', 66))).toBe(66);
    expect(status(new InputFileError('x', 65))).toBe(65);
    expect(status(new UnavailableError('x'))).toBe(69);
    expect(status(new CompileError('x (install newlib: apt-get install …)', '', []))).toBe(69);
    expect(status(new CompileError('x.c:1: error: y', '', []))).toBe(70);
    expect(status(new Error('a bug'))).toBe(70);
    expect(status(new OutputFileError('x'))).toBe(73);
    expect(status(new OutputError('x'))).toBe(74);
    expect(status(new BrokenPipeError(1))).toBe(141);
  });
});
