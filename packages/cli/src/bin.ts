#!/usr/bin/env node
import { reportError } from './output.js';
import { buildProgram } from './program.js';

const json = process.argv.includes('--json');
buildProgram()
  .parseAsync(process.argv)
  .then(() => {
    process.exitCode ??= 0;
  })
  .catch((error: unknown) => {
    process.exitCode = reportError(error, json);
  });
