// The HTML report as a user sees it: `m4sim report --html` opened from file:// in headless Chromium
// (Debian's chromium, driven by playwright-core; never a downloaded browser). No console errors, no
// requests other than the file itself and data: URIs; the verdict, the SRAM chart, the layer table
// and the image with its boxes are there and visible; a screenshot is not blank.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveToolchain } from './helpers/firmware.js';
import { cli } from './helpers/run.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(`skipping the report browser test: ${CHROMIUM} not found (apt-get install chromium)`);
if (!haveToolchain) console.warn('skipping the report browser test: arm-none-eabi-gcc not found');

// As root on a machine with a closed network: no sandbox, no GPU, and none of Chromium's own traffic.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe.skipIf(!haveChromium || !haveToolchain)('HTML report in headless Chromium', () => {
  let dir: string;
  let context: BrowserContext;
  let page: Page;
  let html: string;
  const errors: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'm4sim-report-browser-'));
    const file = join(dir, 'report.html');
    const run = cli(['report', '--html', file, '--top', '3']);
    expect(run.status, run.stderr).toBe(0);
    html = readFileSync(file, 'utf8');
    // A fresh profile each time (launchPersistentContext is how playwright takes --user-data-dir).
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  }, 300_000);

  afterAll(async () => {
    await context?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads without console errors, page errors or network requests', () => {
    expect(errors).toEqual([]);
    expect(requests.length).toBeGreaterThan(0);
    for (const url of requests) expect(url).toMatch(/^(file|data):/);
  });

  it('shows the verdict', async () => {
    const verdict = page.locator('#verdict');
    expect(await verdict.isVisible()).toBe(true);
    expect(await verdict.textContent()).toMatch(/^Verdict: (PASS|FAIL)$/);
  });

  it('draws the SRAM chart in its section', async () => {
    const chart = page.locator('section#sram-time svg#sram-chart');
    expect(await chart.count()).toBe(1);
    expect(await chart.isVisible()).toBe(true);
    const box = (await chart.boundingBox())!;
    expect(box.width).toBeGreaterThan(500);
    expect(box.height).toBeGreaterThan(100);
    expect(await chart.locator('path').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('section#sram svg#sram-bar').isVisible()).toBe(true);
  });

  it('lists the 12 layers of the M4 detector', async () => {
    const rows = page.locator('section#layers table#layer-table tr:has(td)');
    expect(await rows.count()).toBeGreaterThanOrEqual(12);
    expect(await rows.first().isVisible()).toBe(true);
    expect(await rows.first().locator('td').first().textContent()).toBe('conv');
    expect(await rows.nth(11).locator('td').first().textContent()).toBe('boxes');
  });

  it('shows the image, loaded from its data: URI, with the boxes over it', async () => {
    const img = page.locator('section#image img#detections');
    expect(await img.isVisible()).toBe(true);
    // (tsconfig has no DOM lib: the element's fields are named here.)
    const state = await img.evaluate((el) => {
      const i = el as unknown as {
        src: string;
        complete: boolean;
        naturalWidth: number;
        naturalHeight: number;
      };
      return {
        src: i.src.slice(0, 22),
        complete: i.complete,
        naturalWidth: i.naturalWidth,
        naturalHeight: i.naturalHeight,
      };
    });
    expect(state).toMatchObject({ src: 'data:image/png;base64,', complete: true });
    expect(state.naturalWidth).toBeGreaterThan(0);
    expect(state.naturalHeight).toBeGreaterThan(0);
    const imgBox = (await img.boundingBox())!;
    expect(imgBox.width).toBeGreaterThan(100);
    // The overlay covers the image exactly, and holds the firmware's and the reference's boxes.
    const overlay = page.locator('section#image .imgwrap svg');
    expect(await overlay.isVisible()).toBe(true);
    const overlayBox = (await overlay.boundingBox())!;
    for (const k of ['x', 'y', 'width', 'height'] as const) expect(overlayBox[k]).toBeCloseTo(imgBox[k], 0);
    const rects = overlay.locator('rect');
    const expected = (html.match(/<title>(firmware|reference) [\d.]+<\/title><\/rect>/g) ?? []).length;
    expect(expected).toBeGreaterThan(0);
    expect(await rects.count()).toBe(expected);
    const first = (await rects.first().boundingBox())!;
    expect(first.width).toBeGreaterThan(0);
    expect(first.height).toBeGreaterThan(0);
    // Boxes may reach past the image's edge by a little (a face cut off by the frame), not far.
    expect(first.x).toBeGreaterThan(imgBox.x - imgBox.width / 2);
    expect(first.x).toBeLessThan(imgBox.x + imgBox.width);
  });

  it('takes a non-trivial full-page screenshot', async () => {
    const png = join(dir, 'report.png');
    await page.screenshot({ path: png, fullPage: true });
    expect(statSync(png).size).toBeGreaterThan(10_000);
    if (process.env.M4SIM_REPORT_SCREENSHOT)
      await page.screenshot({ path: process.env.M4SIM_REPORT_SCREENSHOT, fullPage: true });
  });
});
