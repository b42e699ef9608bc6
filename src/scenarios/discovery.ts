// Which scenarios `m4sim check` runs: the files and folders named, or every scenarios/*.yaml (of the
// working directory when it has that folder, else m4sim's own), each read and validated, names unique.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputFileError } from '../util/input-file.js';
import { projectRoot } from '../util/paths.js';
import { UsageError } from '../util/units.js';
import { loadScenario, ScenarioError, type Scenario } from './schema.js';

/** Scenario files: the arguments (files or folders, a folder's *.yaml / *.yml sorted), or every scenarios/*.yaml. */
export function scenarioFiles(args: readonly string[]): string[] {
  const yamls = (dir: string) =>
    readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => join(dir, f));
  if (args.length === 0) {
    const local = resolve('scenarios');
    const dir = existsSync(local) ? local : join(projectRoot(), 'scenarios');
    return yamls(dir);
  }
  return args.flatMap((a) => (isDirectory(a) ? yamls(a) : [a]));
}

/** A folder of scenarios, or not (then loadScenario reads it as a file, refusing special files). */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file or folder' : `cannot be read (${code ?? 'unknown error'})`;
    throw new InputFileError(`scenario ${path}: ${why}`, 66);
  }
}

/**
 * The scenarios to run, validated: a usage error when there are none, a ScenarioError when two
 * share a name (results and baselines are keyed by it).
 */
export function discoverScenarios(args: readonly string[]): Scenario[] {
  const files = scenarioFiles(args);
  if (files.length === 0) throw new UsageError('no scenario files (scenarios/*.yaml) found');
  const scenarios = files.map(loadScenario);
  const seen = new Map<string, string>();
  for (const s of scenarios) {
    const other = seen.get(s.name);
    if (other) throw new ScenarioError(`${s.displayFile}: name: "${s.name}" is also the name of ${other}`);
    seen.set(s.name, s.displayFile);
  }
  return scenarios;
}
