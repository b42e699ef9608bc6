// STM32F4 USART/UART (RM0090 30.6 USART registers; character transmission and reception 30.3.2,
// 30.3.3; fractional baud rate 30.3.4). One model serves USART1/2/3/6 and UART4/5/7/8: the UARTs lack
// the synchronous and smartcard bits, which here are only stored.
//
// Transmission is frame-timed and deterministic: a byte written to DR goes to the host at once (the
// run's UART output), and the flags follow what the shift register would do. Written with the line
// idle it moves straight to the shift register (TXE stays 1, TC goes to 0); written while a frame is
// on the line it waits in TDR (TXE 0) until that frame ends. TC is 1 once the last frame's stop bits
// are out. A frame is start bit + 8 or 9 data bits (CR1.M) + 0.5/1/1.5/2 stop bits (CR2.STOP), each
// bit 8 × (2 − OVER8) × USARTDIV bus clocks (= BRR with OVER8 = 0), converted to core cycles with
// the bus clock of the `bus` parameter (APB1 or APB2) and the core clock (DeviceContext.clock). With
// BRR 0 (not programmed) a frame takes no time. Setting TE (with UE) sends an idle frame first.
//
// Reception is untimed: with UE and RE set, the next host byte (ctx.input: --stdin) is in DR as soon
// as DR is empty, RXNE set; reading DR takes it and clears RXNE. IDLE is set once the host has no
// more bytes after at least one was received (cleared by reading SR, then DR). Nothing is lost, so
// ORE, NF, FE and PE read 0.
//
// Interrupt line 0 (the board entry's irq[0]) is (TXEIE ∧ TXE) ∨ (TCIE ∧ TC) ∨ (RXNEIE ∧ RXNE) ∨
// (IDLEIE ∧ IDLE), evaluated after every register access and at each timed TXE/TC change.
import type { Clocks, Device, DeviceConfig, DeviceContext, DeviceModel } from './device.js';
import { merge } from './peripheral.js';

// Register offsets (RM0090 30.6.8, USART register map).
export const USART_SR = 0x00;
export const USART_DR = 0x04;
export const USART_BRR = 0x08;
export const USART_CR1 = 0x0c;
export const USART_CR2 = 0x10;
export const USART_CR3 = 0x14;
export const USART_GTPR = 0x18;

/** SR at reset (30.6.1): TXE and TC set. */
export const USART_SR_RESET = 0x00c0;

// SR (30.6.1). TC and RXNE are rc_w0 (cleared by writing 0); LBD and CTS too (never set here).
export const SR_IDLE = 1 << 4;
export const SR_RXNE = 1 << 5;
export const SR_TC = 1 << 6;
export const SR_TXE = 1 << 7;
const SR_ORE = 1 << 3;

// CR1 (30.6.4); bit 14 is reserved.
export const CR1_SBK = 1 << 0;
export const CR1_RE = 1 << 2;
export const CR1_TE = 1 << 3;
export const CR1_IDLEIE = 1 << 4;
export const CR1_RXNEIE = 1 << 5;
export const CR1_TCIE = 1 << 6;
export const CR1_TXEIE = 1 << 7;
export const CR1_PS = 1 << 9;
export const CR1_PCE = 1 << 10;
export const CR1_M = 1 << 12;
export const CR1_UE = 1 << 13;
export const CR1_OVER8 = 1 << 15;
const CR1_BITS = 0xbfff;
// CR2 (30.6.5): ADD[3:0], LBDL, LBDIE, LBCL, CPHA, CPOL, CLKEN, STOP[13:12], LINEN.
const CR2_BITS = 0x7f6f;
// CR3 (30.6.6): EIE … ONEBIT (bits 11:0). GTPR (30.6.7): PSC[7:0], GT[15:8]. BRR (30.6.3): 15:0.
const CR3_BITS = 0x0fff;
const GTPR_BITS = 0xffff;
const BRR_BITS = 0xffff;

/** Half-bits of the stop bits per CR2.STOP: 00 → 1, 01 → 0.5, 10 → 2, 11 → 1.5 (30.6.5). */
const STOP_HALF_BITS = [2, 1, 4, 3] as const;

/** UE and TE: the transmitter runs. */
const TX_ON = CR1_UE | CR1_TE;
const RX_ON = CR1_UE | CR1_RE;

export class Stm32f4Usart implements Device {
  readonly model = 'stm32f4-usart';
  readonly name: string;
  readonly base: number;
  readonly size: number;
  private brr = 0;
  private cr1 = 0;
  private cr2 = 0;
  private cr3 = 0;
  private gtpr = 0;
  /** Modeled cycle at which the byte last written to DR is in the shift register (TXE rises). */
  private txeAt = 0;
  /** Modeled cycle at which the line is idle again: the last frame (data, idle or break) ends. */
  private lineFreeAt = 0;
  /** TC was cleared by writing 0 to it with the line idle (until the next DR write). */
  private tcCleared = false;
  /** SBK reads 1 until the break frame it asked for ends. */
  private breakUntil = 0;
  /** The received character in DR (RXNE), or null. */
  private rdr: number | null = null;
  /** What DR reads with RXNE clear: the character read last. */
  private lastRx = 0;
  private idle = false;
  private receivedSinceIdle = false;
  /** SR was read with IDLE set: a DR read now clears IDLE (30.6.1). */
  private idleSeen = false;
  /** Modeled cycle of the last evaluation (register access or advance), never decreasing. */
  private evaluatedAt = 0;
  private level = false;
  private readonly busClock: keyof Clocks;

  constructor(
    config: DeviceConfig,
    private readonly ctx: DeviceContext,
  ) {
    this.name = config.name;
    this.base = config.base;
    this.size = config.size;
    this.busClock = (config.params.bus ?? 1) >= 2 ? 'pclk2' : 'pclk1';
  }

  /** Core cycles one frame takes with the current BRR, CR1, CR2 and clocks (0 while BRR is 0). */
  frameCycles(): number {
    const over8 = (this.cr1 & CR1_OVER8) !== 0;
    // Bus clocks per bit: 8 × (2 − OVER8) × USARTDIV, USARTDIV = mantissa + fraction / (8 × (2 − OVER8)).
    const bit = over8 ? ((this.brr >>> 4) << 3) + (this.brr & 7) : this.brr;
    if (bit === 0) return 0;
    const halfBits = 2 + ((this.cr1 & CR1_M) !== 0 ? 18 : 16) + STOP_HALF_BITS[(this.cr2 >>> 12) & 3]!;
    const core = this.ctx.clock('hclk');
    const bus = this.ctx.clock(this.busClock);
    return Math.ceil((halfBits * bit * core) / (2 * bus));
  }

  /** Data bits of a character: 7, 8 or 9 (CR1.M, one of them the parity bit when CR1.PCE). */
  private dataBits(): number {
    return ((this.cr1 & CR1_M) !== 0 ? 9 : 8) - ((this.cr1 & CR1_PCE) !== 0 ? 1 : 0);
  }

  /** A host byte as DR holds it: its data bits and, with PCE, the parity bit (even, or odd with PS). */
  private character(byte: number): number {
    const bits = this.dataBits();
    let v = byte & ((1 << Math.min(bits, 8)) - 1);
    if ((this.cr1 & CR1_PCE) !== 0) {
      let ones = 0;
      for (let x = v; x !== 0; x >>>= 1) ones += x & 1;
      const odd = (this.cr1 & CR1_PS) !== 0;
      if ((ones & 1) !== (odd ? 1 : 0)) v |= 1 << bits;
    }
    return v;
  }

  private sr(t: number): number {
    let v = 0;
    if (t >= this.txeAt) v |= SR_TXE;
    if (!this.tcCleared && t >= this.lineFreeAt && t >= this.txeAt) v |= SR_TC;
    if (this.rdr !== null) v |= SR_RXNE;
    if (this.idle) v |= SR_IDLE;
    return v;
  }

  /** The receiver takes the next host byte when DR is empty. */
  private receive(): void {
    if ((this.cr1 & RX_ON) !== RX_ON || this.rdr !== null) return;
    const b = this.ctx.input(this.name);
    if (b !== null) {
      this.rdr = this.character(b);
      this.receivedSinceIdle = true;
    } else if (this.receivedSinceIdle) {
      this.idle = true;
      this.receivedSinceIdle = false;
    }
  }

  /** Brings the receiver and the interrupt line up to modeled cycle `t`. */
  private evaluate(t: number): void {
    this.evaluatedAt = Math.max(this.evaluatedAt, t);
    this.receive();
    const sr = this.sr(this.evaluatedAt);
    const c = this.cr1;
    const level =
      ((c & CR1_TXEIE) !== 0 && (sr & SR_TXE) !== 0) ||
      ((c & CR1_TCIE) !== 0 && (sr & SR_TC) !== 0) ||
      ((c & CR1_RXNEIE) !== 0 && (sr & (SR_RXNE | SR_ORE)) !== 0) ||
      ((c & CR1_IDLEIE) !== 0 && (sr & SR_IDLE) !== 0);
    if (level !== this.level) {
      this.level = level;
      this.ctx.setIrq(0, level);
    }
  }

  private time(): number {
    return Math.max(this.ctx.now(), this.evaluatedAt);
  }

  /** The next TXE or TC rise an enabled interrupt waits for, else Infinity. */
  nextEvent(): number {
    let next = Infinity;
    if ((this.cr1 & CR1_TXEIE) !== 0 && this.txeAt > this.evaluatedAt) next = this.txeAt;
    if ((this.cr1 & CR1_TCIE) !== 0 && !this.tcCleared) {
      const tc = Math.max(this.lineFreeAt, this.txeAt);
      if (tc > this.evaluatedAt) next = Math.min(next, tc);
    }
    return next;
  }

  advance(now: number): void {
    this.evaluate(now);
  }

  readWord(address: number): number {
    const t = this.time();
    this.receive();
    let v = 0;
    switch (address - this.base) {
      case USART_SR:
        v = this.sr(t);
        this.idleSeen = this.idle;
        break;
      case USART_DR:
        if (this.rdr !== null) {
          this.lastRx = this.rdr;
          this.rdr = null;
        }
        if (this.idleSeen) this.idle = false;
        this.idleSeen = false;
        v = this.lastRx;
        break;
      case USART_BRR:
        v = this.brr;
        break;
      case USART_CR1:
        v = this.cr1 | (t < this.breakUntil ? CR1_SBK : 0);
        break;
      case USART_CR2:
        v = this.cr2;
        break;
      case USART_CR3:
        v = this.cr3;
        break;
      case USART_GTPR:
        v = this.gtpr;
        break;
      default:
        v = 0; // reserved
    }
    this.evaluate(t);
    return v;
  }

  /** Words past GTPR are reserved (30.6). */
  ignoresWrite(address: number): boolean {
    return address - this.base > USART_GTPR;
  }

  writeWord(address: number, value: number, mask: number): void {
    const t = this.time();
    switch (address - this.base) {
      case USART_SR: {
        const cleared = mask & ~value;
        // TC written 0 with the line idle stays 0 until the next frame; during a frame it is 0 anyway.
        if ((cleared & SR_TC) !== 0 && (this.sr(t) & SR_TC) !== 0) this.tcCleared = true;
        if ((cleared & SR_RXNE) !== 0 && this.rdr !== null) {
          this.lastRx = this.rdr;
          this.rdr = null;
        }
        break;
      }
      case USART_DR:
        if ((mask & 0xff) !== 0) this.transmit(value & 0x1ff, t);
        break;
      case USART_BRR:
        this.brr = merge(this.brr, value, mask) & BRR_BITS;
        break;
      case USART_CR1:
        this.writeCr1(merge(this.cr1 | (t < this.breakUntil ? CR1_SBK : 0), value, mask) & CR1_BITS, t);
        break;
      case USART_CR2:
        this.cr2 = merge(this.cr2, value, mask) & CR2_BITS;
        break;
      case USART_CR3:
        this.cr3 = merge(this.cr3, value, mask) & CR3_BITS;
        break;
      case USART_GTPR:
        this.gtpr = merge(this.gtpr, value, mask) & GTPR_BITS;
        break;
      default:
        return; // reserved
    }
    this.evaluate(t);
    this.ctx.reschedule();
  }

  private writeCr1(next: number, t: number): void {
    const wasOn = (this.cr1 & TX_ON) === TX_ON;
    const breaking = t < this.breakUntil;
    this.cr1 = next & ~CR1_SBK;
    const on = (this.cr1 & TX_ON) === TX_ON;
    // Setting TE sends an idle frame before the first data frame (30.3.2).
    if (on && !wasOn) this.lineFreeAt = Math.max(t, this.lineFreeAt) + this.frameCycles();
    // SBK: a break frame after the current transmission; hardware clears SBK when it ends.
    if ((next & CR1_SBK) !== 0 && !breaking && on) {
      this.lineFreeAt = Math.max(t, this.lineFreeAt) + this.frameCycles();
      this.breakUntil = this.lineFreeAt;
    }
  }

  /** A write to DR: TDR, then the shift register when the line is free (30.3.2). */
  private transmit(data: number, t: number): void {
    if ((this.cr1 & TX_ON) !== TX_ON) return; // the transmitter is off: nothing goes out
    const bits = this.dataBits();
    this.ctx.output(this.name, Uint8Array.of(data & ((1 << Math.min(bits, 8)) - 1)));
    if (t >= this.txeAt) {
      // TDR was empty. Overwriting a full TDR keeps its timing (the firmware ignored TXE; m4sim still
      // outputs both bytes).
      const start = Math.max(t, this.lineFreeAt);
      this.txeAt = start;
      this.lineFreeAt = start + this.frameCycles();
    }
    this.tcCleared = false;
  }
}

export const STM32F4_USART: DeviceModel = {
  defaultSize: 0x400,
  irqs: 1,
  params: {
    bus: {
      min: 1,
      max: 2,
      default: 1,
      description:
        'the APB the USART sits on (1: APB1, clock pclk1; 2: APB2, clock pclk2), which times its frames',
    },
  },
  create: (config, ctx) => new Stm32f4Usart(config, ctx),
};
