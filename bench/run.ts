import { benchCardSequences } from './card-apdus.js';
import { benchFaceAccuracy, benchFaceLatency, benchFaceRss, benchFaceThroughput, FACE_DATA } from './face.js';
import { benchCrl, benchValidation } from './jpki-validation.js';
import { benchW1, benchW3, dbName, machine } from './workflows.js';

/**
 * Runs the benchmarks and prints Markdown tables for BENCHMARKS.md. `pnpm bench` runs all; `pnpm bench card` or
 * `pnpm bench jpki` one group. The card group needs pcscd running (scripts/start-pcscd.sh). `pnpm bench face [part]`
 * runs the face group or one part of it (latency, throughput, rss, accuracy). `pnpm bench workflows [w3|w1]` runs the
 * reference-server workflows (PostgreSQL from scripts/start-postgres.sh).
 */
const only = process.argv[2];
const part = process.argv[3];

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

if (!only || only === 'face') {
  const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
  if (!part || part === 'latency') {
    console.log('\n## Face: latency per image, one engine, one thread (ms)\n');
    console.log(
      '| image | engine options | n | decode median / p90 | detect median / p90 | embed median / p90 | total median / p90 |',
    );
    console.log('|---|---|---|---|---|---|---|');
    for (const r of await benchFaceLatency()) {
      const s = (x: { median: number; p90: number }) => `${x.median} / ${x.p90}`;
      console.log(
        `| ${r.kind} | ${r.engine} | ${r.images} | ${s(r.decode)} | ${s(r.detect)} | ${s(r.embed)} | ${s(r.total)} |`,
      );
    }
  }
  if (!part || part === 'throughput') {
    console.log('\n## Face: throughput (booth portraits)\n');
    console.log('| setup | analyses | seconds | images/s |');
    console.log('|---|---|---|---|');
    for (const r of await benchFaceThroughput()) {
      console.log(`| ${r.setup} | ${r.analyses} | ${r.seconds} | ${r.perSecond} |`);
    }
  }
  if (!part || part === 'rss') {
    console.log('\n## Face: peak RSS, one child process per scenario\n');
    console.log('| scenario | peak RSS MB |');
    console.log('|---|---|');
    for (const r of await benchFaceRss()) console.log(`| ${r.scenario} | ${r.maxRssMb} |`);
  }
  if (!part || part === 'accuracy') {
    const accuracy = await benchFaceAccuracy();
    if (accuracy === undefined) {
      console.log(`\n## Face: accuracy — skipped: no labelled photo set at ${FACE_DATA} (set FACE_DATA)\n`);
    } else {
      console.log('\n## Face: accuracy (cosine of L2-normalised faceres embeddings)\n');
      console.log(
        '| evaluation | photos | genuine pairs | impostor pairs | EER | FRR at FAR 1 % | threshold at FAR 1 % |',
      );
      console.log('|---|---|---|---|---|---|---|');
      for (const r of accuracy.rows) {
        console.log(
          `| ${r.evaluation} | ${r.photos} | ${r.genuine} | ${r.impostor} | ${pct(r.eer)} | ${pct(r.frrAtFar1)}${r.reliable ? '' : ' (few impostors)'} | ${r.thresholdAtFar1.toFixed(3)} |`,
        );
      }
      for (const f of accuracy.failures) console.log(`\nnot analysed: ${f}`);
    }
  }
}

if (!only || only === 'workflows') {
  console.log(`\n## Workflows (${machine()})`);
  if (!part || part === 'w3') {
    console.log('\n### W3 applications through the reference server\n');
    console.log(
      '| database | server processes | clients | accepted/s | application p50 / p99 ms | challenge + sign + apply p50 / p99 ms | server CPU ms per application | load generator CPU ms per application | machine busy | failed |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const r of await benchW3()) {
      console.log(
        `| ${dbName(r.db)} | ${r.processes} | ${r.clients} | ${r.perSecond} | ${r.applyP50} / ${r.applyP99} | ${r.roundP50} / ${r.roundP99} | ${r.serverCpuMs} | ${r.clientCpuMs} | ${r.machineBusy} % | ${r.failed} |`,
      );
    }
  }
  if (!part || part === 'w1') {
    console.log('\n### W1 face decisions through the reference server (real FacePool)\n');
    console.log(
      '| database | server processes | FacePool size per process | booths | face checks/s | application → decision p50 / p99 ms | booth sees it p50 / p99 ms | server CPU ms per check | machine busy | outcomes |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const r of await benchW1()) {
      const outcomes = Object.entries(r.outcomes)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      console.log(
        `| ${dbName(r.db)} | ${r.processes} | ${r.poolSize} | ${r.booths} | ${r.perSecond} | ${r.decisionP50} / ${r.decisionP99} | ${r.boothP50} / ${r.boothP99} | ${r.serverCpuMs} | ${r.machineBusy} % | ${outcomes} |`,
      );
    }
  }
}
