#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`m4sim: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 70;
  },
);
