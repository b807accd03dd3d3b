import { benchCardSequences } from './card-apdus.js';
import { benchCrl, benchValidation } from './jpki-validation.js';

/**
 * Runs the benchmarks and prints Markdown tables for BENCHMARKS.md. `pnpm bench` runs all; `pnpm bench card` or
 * `pnpm bench jpki` one group. The card group needs pcscd running (scripts/start-pcscd.sh).
 */
const only = process.argv[2];

if (!only || only === 'card') {
  const card = await benchCardSequences();
  console.log(
    `## Card APDUs (virtual card on pcscd + vpcd, ${process.env.BENCH_ITERATIONS ?? 30} iterations)\n`,
  );
  console.log('| sequence | mode | APDUs | protocol minimum | median ms | p90 ms |');
  console.log('|---|---|---|---|---|---|');
  for (const r of card) {
    console.log(
      `| ${r.sequence} | ${r.mode} | ${r.apdus} | ${r.protocolMinimum} | ${r.medianMs} | ${r.p90Ms} |`,
    );
  }
}

if (!only || only === 'jpki') {
  console.log('\n## JPKI validation, one core\n');
  console.log('| what | per second | µs each |');
  console.log('|---|---|---|');
  for (const r of await benchValidation()) console.log(`| ${r.name} | ${r.perSecond} | ${r.microsPerOp} |`);
  console.log('\n## CRL load and lookup\n');
  console.log('| entries | DER size | load (verify + index) ms | lookup ns |');
  console.log('|---|---|---|---|');
  for (const r of await benchCrl()) {
    console.log(
      `| ${r.entries.toLocaleString('en')} | ${(r.derBytes / 1e6).toFixed(1)} MB | ${r.loadMs} | ${r.lookupNs} |`,
    );
  }
}
