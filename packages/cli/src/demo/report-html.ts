import type { CertificateSummary } from '../certificate-summary.js';
import type { ReportBoothCase, ReportData, ReportOcspEvidence, ReportW3, ReportW4 } from './report-model.js';
import type { Outcome, TimelineEntry } from './timeline.js';

// One self-contained HTML file: inline CSS, photos as data: URIs, no script, nothing fetched.

const esc = (value: unknown): string => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const score = (value: number | null | undefined): string =>
  value === null || value === undefined ? '—' : value.toFixed(3);

function table(rows: readonly (readonly [string, unknown])[]): string {
  return `<table class="kv">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

function certificate(label: string, c: CertificateSummary): string {
  return `<h4>${esc(label)}</h4>${table([
    ['subject', c.subject],
    ['issuer', c.issuer],
    ['serial', c.serialNumber],
    ['valid from', c.notBefore],
    ['valid to', c.notAfter],
    ['SHA-256', c.sha256Fingerprint],
  ])}`;
}

function boothCase(c: ReportBoothCase): string {
  const photos = c.photos
    .map(
      (p) =>
        `<figure><img src="${p.dataUri}" alt="${esc(p.label)}"><figcaption>${esc(p.label)}${
          p.score === undefined ? '' : `<br>similarity to live: <b>${score(p.score)}</b>`
        }</figcaption></figure>`,
    )
    .join('');
  const face = c.faceCheck;
  const faceTable = face
    ? table([
        ['outcome', face.outcome],
        ['rule that decided', face.rule ?? '—'],
        ['rules fired', face.firedRules.join(', ') || 'none'],
        ['sim(live, card)', score(face.scores?.card)],
        ['sim(live, history)', score(face.scores?.history)],
        ['delta', score(face.scores?.delta)],
        ['card threshold', face.thresholds?.card ?? '—'],
        ['δ (delta threshold)', face.thresholds?.delta ?? '—'],
        ['history combined by', face.thresholds?.historyCombine ?? '—'],
        ['model', face.model ?? '—'],
      ])
    : '<p>no face check</p>';
  const certCheck = c.certificateCheck
    ? `<p>certificate check at ${esc(c.certificateCheck.checkedAt)}: <b>${c.certificateCheck.valid ? 'valid' : 'invalid'}</b></p>
<table class="grid"><tr><th>certificate</th><th>serial</th><th>not after</th><th>status</th><th>source</th><th>produced at</th></tr>${c.certificateCheck.certificates
        .map(
          (e) =>
            `<tr><td>${esc(e.type)}</td><td>${esc(e.serial)}</td><td>${esc(e.notAfter)}</td><td>${esc(e.status)}</td><td>${esc(e.source)}</td><td>${esc(e.producedAt ?? '—')}</td></tr>`,
        )
        .join('')}</table>`
    : '';
  const review = c.review
    ? `<h4>Municipality review</h4>${table([
        ['reviewer', c.review.reviewerId],
        ['decision', c.review.decision],
        ['reason', c.review.reason],
        ['at', c.review.at],
      ])}`
    : '';
  return `<section><h2>${esc(c.title)}</h2>
<p class="story">${esc(c.story)}</p>
${table([
  ['persona', c.persona],
  ['case', c.caseId],
  ['status', c.status],
  ['live photo joined the history', c.historyJoined ?? '—'],
  ...(c.registrationId !== undefined ? [['registration id', c.registrationId ?? '—'] as const] : []),
])}
<div class="photos">${photos}</div>
<h4>Face check</h4>${faceTable}
<h4>Certificate check (J-LIS, OCSP)</h4>${certCheck}
${review}
${(c.certificates ?? []).map((x) => certificate(x.label, x.summary)).join('')}
<h4>Audit trail</h4><ol class="audit">${c.audit.map((a) => `<li>${esc(a.at)} ${esc(a.type)}</li>`).join('')}</ol>
</section>`;
}

function ocsp(e: ReportOcspEvidence): string {
  return `<h4>${esc(e.label)}</h4>${table([
    ['status', e.status],
    ['reason', e.reason ?? '—'],
    ['revoked at', e.revokedAt ?? '—'],
    ['responder URL', e.url],
    ['producedAt', e.producedAt],
    ['thisUpdate', e.thisUpdate],
    ['nextUpdate', e.nextUpdate ?? '—'],
    ['responder', e.responder],
    ['signed by', e.signer],
    ['CertID hash', e.certIdHash],
    ['nonce checked', e.nonceChecked],
    ['raw OCSPResponse', `${e.rawResponseBytes} bytes, SHA-256 ${e.rawResponseSha256}`],
  ])}`;
}

function w3(r: ReportW3): string {
  return `<section><h2>W3 certificate issuance with a reception number</h2>
<p class="story">${esc(r.persona)} applies on the phone (auth PIN checked by the card, server challenge signed with the card's key), takes the reception number to a kiosk; the kiosk prints only after the phone answers "print".</p>
${table([
  ['persona', r.persona],
  ['application', r.application],
  ['reception number', `${r.receptionNumberDigits} digits (not shown: it is the applicant's ticket)`],
  ['phone answer', r.phoneAnswer],
  ['kiosk', r.kioskOutcome],
  ...(r.document
    ? ([
        ['document', `${r.document.mediaType}, ${r.document.bytes} bytes, ${r.document.copies} copy/copies`],
        ['document SHA-256', r.document.sha256],
      ] as const)
    : []),
])}</section>`;
}

function w4(r: ReportW4): string {
  return `<section><h2>W4 eKYC: login, identity verification, status re-check</h2>
<p class="story">${esc(r.persona)} logs in with the user-authentication certificate (bound to customer ${esc(r.customerId)}), verifies their identity with the signing certificate (the evidence is kept for 7 years), then moves: J-LIS revokes the signing certificate and the next re-check says the basic four changed.</p>
${table([
  ['customer', r.customerId],
  ['login: auth serial', r.login?.authSerial ?? '—'],
  ['login: newly bound', r.login?.newlyBound ?? '—'],
  ['identity: evidence id', r.identity?.evidenceId ?? '—'],
  ['identity: signing serial', r.identity?.signSerial ?? '—'],
  ['evidence kept until', r.identity?.retainUntil ?? '—'],
])}
<h4>Status re-checks (現況確認)</h4>
<table class="grid"><tr><th></th><th>status</th><th>meaning</th><th>reason</th><th>revoked at</th><th>checked at</th></tr>${r.rechecks
    .map(
      (x) =>
        `<tr><td>${esc(x.label)}</td><td>${esc(x.status)}</td><td>${esc(x.meaning)}</td><td>${esc(x.reason ?? '—')}</td><td>${esc(x.revokedAt ?? '—')}</td><td>${esc(x.checkedAt)}</td></tr>`,
    )
    .join('')}</table>
<h3>OCSP evidence</h3>${r.ocsp.map(ocsp).join('')}
${r.certificates.map((x) => certificate(x.label, x.summary)).join('')}
</section>`;
}

export function renderReport(
  data: ReportData,
  run: { ok: boolean; elapsedMs: number; timeline: readonly TimelineEntry[]; outcomes: readonly Outcome[] },
): string {
  const outcomes = run.outcomes
    .map(
      (o) =>
        `<tr class="${o.ok ? 'ok' : 'bad'}"><td>${o.ok ? '✔' : '✘'}</td><td>${esc(o.workflow)}</td><td>${esc(o.description)}</td><td>${esc(o.expected)}</td><td>${esc(o.actual)}</td></tr>`,
    )
    .join('');
  const timeline = run.timeline
    .map(
      (t) =>
        `<tr><td class="num">${t.elapsedMs}</td><td>${esc(t.workflow)}</td><td>${esc(t.step)}</td><td>${esc(t.detail ?? '')}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mynakit demo report</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #ccd;padding-bottom:.2rem;margin-top:2.5rem}
.verdict{font-size:1.2rem;font-weight:600}.verdict.ok,.ok td:first-child{color:#1a7f37}.verdict.bad,.bad td{color:#b3261e}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
table.kv th{background:#f6f6f9;font-weight:500;white-space:nowrap}.grid th{background:#f6f6f9}
.num{text-align:right;font-variant-numeric:tabular-nums}.story{background:#f6f8fa;border-left:4px solid #88a;padding:.5rem .8rem}
.photos{display:flex;gap:1rem;flex-wrap:wrap;align-items:flex-end}figure{margin:0;text-align:center}
figure img{height:220px;border:1px solid #ccc;background:#eee}figcaption{font-size:12px;max-width:240px}
.audit{font-size:12px;color:#555}
</style></head><body>
<h1>mynakit demo</h1>
<p>Generated ${esc(data.generatedAt)} in ${run.elapsedMs} ms, against the mock J-LIS, the reference server on SQLite and virtual cards on pcscd. Test personas only; no PIN, My Number or basic four is in this file.</p>
<p class="verdict ${run.ok ? 'ok' : 'bad'}">${run.ok ? 'Every outcome is the expected one.' : 'Some outcomes are not the expected ones.'}</p>
<h2>Outcomes</h2><table class="grid"><tr><th></th><th>workflow</th><th>check</th><th>expected</th><th>actual</th></tr>${outcomes}</table>
${data.boothCases.map(boothCase).join('\n')}
${data.w3 ? w3(data.w3) : ''}
${data.w4 ? w4(data.w4) : ''}
<h2>Timeline</h2><table class="grid"><tr><th>ms</th><th>workflow</th><th>step</th><th>detail</th></tr>${timeline}</table>
</body></html>
`;
}
