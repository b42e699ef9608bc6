// Progress on a terminal: the layer callback from the firmware's ITM markers (in order, while the run
// goes), the one-line bar drawn on a TTY, and nothing at all when stderr is not a terminal.
import { describe, expect, it } from 'vitest';
import { layerProgress, progressLine, type ProgressStream } from '../src/cli/progress.js';
import { detect } from '../src/detector/detect.js';
import { loadBoard } from '../src/emulator/board.js';
import { haveToolchain } from './helpers/firmware.js';
import { cli } from './helpers/run.js';

if (!haveToolchain) console.warn('skipping detector progress tests: arm-none-eabi-gcc not found');

function fakeStream(isTTY: boolean, columns?: number): ProgressStream & { text: string } {
  const s = { isTTY, columns, text: '', write: (t: string) => ((s.text += t), true) };
  return s;
}

describe('progress bar', () => {
  it('draws nothing when the stream is not a terminal or the output is JSON', () => {
    const cases: [ProgressStream & { text: string }, boolean][] = [
      [fakeStream(false), false],
      [fakeStream(true), true],
      [{ text: '', write: () => true }, false], // no isTTY at all
    ];
    for (const [stream, json] of cases) {
      const p = layerProgress({ stream, json });
      expect(p.onLayer).toBeUndefined();
      p.done();
      expect(stream.text).toBe('');
    }
  });

  it('on a terminal: one line redrawn with \\r, then erased', () => {
    const stream = fakeStream(true, 80);
    const p = layerProgress({ stream });
    p.onLayer!(5, 'mbconv2', 'begin', 12);
    expect(stream.text).toBe('\r[#######.............] 5/12 mbconv2');
    p.onLayer!(5, 'mbconv2', 'end', 12);
    p.onLayer!(6, 'head2', 'begin', 12);
    // Shorter than the line before: padded with spaces over its tail.
    expect(stream.text.endsWith('\r[########............] 6/12 head2  ')).toBe(true);
    expect(stream.text).not.toContain('\n');
    p.done();
    expect(stream.text.endsWith(`\r${' '.repeat(33)}\r`)).toBe(true);
    const before = stream.text;
    p.done();
    expect(stream.text).toBe(before);
  });

  it('never wraps: the line is cut to the terminal width (80 when it reports 0 columns)', () => {
    const narrow = fakeStream(true, 20);
    layerProgress({ stream: narrow }).onLayer!(1, 'a-very-long-layer-name', 'begin', 12);
    expect(narrow.text).toBe('\r' + progressLine(0, 12, 1, 'a-very-long-layer-name').slice(0, 19));
    const zero = fakeStream(true, 0);
    layerProgress({ stream: zero }).onLayer!(1, 'conv', 'begin', 12);
    expect(zero.text).toBe('\r' + progressLine(0, 12, 1, 'conv'));
  });

  it('progressLine fills the bar by finished layers', () => {
    expect(progressLine(0, 12, 1, 'conv')).toBe(`[${'.'.repeat(20)}] 1/12 conv`);
    expect(progressLine(12, 12, 12, 'boxes')).toBe(`[${'#'.repeat(20)}] 12/12 boxes`);
    expect(progressLine(0, 0, 0, '')).toBe(`[${'.'.repeat(20)}] 0/0 `);
  });
});

describe.skipIf(!haveToolchain)('layer callback and the command line', () => {
  it('detect(): layer begin/end events arrive in order, ids 1..12, during the run', () => {
    const events: { id: number; name: string; phase: string; total: number }[] = [];
    const report = detect({
      board: loadBoard('m4-256k'),
      onLayer: (id, name, phase, total) => events.push({ id, name, phase, total }),
    });
    // RNNPool-Face-M4's layers in run order, then the firmware's boxes stage.
    const names = [
      'conv',
      'rnnpool',
      'mbconv1',
      'head1',
      'mbconv2',
      'head2',
      'mbconv3',
      'head3',
      'mbconv4',
      'head4',
      'outputs',
      'boxes',
    ];
    const expected = names.flatMap((name, i) => [
      { id: i + 1, name, phase: 'begin', total: 12 },
      { id: i + 1, name, phase: 'end', total: 12 },
    ]);
    expect(events).toEqual(expected);
    // The same markers as the run's ITM record (ports 1 and 2), in the same order.
    const markers = report.run.result.itm.filter((e) => e.port === 1 || e.port === 2);
    expect(markers.map((e) => [e.value, e.port === 1 ? 'begin' : 'end'])).toEqual(
      events.map((e) => [e.id, e.phase]),
    );
  });

  it('simulate and report print no progress bar (no \\r) when stderr is not a terminal', () => {
    const sim = cli(['simulate', '--no-reference']);
    expect(sim.status).toBe(0);
    expect(sim.stderr).toContain('layers');
    expect(sim.stderr + sim.stdout).not.toContain('\r');
    const json = cli(['simulate', '--no-reference', '--json']);
    expect(json.status).toBe(0);
    expect(json.stderr + json.stdout).not.toContain('\r');
    expect(JSON.parse(json.stdout).detector.layers).toHaveLength(12);
    const report = cli(['report', '--no-reference', '--top', '3']);
    expect(report.status).toBe(0);
    expect(report.stderr).toContain('function');
    expect(report.stderr + report.stdout).not.toContain('\r');
  });
});
