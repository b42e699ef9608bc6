// Loads a CommonJS dependency the first time it is used instead of at start-up: `m4sim simulate`
// of a firmware never parses YAML or decodes an image, and loading yaml, pngjs and jpeg-js up front
// cost it about 80 ms of its start-up (README "Start-up"). Each module is loaded once, with
// Node's own require (the packages are CommonJS), and then cached by it.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** `load()` returns the module named `name`, loading it on the first call. */
export function lazyRequire<T>(name: string): () => T {
  let mod: T | undefined;
  return () => (mod ??= require(name) as T);
}
