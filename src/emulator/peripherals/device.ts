// Peripherals a board file lists by model (boards/*.json `peripherals[]` entries with a `model`):
// memory-mapped devices outside the PPB, such as STM32F4's RCC, GPIO, USART and timers. Each model is
// one file under src/emulator/peripherals/ behind the word interface of the PPB blocks (Peripheral)
// plus what a device needs from the rest of the machine, passed in as a DeviceContext so a model is
// testable without Unicorn.
import type { Peripheral } from './peripheral.js';

/** A timestamped change a device reports (a GPIO pin, a timer update …), listed in the run's JSON. */
export interface DeviceEvent {
  /** Modeled cycles when it happened. */
  cycles: number;
  /** The device's name in the board file (e.g. "GPIOA"). */
  device: string;
  /** What changed, e.g. "pin". */
  kind: string;
  /** Which one (a pin number), or 0. */
  index: number;
  value: number;
}

/**
 * The clock tree a clock controller publishes (STM32F4: RM0090 6.2): the core and AHB clock, the two
 * APB clocks and the timer clocks of each APB (twice the APB clock when its prescaler is not 1).
 */
export interface Clocks {
  hclk: number;
  pclk1: number;
  pclk2: number;
  timclk1: number;
  timclk2: number;
}

/** What a device may do to the machine around it. */
export interface DeviceContext {
  /** Modeled cycles now: exact at the instruction inside a register access. */
  now(): number;
  /**
   * Drives one of the device's interrupt lines: `index` into its board entry's `irq` list (the
   * model documents which is which); a line the board file does not wire is ignored.
   */
  setIrq(index: number, level: boolean): void;
  /** Bytes the device transmits to the host: stream "uart" (its name is the device's). */
  output(device: string, bytes: Uint8Array): void;
  /** The next byte the host has for the device's receiver, or null (none, or end of input). */
  input(device: string): number | null;
  event(e: DeviceEvent): void;
  /**
   * A clock controller (RCC) sets the clocks it derives: `hclk` is the core clock (time figures
   * follow it unless --clock is given); the others are what buses and timers run at.
   */
  setClocks(clocks: Partial<Clocks>): void;
  /** A clock now: the board's `clockHz` for every one until a clock controller sets it. */
  clock(name: keyof Clocks): number;
  /** Asks for advance() to be called again once the cycle count reaches the device's nextEvent(). */
  reschedule(): void;
}

export interface Device extends Peripheral {
  /** The model's name (e.g. "stm32f4-usart"). */
  readonly model: string;
  /**
   * True when a write of the lanes `mask` at `address` changes nothing the firmware could see: a
   * read-only register (GPIO IDR) or bits, or a reserved word. The bus records such writes (they
   * are not faults on STM32F4: RM0090 1.1, "read-only … writes ignored").
   */
  ignoresWrite?(address: number, mask: number): boolean;
  /** Modeled cycle of the device's next timed change (a timer update), Infinity when none. */
  nextEvent?(): number;
  /** The cycle count reached `now` (≥ nextEvent()): apply what is due. */
  advance?(now: number): void;
}

/** A parameter a model accepts in its board entry's `params`, with its range and default. */
export interface ParamSpec {
  min: number;
  max: number;
  default: number;
  /** The only values allowed, when the parameter is a choice (a counter width: 16 or 32). */
  values?: readonly number[];
  /** One line for the README and messages. */
  description: string;
}

/** One board entry with a model, validated (src/emulator/board.ts). */
export interface DeviceConfig {
  name: string;
  model: string;
  base: number;
  size: number;
  /** NVIC lines the device drives, in the order the model documents. */
  irq: number[];
  params: Record<string, number>;
}

export interface DeviceModel {
  /** Register block size when the board entry gives none. */
  defaultSize: number;
  /** How many interrupt lines the model drives (the board entry's `irq` has at most this many). */
  irqs: number;
  params: Record<string, ParamSpec>;
  create(config: DeviceConfig, ctx: DeviceContext): Device;
}
