// A peripheral clock against the core's modeled cycles: a timer's kernel clock (RM0090 6.2: TIMxCLK,
// the APB clock, twice it when the APB prescaler is not 1) ticks tickHz / hclk times per core cycle.
// Exact rational arithmetic, so a timer's events fall on the same cycles in every run: the clock
// ticks at anchor + k · hclk / tickHz core cycles (k = 1, 2, …), both rates taken in whole Hz, and a
// tick that falls between two cycles is seen at the next one (the ceiling).

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** A rate in whole Hz, at least 1 (the board validates clockHz; a clock tree sets whole-Hz rates). */
function hz(rate: number): bigint {
  return BigInt(Math.max(1, Math.round(rate)));
}

export class TickClock {
  /** Core cycles per tick: num / den, reduced. */
  readonly num: bigint;
  readonly den: bigint;

  constructor(
    /** The core clock (HCLK) and the ticking clock, in Hz. */
    readonly hclk: number,
    readonly tickHz: number,
    /** The core cycle at which tick 0 is (the clock's phase): ticks are counted after it. */
    readonly anchor: number,
  ) {
    const h = hz(hclk);
    const f = hz(tickHz);
    const g = gcd(h, f);
    this.num = h / g;
    this.den = f / g;
  }

  /** Ticks in (anchor, t]: floor((t − anchor) · tickHz / hclk); 0 before the anchor. */
  ticks(t: number): number {
    const e = t - this.anchor;
    if (e <= 0) return 0;
    if (this.num === this.den) return e;
    return Number((BigInt(e) * this.den) / this.num);
  }

  /** The first core cycle by which `k` ticks have elapsed: anchor + ceil(k · hclk / tickHz). */
  cycleOf(k: number): number {
    if (k <= 0) return this.anchor;
    if (this.num === this.den) return this.anchor + k;
    const n = BigInt(k) * this.num;
    return this.anchor + Number((n + this.den - 1n) / this.den);
  }
}
