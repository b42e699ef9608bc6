/** An error in what the user asked for: printed as one line, exit status 64 (EX_USAGE). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Something m4sim needs is not installed (the toolchain, the native addon): exit status 69 (EX_UNAVAILABLE). */
export class UnavailableError extends Error {
  override name = 'UnavailableError';
}

/** "256K", "256KiB", "1M", "262144" → bytes. */
export function parseSize(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(k|kb|kib|m|mb|mib|)?\s*$/i.exec(text);
  if (!m) throw new UsageError(`${what}: expected a size like 256K, 1M or 262144, got "${text}"`);
  const unit = (m[2] ?? '').toLowerCase();
  const scale = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1;
  const bytes = Number(m[1]) * scale;
  if (!Number.isInteger(bytes) || bytes <= 0)
    throw new UsageError(`${what}: "${text}" is not a whole number of bytes`);
  return bytes;
}

/** "168MHz", "168M", "8000000", "48 MHz" → Hz. */
export function parseClock(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(hz|khz|mhz|ghz|k|m|g|)\s*$/i.exec(text);
  if (!m) throw new UsageError(`--clock: expected a frequency like 168MHz, got "${text}"`);
  const unit = (m[2] ?? '').toLowerCase();
  const scale = unit.startsWith('k') ? 1e3 : unit.startsWith('m') ? 1e6 : unit.startsWith('g') ? 1e9 : 1;
  const hz = Number(m[1]) * scale;
  if (!(hz > 0)) throw new UsageError(`--clock: "${text}" is not a positive frequency`);
  return hz;
}

/**
 * 1234567 → "1,234,567": a number rounded to an integer, digits grouped by threes as
 * toLocaleString('en-US') groups them, without Intl, whose first use costs a run's report about
 * 20 ms of start-up (README "Start-up").
 */
export function thousands(v: number): string {
  const r = Math.round(v);
  if (!Number.isFinite(r) || Math.abs(r) >= 1e21) return r.toLocaleString('en-US');
  const digits = String(Math.abs(r)).replace(/\B(?=(\d{3})+$)/g, ',');
  return r < 0 || Object.is(r, -0) ? `-${digits}` : digits;
}

export function hex(n: number, width = 8): string {
  return `0x${(n >>> 0).toString(16).padStart(width, '0')}`;
}
