// The board's peripheral ranges as the firmware sees them: an access inside a modeled device's
// registers goes to the device (byte and halfword accesses merged into its word registers, as on the
// PPB), anything else in the range to the unmodeled store, which reads back the last write and lists
// what was touched.
import type { Device } from './device.js';
import type { UnmodeledPeripherals } from './unmodeled.js';

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
    if (size >= 4) {
      dev.writeWord((address & ~3) >>> 0, value >>> 0, 0xffffffff);
      return;
    }
    const shift = (address & 3) * 8;
    const mask = (((1 << (size * 8)) - 1) << shift) >>> 0;
    dev.writeWord((address & ~3) >>> 0, ((value << shift) & mask) >>> 0, mask);
  }

  /** Devices with timed behaviour (timers): the machine asks them for their next event. */
  get timed(): Device[] {
    return this.devices.filter((d) => d.nextEvent !== undefined);
  }

  get all(): readonly Device[] {
    return this.devices;
  }
}
