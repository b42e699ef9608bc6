// The board's peripheral ranges as the firmware sees them: an access inside a modeled device's
// registers goes to the device (byte and halfword accesses merged into its word registers, as on the
// PPB), anything else in the range to the unmodeled store, which reads back the last write and lists
// what was touched.
import type { Device } from './device.js';
import type { UnmodeledPeripherals } from './unmodeled.js';

/** Distinct registers whose ignored writes are kept (a firmware has a handful). */
export const IGNORED_WRITE_LIMIT = 4096;

export class PeripheralBus {
  /** Sorted by base, disjoint (the board file's check). */
  private readonly devices: Device[];

  constructor(
    devices: readonly Device[],
    private readonly unmodeled: UnmodeledPeripherals,
  ) {
    this.devices = [...devices].sort((a, b) => a.base - b.base);
  }

  /** The device whose registers hold `address`, or null. */
  deviceAt(address: number): Device | null {
    const d = this.devices;
    let lo = 0;
    let hi = d.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const dev = d[mid]!;
      if (address < dev.base) hi = mid - 1;
      else if (address >= dev.base + dev.size) lo = mid + 1;
      else return dev;
    }
    return null;
  }

  read(address: number, size: number): number {
    const dev = this.deviceAt(address);
    if (!dev) return this.unmodeled.read(address, size);
    // A modeled register may be what a poll of an unmodeled one waits on (a timer, a UART flag).
    this.unmodeled.breakPoll();
    const word = dev.readWord((address & ~3) >>> 0);
    if (size >= 4) return word >>> 0;
    const shift = (address & 3) * 8;
    return (word >>> shift) & ((1 << (size * 8)) - 1);
  }

  write(address: number, size: number, value: number): void {
    const dev = this.deviceAt(address);
    if (!dev) {
      this.unmodeled.write(address, size, value);
      return;
    }
    this.unmodeled.breakPoll();
    const word = (address & ~3) >>> 0;
    const shift = (address & 3) * 8;
    const mask = size >= 4 ? 0xffffffff : (((1 << (size * 8)) - 1) << shift) >>> 0;
    if (dev.ignoresWrite?.(word, mask)) this.noteIgnored(dev, word);
    dev.writeWord(word, size >= 4 ? value >>> 0 : ((value << shift) & mask) >>> 0, mask);
  }

  /** Writes a model ignored (read-only or reserved), by device and word: `{device, offset, writes}`. */
  private readonly ignored = new Map<number, { device: string; offset: number; writes: number }>();

  private noteIgnored(dev: Device, word: number): void {
    const entry = this.ignored.get(word);
    if (entry) entry.writes++;
    else if (this.ignored.size < IGNORED_WRITE_LIMIT)
      this.ignored.set(word, { device: dev.name, offset: word - dev.base, writes: 1 });
  }

  /** The writes models ignored, by address: the first IGNORED_WRITE_LIMIT registers. */
  describeIgnored(): { device: string; offset: number; writes: number }[] {
    return [...this.ignored].sort((a, b) => a[0] - b[0]).map(([, e]) => ({ ...e }));
  }

  /** Devices with timed behaviour (timers): the machine asks them for their next event. */
  get timed(): Device[] {
    return this.devices.filter((d) => d.nextEvent !== undefined);
  }

  get all(): readonly Device[] {
    return this.devices;
  }
}
