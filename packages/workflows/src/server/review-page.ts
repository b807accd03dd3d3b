import { randomBytes } from 'node:crypto';

// The municipality review page (W1.5, W1.7, W2.5): one static page, no framework, no external assets. It holds no
// personal data: it asks for the reviewer's API key (kept in sessionStorage only), reads the JSON API with it and
// loads photos as blobs (an <img src> could not carry the Authorization header). Everything from the API is put in
// the page with textContent, never as HTML.

const STYLE = `
:root { font-family: system-ui, sans-serif; color: #1b1b1b; background: #f6f6f4; }
body { margin: 0; }
header { background: #24415f; color: #fff; padding: .6rem 1rem; display: flex; gap: 1rem; align-items: center; }
header h1 { font-size: 1.1rem; margin: 0; flex: 1; }
main { display: grid; grid-template-columns: minmax(16rem, 22rem) 1fr; gap: 1rem; padding: 1rem; }
section { background: #fff; border: 1px solid #d8d8d2; border-radius: 6px; padding: .8rem; }
#login { max-width: 28rem; margin: 3rem auto; }
#case-list { list-style: none; padding: 0; margin: .5rem 0 0; }
#case-list li { border-bottom: 1px solid #eee; padding: .4rem; cursor: pointer; }
#case-list li:hover, #case-list li[aria-selected="true"] { background: #e8f0f8; }
.muted { color: #666; font-size: .85rem; }
.photos { display: flex; flex-wrap: wrap; gap: .8rem; }
figure { margin: 0; text-align: center; }
figure img { max-height: 14rem; max-width: 12rem; border: 1px solid #ccc; background: #eee; }
table { border-collapse: collapse; margin: .4rem 0; }
td, th { border: 1px solid #ddd; padding: .2rem .5rem; text-align: left; font-size: .9rem; }
.status { font-weight: 600; }
.error { color: #a40000; }
textarea { width: 100%; min-height: 4rem; }
button { padding: .35rem .9rem; }
[hidden] { display: none !important; }
`;

const SCRIPT = `
'use strict';
const KEY = 'mynakit-review-key';
const $ = (id) => document.getElementById(id);
let current = null;
let objectUrls = [];

function key() { return sessionStorage.getItem(KEY); }

function showError(message) { $('error').textContent = message; $('error').hidden = !message; }

async function api(path, init) {
  const headers = Object.assign({ authorization: 'Bearer ' + key() }, (init && init.headers) || {});
  const response = await fetch('/review/api/' + path, Object.assign({}, init, { headers }));
  if (response.status === 401) { logout(); throw new Error('The key was not accepted.'); }
  if (!response.ok) {
    let message = 'HTTP ' + response.status;
    try { const body = await response.json(); message = body.error.code + ': ' + body.error.message; } catch (e) {}
    throw new Error(message);
  }
  return response;
}

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  return node;
}

function fmt(n) { return typeof n === 'number' ? n.toFixed(3) : (n === null || n === undefined ? '–' : String(n)); }

function login(event) {
  event.preventDefault();
  const value = $('api-key').value.trim();
  if (!value) return;
  sessionStorage.setItem(KEY, value);
  $('api-key').value = '';
  start();
}

function logout() {
  sessionStorage.removeItem(KEY);
  $('login').hidden = false;
  $('app').hidden = true;
  $('logout').hidden = true;
}

function start() {
  if (!key()) { logout(); return; }
  $('login').hidden = true;
  $('app').hidden = false;
  $('logout').hidden = false;
  loadList().catch((e) => showError(e.message));
}

async function loadList() {
  showError('');
  const status = $('status-filter').value;
  const body = await (await api('cases?status=' + encodeURIComponent(status))).json();
  const list = $('case-list');
  list.replaceChildren();
  for (const c of body.cases) {
    const item = el('li', null, { 'data-testid': 'case-row', 'data-case-id': c.caseId, 'data-status': c.status });
    item.append(el('div', c.workflow + ' · ' + c.status, { class: 'status' }));
    const score = c.scores && typeof c.scores.card === 'number' ? ' · card ' + fmt(c.scores.card) : '';
    item.append(el('div', new Date(c.updatedAt).toLocaleString() + score, { class: 'muted' }));
    item.append(el('div', c.caseId, { class: 'muted' }));
    if (current && current === c.caseId) item.setAttribute('aria-selected', 'true');
    item.addEventListener('click', () => openCase(c.caseId).catch((e) => showError(e.message)));
    list.append(item);
  }
  $('case-count').textContent = String(body.cases.length);
}

function releasePhotos() { for (const url of objectUrls) URL.revokeObjectURL(url); objectUrls = []; }

async function photo(caseId, photoId, label, testid) {
  const figure = el('figure');
  const img = el('img', null, { alt: label, 'data-testid': testid, 'data-photo-id': photoId });
  figure.append(img, el('figcaption', label, { class: 'muted' }));
  api('cases/' + encodeURIComponent(caseId) + '/photos/' + encodeURIComponent(photoId))
    .then((r) => r.blob())
    .then((blob) => { const url = URL.createObjectURL(blob); objectUrls.push(url); img.src = url; })
    .catch((e) => showError(e.message));
  return figure;
}

function table(rows, testid) {
  const t = el('table', null, testid ? { 'data-testid': testid } : {});
  for (const [name, value, id] of rows) {
    const tr = el('tr');
    tr.append(el('th', name), el('td', value, id ? { 'data-testid': id } : {}));
    t.append(tr);
  }
  return t;
}

async function openCase(caseId) {
  showError('');
  current = caseId;
  for (const li of $('case-list').children) li.setAttribute('aria-selected', String(li.dataset.caseId === caseId));
  const record = await (await api('cases/' + encodeURIComponent(caseId))).json();
  releasePhotos();
  const detail = $('case-detail');
  detail.hidden = false;
  detail.dataset.caseId = caseId;
  $('case-id').textContent = caseId;
  $('case-workflow').textContent = record.workflow;
  $('case-status').textContent = record.status;
  $('case-status').dataset.status = record.status;

  const holder = record.holder || {};
  $('holder').replaceChildren(table([
    ['Name', holder.name], ['Address', holder.address], ['Birth date', holder.birthDate], ['Sex', holder.sex],
  ], 'holder-table'));

  const photos = record.photos || {};
  const figures = [];
  if (photos.live) figures.push(photo(caseId, photos.live.photoId, 'Live photo', 'photo-live'));
  if (photos.card) figures.push(photo(caseId, photos.card.photoId, 'Card photo', 'photo-card'));
  (photos.history || []).forEach((h, i) =>
    figures.push(photo(caseId, h.photoId, 'History ' + (i + 1) + ' · ' + fmt(h.score), 'photo-history')));
  $('photos').replaceChildren(...(await Promise.all(figures)));

  const face = record.faceCheck || {};
  const d = face.decision || {};
  const s = d.scores || {};
  const th = d.thresholds || {};
  $('face').replaceChildren(table([
    ['Outcome', face.outcome, 'face-outcome'],
    ['Rule that decided', d.rule, 'face-rule'],
    ['Fired rules', (d.firedRules || []).join(', ') || '–', 'face-fired'],
    ['sim(live, card)', fmt(s.card), 'score-card'],
    ['sim(live, history)', fmt(s.history), 'score-history'],
    ['Each history photo', (s.historyEach || []).map(fmt).join(', ') || '–', 'score-history-each'],
    ['Delta', fmt(d.delta), 'score-delta'],
    ['Card threshold', fmt(th.card), 'threshold-card'],
    ['Delta threshold δ', fmt(th.delta), 'threshold-delta'],
    ['History floor', fmt(th.historyFloor), 'threshold-floor'],
    ['History combine', th.historyCombine],
    ['Model', d.model],
    ['Quality failures', (face.qualityFailures || []).join(', ') || '–'],
    ['Checked at', face.checkedAt],
  ], 'face-table'));

  $('application').replaceChildren(table([
    ['Booth', record.boothId], ['Applied at', record.appliedAt], ['Photo taken at', record.capturedAt],
    ['Reason', record.reason ? record.reason + (record.reasonDetail ? ' (' + record.reasonDetail + ')' : '') : '–'],
    ['Reviewed', record.review ? record.review.decision + ' by ' + record.review.reviewerId + ' at ' + record.review.at : '–', 'review-summary'],
  ]));

  const cert = record.certificateCheck;
  const certNode = el('div', null, { 'data-testid': 'certificate-evidence' });
  if (cert) {
    certNode.append(table([['Valid', cert.valid ? 'yes' : 'no', 'certificate-valid'], ['Reason', cert.reason || '–'], ['Checked at', cert.checkedAt]]));
    const t = el('table');
    const head = el('tr');
    for (const h of ['Type', 'Serial', 'Not after', 'Status', 'Source', 'Produced at']) head.append(el('th', h));
    t.append(head);
    for (const c of cert.certificates || []) {
      const tr = el('tr');
      for (const v of [c.type, c.serial, c.notAfter, c.status, c.source, c.producedAt || '–']) tr.append(el('td', v));
      t.append(tr);
    }
    certNode.append(t);
  } else certNode.append(el('p', 'No certificate check recorded.', { class: 'muted' }));
  $('certificate').replaceChildren(certNode);

  const audit = el('ol', null, { 'data-testid': 'audit-trail' });
  for (const entry of record.audit || []) {
    const who = entry.reviewerId ? ' · ' + entry.decision + ' by ' + entry.reviewerId + ' — ' + entry.reason : '';
    audit.append(el('li', entry.at + ' · ' + entry.type + who, { 'data-testid': 'audit-entry' }));
  }
  $('audit').replaceChildren(audit);

  const held = record.status === 'held';
  $('decision').hidden = !held;
  $('decision-result').textContent = '';
  $('decision-reason').value = '';
}

async function decide(decision) {
  showError('');
  const reason = $('decision-reason').value.trim();
  if (!reason) { showError('A reason is required.'); return; }
  const caseId = current;
  const body = await (await api('cases/' + encodeURIComponent(caseId) + '/decision', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ decision, reason }),
  })).json();
  $('decision-result').textContent = 'Recorded: ' + decision + ' (status ' + body.status + ')';
  $('decision-result').dataset.status = body.status;
  await loadList();
  await openCase(caseId);
  $('decision-result').textContent = 'Recorded: ' + decision + ' (status ' + body.status + ')';
}

$('login-form').addEventListener('submit', login);
$('logout').addEventListener('click', logout);
$('refresh').addEventListener('click', () => loadList().catch((e) => showError(e.message)));
$('status-filter').addEventListener('change', () => loadList().catch((e) => showError(e.message)));
$('approve').addEventListener('click', () => decide('approve').catch((e) => showError(e.message)));
$('reject').addEventListener('click', () => decide('reject').catch((e) => showError(e.message)));
start();
`;

const BODY = `
<header><h1>mynakit · reception records for review</h1>
<button id="logout" type="button" hidden>Forget key</button></header>
<p id="error" class="error" role="alert" data-testid="error" hidden></p>
<section id="login">
  <form id="login-form">
    <label for="api-key">Municipality API key</label>
    <input id="api-key" name="api-key" type="password" autocomplete="off" data-testid="api-key" required>
    <button id="key-save" type="submit" data-testid="key-save">Open</button>
    <p class="muted">The key stays in this tab only (sessionStorage).</p>
  </form>
</section>
<main id="app" hidden>
  <section>
    <label for="status-filter">Cases</label>
    <select id="status-filter" data-testid="status-filter">
      <option value="held" selected>Held (awaiting decision)</option>
      <option value="open">Open</option>
      <option value="all">All</option>
    </select>
    <button id="refresh" type="button">Refresh</button>
    <span class="muted">(<span id="case-count">0</span>)</span>
    <ul id="case-list" data-testid="case-list"></ul>
  </section>
  <section id="case-detail" data-testid="case-detail" hidden>
    <h2><span id="case-workflow"></span> · <span id="case-status" class="status" data-testid="case-status"></span></h2>
    <p class="muted" id="case-id"></p>
    <h3>Photos</h3><div id="photos" class="photos" data-testid="photos"></div>
    <h3>Application</h3><div id="application"></div>
    <h3>Card holder</h3><div id="holder"></div>
    <h3>Face check</h3><div id="face"></div>
    <h3>Certificate check</h3><div id="certificate"></div>
    <h3>Audit trail</h3><div id="audit"></div>
    <div id="decision" data-testid="decision" hidden>
      <h3>Decision</h3>
      <label for="decision-reason">Reason (required)</label>
      <textarea id="decision-reason" data-testid="decision-reason" maxlength="2000"></textarea>
      <button id="approve" type="button" data-testid="approve">Approve</button>
      <button id="reject" type="button" data-testid="reject">Reject</button>
    </div>
    <p id="decision-result" data-testid="decision-result"></p>
  </section>
</main>
`;

/** The page and the headers to send with it; a fresh CSP nonce per response. */
export function reviewPage(): { html: string; headers: Record<string, string> } {
  const nonce = randomBytes(16).toString('base64');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>mynakit review</title><style nonce="${nonce}">${STYLE}</style></head>
<body>${BODY}<script nonce="${nonce}">${SCRIPT}</script></body></html>`;
  return {
    html,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': [
        "default-src 'self'",
        `script-src 'nonce-${nonce}'`,
        `style-src 'nonce-${nonce}'`,
        "img-src 'self' blob:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join('; '),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    },
  };
}
