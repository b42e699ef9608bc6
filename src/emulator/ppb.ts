// The Private Peripheral Bus (0xE0000000–0xE00FFFFF) as firmware sees it on a Cortex-M4:
// ITM stimulus ports, DWT cycle counter, SCB identification and configuration (CPUID, VTOR, CCR,
// CPACR), CoreDebug DEMCR; the exception model's SysTick, NVIC and SCB exception registers are
// peripherals of their own (src/emulator/peripherals/) routed from here. Register addresses from the
// ARMv7-M Architecture Reference Manual (DDI 0403), chapters C1 (debug: ITM C1.7, DWT C1.8) and B3
// (system address map).
import { hex } from '../util/units.js';
import type { Peripheral } from './peripherals/peripheral.js';

export const PPB_BASE = 0xe0000000;
export const PPB_SIZE = 0x100000;

// ITM, ARMv7-M ARM C1.7.
const ITM_STIM_END = 0xe0000080; // 32 stimulus ports, 4 bytes each
const ITM_TER = 0xe0000e00;
const ITM_TPR = 0xe0000e40;
const ITM_TCR = 0xe0000e80;
const ITM_LAR = 0xe0000fb0;
// DWT, C1.8.
const DWT_CTRL = 0xe0001000;
const DWT_CYCCNT = 0xe0001004;
// STIR, B3.4.7.
const NVIC_STIR = 0xe000ef00;
// SCB, B3.2.
const SCB_CPUID = 0xe000ed00;
const SCB_VTOR = 0xe000ed08;
const SCB_CCR = 0xe000ed14;
const SCB_CPACR = 0xe000ed88;
const COREDEBUG_DEMCR = 0xe000edfc;

/**
 * CCR (ARMv7-M ARM B3.2.8): reset value 0x00000200 on the Cortex-M4 (STKALIGN set: the CCR row of the
 * system control register table in the Cortex-M4 TRM, DDI 0439, chapter 4);
 * writable bits NONBASETHRDENA (0), USERSETMPEND (1), UNALIGN_TRP (3), DIV_0_TRP (4), BFHFNMIGN (8),
 * STKALIGN (9); the others are reserved (RAZ/WI).
 */
export const CCR_RESET = 0x200;
const CCR_WRITABLE = 0x31b;
/** CPACR (B3.2.20): only CP10 and CP11 (bits 23:20) exist on the Cortex-M4; reset value 0 (FPU off). */
const CPACR_WRITABLE = 0x00f00000;

/** CPUID of a Cortex-M4 r0p1: implementer ARM (0x41), variant 0, part 0xC24, revision 1 (M4 TRM 4.3.1). */
export const CORTEX_M4_R0P1_CPUID = 0x410fc241;

/** A value the firmware wrote to an ITM stimulus port other than port 0, with the modeled cycle count. */
export interface ItmEvent {
  port: number;
  value: number;
  size: number;
  cycles: number;
  /** SP when the firmware wrote the port (present when the bus has a stack sampler). */
  sp?: number;
  /** Lowest SP the block profiler saw since the previous event (≤ sp), for per-layer stack peaks. */
  minSp?: number;
}

/** SP now and the lowest SP since the previous sample, read inside the emulator at an ITM write. */
export type StackSampler = () => { sp: number; minSp: number };

/**
 * ITM events kept per run: the first 100,000 (about 10 MB of host memory). The detector writes a few
 * dozen (layer markers and checksums, all early); a firmware flooding a port must not grow the host
 * without bound, so later events are only counted per port (`itmDropped`).
 */
export const ITM_EVENT_LIMIT = 100_000;

export class PrivatePeripheralBus {
  readonly events: ItmEvent[] = [];
  /** Events past ITM_EVENT_LIMIT, by stimulus port (index 0 unused: port 0 is the character stream). */
  readonly itmDropped: number[] = new Array<number>(32).fill(0);
  /** PPB registers the firmware touched that m4sim does not model (read as 0, writes kept). */
  readonly unmodeled = new Set<number>();
  private readonly regs = new Map<number, number>();
  private cyccntBase = 0;
  private cyccntAtEnable = 0;
  private cyccntEnabled = false;
  /** Called with CCR and CPACR after the firmware writes either (arms the native trap checks). */
  onTrapConfig?: (ccr: number, cpacr: number) => void;
  /**
   * The exception model's blocks (SysTick, NVIC, SCB exception registers: src/emulator/peripherals/),
   * routed by address before the registers kept here; empty without an exception model.
   */
  private devices: Peripheral[] = [];
  private stir?: (value: number) => void;

  attach(devices: Peripheral[], stir?: (value: number) => void): void {
    this.devices = devices;
    this.stir = stir;
  }

  private device(aligned: number): Peripheral | undefined {
    if (aligned === SCB_VTOR || aligned === SCB_CCR) return undefined; // kept here, inside the SCB block's range
    for (const d of this.devices) if (aligned >= d.base && aligned < d.base + d.size) return d;
    return undefined;
  }

  constructor(
    /**
     * Modeled cycles at the accessing instruction (src/emulator/instruction-clock.ts): what CYCCNT
     * counts and ITM events are stamped with.
     */
    private readonly cycles: () => number,
    private readonly writeChar: (bytes: Uint8Array) => void,
    private readonly vectorTable: number,
    private readonly stackSample?: StackSampler,
    /** Called with each event as the firmware writes it (inside the emulator, so keep it cheap). */
    private readonly onEvent?: (e: ItmEvent) => void,
  ) {
    this.regs.set(SCB_VTOR, vectorTable);
    this.regs.set(SCB_CCR, CCR_RESET);
    this.regs.set(ITM_TER, 0xffffffff);
  }

  private cyccnt(): number {
    if (!this.cyccntEnabled) return this.cyccntBase >>> 0;
    return (this.cyccntBase + (this.cycles() - this.cyccntAtEnable)) >>> 0;
  }

  read(offset: number, size: number): number {
    const address = PPB_BASE + offset;
    const aligned = (address & ~3) >>> 0;
    const dev = this.device(aligned);
    const word = dev ? dev.readWord(aligned) : this.readWord(aligned);
    const shift = (address & 3) * 8;
    const mask = size >= 4 ? 0xffffffff : (1 << (size * 8)) - 1;
    return ((word >>> shift) & mask) >>> 0;
  }

  private readWord(address: number): number {
    if (address < ITM_STIM_END) return 1; // FIFO ready: CMSIS ITM_SendChar polls for a non-zero read
    switch (address) {
      case DWT_CTRL:
        // NUMCOMP = 4 comparators (bits 31:28), CYCCNTENA in bit 0.
        return ((4 << 28) | (this.regs.get(DWT_CTRL) ?? 0)) >>> 0;
      case DWT_CYCCNT:
        return this.cyccnt();
      case SCB_CPUID:
        return CORTEX_M4_R0P1_CPUID;
      default:
        if (!this.known(address)) this.unmodeled.add(address);
        return this.regs.get(address) ?? 0;
    }
  }

  write(offset: number, size: number, value: number): void {
    const address = PPB_BASE + offset;
    if (address < ITM_STIM_END) {
      const port = offset >>> 2;
      if (port === 0) {
        const bytes = new Uint8Array(size);
        for (let i = 0; i < size; i++) bytes[i] = (value >>> (8 * i)) & 0xff;
        this.writeChar(bytes);
      } else if (this.events.length >= ITM_EVENT_LIMIT && !this.onEvent) {
        this.itmDropped[port]!++; // nobody will see this event: count it, build nothing
      } else {
        const event: ItmEvent = { port, value: value >>> 0, size, cycles: this.cycles() };
        if (this.stackSample) Object.assign(event, this.stackSample());
        if (this.events.length < ITM_EVENT_LIMIT) this.events.push(event);
        else this.itmDropped[port]!++;
        this.onEvent?.(event);
      }
      return;
    }
    const aligned0 = (address & ~3) >>> 0;
    const dev = this.device(aligned0);
    if (dev) {
      const shift = (address & 3) * 8;
      const lane = (size >= 4 ? 0xffffffff : ((1 << (size * 8)) - 1) << shift) >>> 0;
      dev.writeWord(aligned0, (value << shift) >>> 0, lane);
      return;
    }
    if (aligned0 === NVIC_STIR && this.stir) {
      this.stir(value >>> 0);
      return;
    }
    if (address === DWT_CYCCNT) {
      this.cyccntBase = value >>> 0;
      this.cyccntAtEnable = this.cycles();
      return;
    }
    if (address === DWT_CTRL) {
      const enable = (value & 1) === 1;
      if (enable && !this.cyccntEnabled) this.cyccntAtEnable = this.cycles();
      if (!enable && this.cyccntEnabled) this.cyccntBase = this.cyccnt();
      this.cyccntEnabled = enable;
    }
    const aligned = (address & ~3) >>> 0;
    if (aligned === SCB_CCR || aligned === SCB_CPACR) {
      this.writeTrapControl(aligned, address, size, value);
      return;
    }
    if (!this.known(aligned)) this.unmodeled.add(aligned);
    this.regs.set(aligned, value >>> 0);
  }

  /** CCR or CPACR: byte and halfword writes merge into the word; reserved bits stay as they were. */
  private writeTrapControl(register: number, address: number, size: number, value: number): void {
    const shift = (address & 3) * 8;
    const lane = (size >= 4 ? 0xffffffff : ((1 << (size * 8)) - 1) << shift) >>> 0;
    const writable = (lane & (register === SCB_CCR ? CCR_WRITABLE : CPACR_WRITABLE)) >>> 0;
    const old = this.regs.get(register) ?? 0;
    this.regs.set(register, ((old & ~writable) | ((value << shift) & writable)) >>> 0);
    this.onTrapConfig?.(this.regs.get(SCB_CCR) ?? CCR_RESET, this.regs.get(SCB_CPACR) ?? 0);
  }

  private known(address: number): boolean {
    return (
      address === ITM_TER ||
      address === ITM_TPR ||
      address === ITM_TCR ||
      address === ITM_LAR ||
      address === DWT_CTRL ||
      address === SCB_VTOR ||
      address === SCB_CPACR ||
      address === COREDEBUG_DEMCR ||
      (address >= 0xe000e010 && address < 0xe000e020) || // SysTick
      address === NVIC_STIR ||
      (address >= 0xe000e100 && address < 0xe000e500) || // NVIC enable/pending/active/priority
      (address >= 0xe000ed00 && address < 0xe000ed90) || // SCB
      address === 0xe000ef30 // reserved word before FPCCR (FPCCR, FPCAR, FPDSCR: peripherals/fpu.ts)
    );
  }

  /** CCR as the firmware last set it (STKALIGN, trap enables). */
  get ccr(): number {
    return this.regs.get(SCB_CCR) ?? CCR_RESET;
  }

  /** CPACR as the firmware last set it (CP10/CP11: FPU access). */
  get cpacr(): number {
    return this.regs.get(SCB_CPACR) ?? 0;
  }

  /** VTOR as the firmware last set it (where it would take exceptions from). */
  get vtor(): number {
    return this.regs.get(SCB_VTOR) ?? this.vectorTable;
  }

  /** Dropped ITM events per port, ports with none left out. */
  describeItmDropped(): { port: number; events: number }[] {
    return this.itmDropped.flatMap((events, port) => (events > 0 ? [{ port, events }] : []));
  }

  describeUnmodeled(): string[] {
    return [...this.unmodeled].sort((a, b) => a - b).map((a) => hex(a));
  }
}
