// Runs scenarios on a pool of worker threads (or in this thread for one job). Workers load the built
// code in dist/ (the CLI runs from there); firmware is built here first, so workers only hit the cache.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { projectRoot } from '../util/paths.js';
import { failedResult, prepareScenario, runScenario, type ScenarioResult } from './run.js';
import type { Scenario } from './schema.js';

const WORKER_ROLE = 'm4sim-scenario-worker';

interface Task {
  index: number;
  scenario: Scenario;
  /** The ELF built in the main thread. */
  elf: string;
}

interface Done {
  index: number;
  result: ScenarioResult;
}

export interface RunScenariosOptions {
  /** Worker threads (default: the number of cores); 1 runs in this thread. */
  jobs?: number;
  /** Called as each scenario finishes (in completion order). */
  onResult?: (result: ScenarioResult, index: number) => void;
}

export function defaultJobs(): number {
  return availableParallelism();
}

/** dist/scenarios/parallel.js, or null when dist/ is not built. */
export function workerScript(): string | null {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.js')) return self;
  const built = join(projectRoot(), 'dist', 'scenarios', 'parallel.js');
  return existsSync(built) ? built : null;
}

/** `i/n` (1-based) → the scenarios of that slice: every n-th, starting at the i-th. */
export function shard<T>(items: T[], index: number, count: number): T[] {
  return items.filter((_, k) => k % count === index - 1);
}

/** What decides a build: scenarios with the same key share one ELF (linked for the board's memory map). */
function buildKey(s: Scenario): string {
  return JSON.stringify([s.firmware, s.firmware.kind === 'elf' ? null : [s.board, s.ram, s.flashSize]]);
}

/** Builds every scenario's firmware (the same firmware once); what was thrown for a failed build. */
function prepareAll(scenarios: Scenario[]): ({ elf: string } | { error: unknown })[] {
  const done = new Map<string, { elf: string } | { error: unknown }>();
  return scenarios.map((s) => {
    const key = buildKey(s);
    let out = done.get(key);
    if (!out) {
      try {
        out = { elf: prepareScenario(s) };
      } catch (e) {
        out = { error: e };
      }
      done.set(key, out);
    }
    return out;
  });
}

/** Runs every scenario and returns the results in the scenarios' order. */
export async function runScenarios(
  scenarios: Scenario[],
  opts: RunScenariosOptions = {},
): Promise<{ results: ScenarioResult[]; notes: string[] }> {
  const notes: string[] = [];
  const results: ScenarioResult[] = new Array(scenarios.length);
  const jobs = Math.max(1, Math.min(opts.jobs ?? defaultJobs(), scenarios.length));
  const script = jobs > 1 ? workerScript() : null;
  if (jobs > 1 && !script) notes.push('dist/ is not built: running scenarios in this thread');
  // Build each firmware here, once: workers only run it (two workers must not run gcc on the same
  // output, nor rewrite the detector's generated headers while another one reads them).
  const builds = prepareAll(scenarios);
  const elves = builds.map((b) => ('elf' in b ? b.elf : null));
  builds.forEach((b, i) => {
    if ('error' in b) {
      results[i] = failedResult(scenarios[i]!, b.error);
      opts.onResult?.(results[i]!, i);
    }
  });
  const queue = scenarios.map((_, i) => i).filter((i) => elves[i] !== null);
  if (!script) {
    for (const i of queue) {
      results[i] = runScenario(scenarios[i]!, elves[i]!);
      opts.onResult?.(results[i]!, i);
    }
    return { results, notes };
  }
  let next = 0;
  await new Promise<void>((resolveAll) => {
    let running = 0;
    const start = () => {
      const worker = new Worker(script, { workerData: { role: WORKER_ROLE } });
      let current: Task | null = null;
      running++;
      const feed = () => {
        if (next >= queue.length) {
          current = null;
          void worker.terminate();
          return;
        }
        const index = queue[next++]!;
        current = { index, scenario: scenarios[index]!, elf: elves[index]! };
        worker.postMessage(current);
      };
      worker.on('message', (m: Done) => {
        results[m.index] = m.result;
        opts.onResult?.(m.result, m.index);
        feed();
      });
      worker.on('error', (e) => {
        if (current) {
          results[current.index] = failedResult(current.scenario, `worker thread failed: ${e.message}`);
          opts.onResult?.(results[current.index]!, current.index);
          current = null;
        }
      });
      worker.on('exit', () => {
        if (current) {
          results[current.index] = failedResult(current.scenario, 'worker thread exited during the run');
          opts.onResult?.(results[current.index]!, current.index);
        }
        running--;
        if (running === 0) {
          // A worker that died leaves its queue to a fresh one.
          if (next < queue.length) start();
          else resolveAll();
        }
      });
      feed();
    };
    if (queue.length === 0) resolveAll();
    for (let k = 0; k < Math.min(jobs, queue.length); k++) start();
  });
  return { results, notes };
}

if (!isMainThread && parentPort && (workerData as { role?: string } | null)?.role === WORKER_ROLE) {
  const port = parentPort;
  port.on('message', (task: Task) => {
    const result = runScenario(task.scenario, task.elf);
    port.postMessage({ index: task.index, result } satisfies Done);
  });
}
