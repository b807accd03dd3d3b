import { benchCardSequences } from './card-apdus.js';

/** Runs the benchmarks and prints Markdown tables for BENCHMARKS.md. Needs pcscd running (scripts/start-pcscd.sh). */
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
