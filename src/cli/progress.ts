// A one-line progress bar on a terminal for the detector's layers: `[######..............] 5/12 mbconv2`,
// redrawn in place with a carriage return as the firmware writes its ITM layer markers, and erased
// when the run is over. Nothing at all is written when the stream is not a terminal (pipes, files,
// CI logs) or when the output is JSON.
import type { LayerListener } from '../detector/run.js';

/** The part of a stream the bar needs (process.stderr, or a fake in tests). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface LayerProgress {
  /** Pass to detect()/runDetector(); undefined when no bar is drawn (no callback in the emulator at all). */
  onLayer: LayerListener | undefined;
  /** Erases the bar (safe to call more than once, and when nothing was drawn). */
  done(): void;
}

const BAR = 20;

/** The bar's text for `done` of `total` layers finished, `current` being the one running (or just run). */
export function progressLine(done: number, total: number, current: number, name: string): string {
  const filled = total > 0 ? Math.max(0, Math.min(BAR, Math.round((BAR * done) / total))) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${current}/${total} ${name}`;
}

export function layerProgress(opts: { json?: boolean; stream?: ProgressStream } = {}): LayerProgress {
  const stream = opts.stream ?? process.stderr;
  if (opts.json || stream.isTTY !== true) return { onLayer: undefined, done: () => {} };
  let shown = 0; // characters on the line now
  const draw = (text: string) => {
    // Never wrap: \r only returns to the start of the current line. A pseudo-terminal may report 0 columns.
    const columns = stream.columns !== undefined && stream.columns > 0 ? stream.columns : 80;
    const max = Math.max(10, columns - 1);
    const line = text.length > max ? text.slice(0, max) : text;
    stream.write(`\r${line}${' '.repeat(Math.max(0, shown - line.length))}`);
    shown = line.length;
  };
  return {
    onLayer: (id, name, phase, total) => {
      draw(progressLine(phase === 'begin' ? id - 1 : id, total, id, name));
    },
    done: () => {
      if (shown === 0) return;
      stream.write(`\r${' '.repeat(shown)}\r`);
      shown = 0;
    },
  };
}
