// The GDB Remote Serial Protocol's framing (GDB manual, "Remote Protocol", sections "Overview" and
// "Packets"): `$data#cc` with cc the modulo-256 sum of the data bytes as two hex digits, acknowledged
// by `+` (or `-`: send again); a lone 0x03 byte outside a packet is an interrupt (Ctrl-C). Binary
// data escapes `#`, `$`, `}` (and `*` in replies) as `}` followed by the byte XOR 0x20.
//
// Run-length encoding (`X*n`) is something a stub may use in its replies; gdb never sends it, and
// the binary data of an X packet may hold a raw `*`, so incoming packets are not run-length decoded.

/** Largest packet data accepted and advertised (qSupported PacketSize, hex: 0x4000). */
export const MAX_PACKET = 0x4000;

/** What the reader found in the byte stream. */
export type ReaderEvent =
  | { kind: 'packet'; data: Buffer }
  /** `+` / `-` acknowledging our last packet. */
  | { kind: 'ack' }
  | { kind: 'nack' }
  /** 0x03 between packets. */
  | { kind: 'interrupt' }
  /** A packet whose checksum did not match, or that was cut off or too long: answer `-`. */
  | { kind: 'bad'; why: string };

export function checksum(data: Uint8Array): number {
  let sum = 0;
  for (const b of data) sum = (sum + b) & 0xff;
  return sum;
}

/** `$data#cc` for data already escaped as the packet needs. */
export function frame(data: Uint8Array | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
  const cs = checksum(body).toString(16).padStart(2, '0');
  return Buffer.concat([Buffer.from('$'), body, Buffer.from(`#${cs}`)]);
}

const ESCAPE = 0x7d;
/** Bytes escaped in binary data: `#`, `$`, `}`, and `*` so a reply is never read as run-length encoded. */
const ESCAPED = new Set([0x23, 0x24, 0x7d, 0x2a]);

export function escapeBinary(bytes: Uint8Array): Buffer {
  const out: number[] = [];
  for (const b of bytes) {
    if (ESCAPED.has(b)) out.push(ESCAPE, b ^ 0x20);
    else out.push(b);
  }
  return Buffer.from(out);
}

/** Binary data of an X packet back to bytes; null when it ends with a lone escape. */
export function unescapeBinary(data: Uint8Array): Buffer | null {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === ESCAPE) {
      if (i + 1 >= data.length) return null;
      out.push(data[++i]! ^ 0x20);
    } else out.push(b);
  }
  return Buffer.from(out);
}

const HEX_PAIR = /^(?:[0-9a-fA-F]{2})*$/;

/** Hex pairs to bytes; null unless the text is an even number of hex digits. */
export function hexToBytes(text: string): Buffer | null {
  return HEX_PAIR.test(text) ? Buffer.from(text, 'hex') : null;
}

export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** A number as the protocol writes addresses and lengths: hex digits, no prefix; null otherwise. */
export function parseHexNumber(text: string, max = 0xffffffff): number | null {
  if (!/^[0-9a-fA-F]{1,16}$/.test(text)) return null;
  const n = parseInt(text, 16);
  return n <= max ? n : null;
}

/**
 * Splits the byte stream from gdb into packets, acknowledgements and interrupts. Feed it whatever
 * the socket delivers; packets may be split across chunks or several may share one.
 */
export class PacketReader {
  private state: 'idle' | 'data' | 'check1' | 'check2' = 'idle';
  private data: number[] = [];
  private check = '';
  private overflow = false;

  feed(chunk: Uint8Array): ReaderEvent[] {
    const events: ReaderEvent[] = [];
    for (const b of chunk) {
      switch (this.state) {
        case 'idle':
          if (b === 0x24) this.start();
          else if (b === 0x2b) events.push({ kind: 'ack' });
          else if (b === 0x2d) events.push({ kind: 'nack' });
          else if (b === 0x03) events.push({ kind: 'interrupt' });
          // Anything else between packets is line noise: skipped.
          break;
        case 'data':
          if (b === 0x23) this.state = 'check1';
          else if (b === 0x24) {
            // A new packet before the old one ended: the old one was cut off.
            events.push({ kind: 'bad', why: 'a packet was cut off by the next one' });
            this.start();
          } else if (this.data.length < MAX_PACKET) this.data.push(b);
          else this.overflow = true;
          break;
        case 'check1':
          this.check = String.fromCharCode(b);
          this.state = 'check2';
          break;
        case 'check2': {
          this.check += String.fromCharCode(b);
          this.state = 'idle';
          const data = Buffer.from(this.data);
          this.data = [];
          if (this.overflow) events.push({ kind: 'bad', why: `a packet longer than ${MAX_PACKET} bytes` });
          else if (!/^[0-9a-fA-F]{2}$/.test(this.check))
            events.push({ kind: 'bad', why: 'a checksum that is not two hex digits' });
          else if (parseInt(this.check, 16) !== checksum(data))
            events.push({ kind: 'bad', why: 'a checksum that does not match' });
          else events.push({ kind: 'packet', data });
          break;
        }
      }
    }
    return events;
  }

  private start(): void {
    this.state = 'data';
    this.data = [];
    this.overflow = false;
  }
}
