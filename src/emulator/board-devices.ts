// The board file's modeled peripherals for one run: each created from its model with a context
// that reaches the exception model (interrupt lines), the host (UART bytes in and out), the event
// list of the run and the core clock; and the bus that routes the board's peripheral ranges.
import type { Board } from './board.js';
import { PeripheralBus } from './peripherals/bus.js';
import type { Clocks, Device, DeviceContext, DeviceEvent } from './peripherals/device.js';
import { deviceModel } from './peripherals/models.js';
import { UnmodeledPeripherals } from './peripherals/unmodeled.js';
import { cyclesForTime } from './stop-conditions.js';

/** Device events kept per run (GPIO pin changes …); later ones are counted, not kept. */
export const DEVICE_EVENT_LIMIT = 100_000;

export interface BoardDevicesDeps {
  /** Modeled cycles now (exact at the instruction inside an access). */
  now(): number;
  /** Drives NVIC line `line`. */
  setIrqLine(line: number, level: boolean): void;
  /** Bytes a device transmits (a UART), with the device's name. */
  output(device: string, bytes: Uint8Array): void;
  /** Host input for a device's receiver: a chunk, or null at end of input. */
  input?: () => Uint8Array | null;
  /** The time figures follow the clock a clock controller sets (false with an explicit --clock). */
  followClock: boolean;
  clockHz: number;
  /** Called when a device changed its next timed event (the exception model reschedules its stop). */
  reschedule(): void;
  /** Called after the core clock the time figures follow changed (a simulated-time limit moves). */
  clockChanged?(): void;
}

export class BoardDevices {
  readonly unmodeled = new UnmodeledPeripherals();
  readonly bus: PeripheralBus;
  readonly events: DeviceEvent[] = [];
  eventsDropped = 0;
  /** The core clock now, and the seconds elapsed up to the last clock change (time figures). */
  private clock: number;
  private secondsBefore = 0;
  private clockSince = 0;
  /** The clock tree as a clock controller last set it (all the board's clock before that). */
  private readonly clocks: Clocks;
  private pendingInput: Uint8Array = new Uint8Array(0);
  private inputAt = 0;
  private inputEnded = false;
  private created = false;

  constructor(
    board: Board,
    private readonly deps: BoardDevicesDeps,
  ) {
    this.clock = deps.clockHz;
    const c = deps.clockHz;
    this.clocks = { hclk: c, pclk1: c, pclk2: c, timclk1: c, timclk2: c };
    const devices: Device[] = board.devices.map((config) => {
      const model = deviceModel(config.model);
      if (!model) throw new Error(`unknown peripheral model ${config.model}`); // board.ts checked it
      const ctx: DeviceContext = {
        now: () => deps.now(),
        setIrq: (index, level) => {
          const line = config.irq[index];
          if (line !== undefined) deps.setIrqLine(line, level);
        },
        output: (device, bytes) => deps.output(device, bytes),
        input: () => this.inputByte(),
        event: (e) => this.event(e),
        setClocks: (c) => this.setClocks(c),
        clock: (name) => this.clocks[name],
        reschedule: () => deps.reschedule(),
      };
      return model.create(config, ctx);
    });
    this.bus = new PeripheralBus(devices, this.unmodeled);
    this.created = true;
  }

  private event(e: DeviceEvent): void {
    if (this.events.length < DEVICE_EVENT_LIMIT) this.events.push(e);
    else this.eventsDropped++;
  }

  private inputByte(): number | null {
    while (this.inputAt >= this.pendingInput.length) {
      if (this.inputEnded || !this.deps.input) return null;
      const chunk = this.deps.input();
      if (chunk === null || chunk.length === 0) {
        this.inputEnded = true;
        return null;
      }
      this.pendingInput = chunk;
      this.inputAt = 0;
    }
    return this.pendingInput[this.inputAt++]!;
  }

  private setClocks(c: Partial<Clocks>): void {
    for (const [k, v] of Object.entries(c) as [keyof Clocks, number][])
      if (v > 0 && Number.isFinite(v)) this.clocks[k] = v;
    if (c.hclk !== undefined) this.setClock(c.hclk);
    // Timed devices (timers) re-derive their next event from the new clocks at this cycle (not
    // while the devices are being created: the exception model does not exist yet).
    if (this.created) this.deps.reschedule();
  }

  private setClock(hz: number): void {
    if (!this.deps.followClock || !(hz > 0) || hz === this.clock) return;
    const now = this.deps.now();
    this.secondsBefore += (now - this.clockSince) / this.clock;
    this.clockSince = now;
    this.clock = hz;
    this.deps.clockChanged?.();
  }

  /** The core clock at the end (or now). */
  get clockHz(): number {
    return this.clock;
  }

  /**
   * The modeled cycle at which `ns` nanoseconds of simulated time have passed, at the clock now and
   * through every change so far (the inverse of seconds(), rounded up). Exact while the clock never
   * changed; after a change, to a cycle (the time before it is a sum of floating-point segments).
   */
  cyclesAtTime(ns: number): number {
    if (this.clockSince === 0 && this.secondsBefore === 0) return cyclesForTime(ns, this.clock);
    return this.clockSince + Math.ceil((ns / 1e9 - this.secondsBefore) * this.clock);
  }

  /** Simulated seconds at modeled cycle `cycles`, through every clock change so far. */
  seconds(cycles: number): number {
    return this.secondsBefore + (cycles - this.clockSince) / this.clock;
  }
}
