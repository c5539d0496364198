// ticketd web page: works the REST API from the browser. Every view has a
// URL (#/tickets?..., #/tickets/KEY, #/silences, #/rules, #/trends); every
// action is its own form, so Enter submits the form it was pressed in and a
// failed action leaves what was typed in place. No inline scripts or styles
// (the CSP forbids them), no external assets.
'use strict';

const REFRESH_MS = 5000;
const PAGE_SIZE = 50;
const STATUSES = ['new', 'assigned', 'in_progress', 'pending', 'resolved', 'closed', 'cancelled'];
const PRIORITIES = ['P1', 'P2', 'P3', 'P4', 'P5'];
const TYPES = ['incident', 'service_request', 'problem', 'change'];
const CODES = ['fixed', 'workaround', 'no_fault_found', 'duplicate', 'known_error',
  'change_rolled_back', 'user_error'];
const OPEN = ['new', 'assigned', 'in_progress', 'pending'];

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
const esc = (v) => String(v ?? '').replace(/[&<>"']/g,
  (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const enc = encodeURIComponent;

// ---- token, kept for this browser tab only -------------------------------
const tokenInput = $('#token');
tokenInput.value = sessionStorage.getItem('ticketd-token') || '';
try { localStorage.removeItem('ticketd-token'); } catch (e) { /* older pages kept it there */ }
tokenInput.addEventListener('change', () => {
  sessionStorage.setItem('ticketd-token', tokenInput.value.trim());
  me = null;
  render();
});

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const token = sessionStorage.getItem('ticketd-token');
  if (token) headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let r;
  try {
    r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'ticketd is not reachable: ' + e.message);
  }
  const j = await r.json().catch(() => ({}));
  if (!r.ok) {
    let msg = (j.error && j.error.message) || ('HTTP ' + r.status);
    if (r.status === 401) msg += ' — enter an API token at the top right.';
    if (r.status === 403) msg += ' — this token\'s role cannot do that.';
    throw new ApiError(r.status, msg);
  }
  return j;
}

let me = null;  // {name, role} of the token, from /api/v1/whoami
async function whoami() {
  if (me) return me;
  try { me = await api('GET', '/api/v1/whoami'); } catch (e) { me = { name: '', role: '' }; }
  return me;
}

// ---- messages --------------------------------------------------------------
function showError(msg) { $('#status').textContent = msg || ''; }
function announce(msg) {
  const live = $('#live');
  live.textContent = '';
  setTimeout(() => { live.textContent = msg; }, 50);
}
function formError(form, msg) {
  const p = $('.form-error', form);
  if (p) p.textContent = msg || '';
}

// ---- times -----------------------------------------------------------------
function localTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric',
    hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
}
function relative(iso, now = Date.now()) {
  if (!iso) return '';
  const s = Math.round((new Date(iso).getTime() - now) / 1000);
  const a = Math.abs(s);
  const [n, unit] = a < 60 ? [a, 's'] : a < 3600 ? [Math.round(a / 60), 'min'] :
    a < 86400 ? [Math.round(a / 3600), 'h'] : [Math.round(a / 86400), 'd'];
  return s >= 0 ? `in ${n} ${unit}` : `${n} ${unit} ago`;
}
function timeTag(iso) {
  if (!iso) return '<span class="muted">–</span>';
  return `<time datetime="${esc(iso)}" title="${esc(localTime(iso))}">${esc(relative(iso))}</time>`;
}
function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  const s = Math.round(seconds);
  if (s < 120) return s + ' s';
  if (s < 7200) return Math.round(s / 60) + ' min';
  if (s < 172800) return (s / 3600).toFixed(1) + ' h';
  return (s / 86400).toFixed(1) + ' d';
}

// When the ticket is next due: respond_by until acknowledged, then resolve_by.
function due(t) {
  if (!OPEN.includes(t.status) || !t.sla) return null;
  return t.acknowledged_at ? t.sla.resolve_by : (t.sla.respond_by || t.sla.resolve_by);
}
function dueTag(t) {
  const d = due(t);
  if (!d) return '<span class="muted">–</span>';
  const late = new Date(d).getTime() < Date.now();
  return `<time datetime="${esc(d)}" title="${esc(localTime(d))}" class="${late ? 'overdue' : ''}">${late ? 'overdue ' : ''}${esc(relative(d))}</time>`;
}

// ---- routing -----------------------------------------------------------------
function parseHash() {
  const h = location.hash.replace(/^#/, '') || '/tickets';
  const [path, query] = h.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query || '') };
}
function go(path, params) {
  const q = params ? new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v !== undefined && v !== null)).toString() : '';
  const hash = '#' + path + (q ? '?' + q : '');
  if (location.hash === hash) render(); else location.hash = hash;
}

let viewToken = 0;  // a render that a newer one replaced draws nothing
let refresher = null;

async function render() {
  const mine = ++viewToken;
  showError('');
  if (refresher) { clearInterval(refresher); refresher = null; }
  const { parts, params } = parseHash();
  const view = parts[0] || 'tickets';
  $$('header nav a').forEach((a) => {
    if (a.getAttribute('href') === '#/' + view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  const main = $('#view');
  try {
    if (view === 'tickets' && parts[1]) await ticketView(main, parts[1], mine);
    else if (view === 'tickets') await queueView(main, params, mine);
    else if (view === 'silences') await silencesView(main, parts[1] === 'new' ? params : null, mine);
    else if (view === 'rules') await rulesView(main, mine);
    else if (view === 'trends') await trendsView(main, params, mine);
    else { main.innerHTML = '<h1 tabindex="-1">Not found</h1><p>No view ' + esc(view) + '. <a href="#/tickets">Back to the queue</a>.</p>'; }
  } catch (e) {
    if (mine !== viewToken) return;
    showError(e.message);
  }
  if (mine === viewToken && focusHeading) {
    focusHeading = false;
    const h1 = $('h1', main);
    if (h1) { h1.setAttribute('tabindex', '-1'); h1.focus({ preventScroll: false }); }
  }
}
let focusHeading = false;
window.addEventListener('hashchange', () => { focusHeading = true; render(); });

// ---- the title: open P1/P2 counts ---------------------------------------------
async function refreshTitle() {
  try {
    // One small answer: a listing would carry whole tickets, and a storm
    // incident holds thousands of alerts.
    const open = (await api('GET', '/api/v1/stats')).open_by_priority || {};
    const n1 = open.P1 || 0, n2 = open.P2 || 0;
    const parts = [];
    if (n1) parts.push(n1 + ' P1');
    if (n2) parts.push(n2 + ' P2');
    document.title = (parts.length ? '(' + parts.join(', ') + ') ' : '') + 'ticketd';
  } catch (e) { /* the view shows the error */ }
}

// ---- queue -------------------------------------------------------------------
const QUEUE_KEYS = ['status', 'priority', 'type', 'team', 'assignee', 'q', 'sort', 'cursor'];
let lastQueue = { filter: '', keys: null };

function selectField(name, label, options, value) {
  return `<label>${esc(label)}<select name="${name}">${options.map(([v, text]) =>
    `<option value="${esc(v)}"${v === value ? ' selected' : ''}>${esc(text)}</option>`).join('')}</select></label>`;
}

async function queueView(main, params, mine) {
  const f = Object.fromEntries(QUEUE_KEYS.map((k) => [k, params.get(k) ?? '']));
  if (!params.has('status')) f.status = 'open';
  if (!f.sort) f.sort = 'priority';
  main.innerHTML = `<h1>Queue</h1>
  <form id="filters" class="row" role="search" aria-label="Filter tickets">
    ${selectField('status', 'Status', [['open', 'open'], ['any', 'any']].concat(STATUSES.map((s) => [s, s])), f.status)}
    ${selectField('priority', 'Priority', [['', 'any']].concat(PRIORITIES.map((p) => [p, p])), f.priority)}
    ${selectField('type', 'Type', [['', 'any']].concat(TYPES.map((t) => [t, t])), f.type)}
    <label>Team<input name="team" value="${esc(f.team)}" size="10"></label>
    ${selectField('assignee', 'Assignee', [['', 'anyone'], ['mine', 'mine'], ['none', 'unassigned']].concat(
      f.assignee && !['mine', 'none'].includes(f.assignee) ? [[f.assignee, f.assignee]] : []), f.assignee)}
    <label>Search<input name="q" type="search" value="${esc(f.q)}" size="22"></label>
    ${selectField('sort', 'Order', [['priority', 'priority, then due'], ['newest', 'newest first'], ['relevance', 'best match (search)']], f.sort)}
    <button class="primary">Apply</button>
    <a href="#/tickets">Reset</a>
  </form>
  <p id="filters-error" class="form-error" role="alert"></p>
  <div id="queue-body"><p class="muted">Loading…</p></div>`;
  const form = $('#filters', main);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const values = Object.fromEntries(new FormData(form));
    go('/tickets', values);  // a new filter starts at the first page
  });
  const load = async (isRefresh) => {
    const query = new URLSearchParams();
    for (const k of ['priority', 'type', 'team', 'q', 'cursor']) if (f[k]) query.set(k, f[k]);
    if (f.status && f.status !== 'any') query.set('status', f.status);
    // Without sort=, the API orders a search by relevance and a list by newest.
    if (f.sort === 'priority' || f.sort === 'newest') query.set('sort', f.sort);
    if (f.assignee === 'mine') {
      const who = await whoami();
      query.set('assignee', who.name || 'anonymous');
    } else if (f.assignee) query.set('assignee', f.assignee);
    query.set('limit', String(PAGE_SIZE));
    let j;
    try {
      j = await api('GET', '/api/v1/tickets?' + query);
    } catch (e) {
      if (mine !== viewToken) return;
      $('#filters-error').textContent = e.message;
      if (!isRefresh) $('#queue-body').innerHTML = '';
      return;
    }
    if (mine !== viewToken) return;
    $('#filters-error').textContent = '';
    const filterKey = query.toString();
    const known = lastQueue.filter === filterKey ? lastQueue.keys : null;
    const fresh = j.tickets.filter((t) => known && !known.has(t.key));
    lastQueue = { filter: filterKey, keys: new Set([...(known || []), ...j.tickets.map((t) => t.key)]) };
    drawQueue(j, f, fresh.map((t) => t.key));
    if (fresh.length) announce(fresh.length === 1 ? `New ticket ${fresh[0].key}: ${fresh[0].title}` : `${fresh.length} new tickets`);
    refreshTitle();
  };
  await load(false);
  refresher = setInterval(() => { if (document.visibilityState === 'visible') load(true); }, REFRESH_MS);
}

function drawQueue(j, f, freshKeys) {
  const body = $('#queue-body');
  if (!body) return;
  const total = j.total ?? j.tickets.length;
  const page = f.cursor ? 'a later page' : 'first page';
  const rows = j.tickets.map((t) => `<tr data-key="${esc(t.key)}"${freshKeys.includes(t.key) ? ' class="fresh"' : ''}>
    <td data-label="Key"><a href="#/tickets/${enc(t.key)}">${esc(t.key)}</a></td>
    <td data-label="Priority"><span class="prio ${esc(t.priority)}">${esc(t.priority)}</span></td>
    <td data-label="Status">${esc(t.status)}${t.flapping ? ' (flapping)' : ''}</td>
    <td data-label="Assignee">${t.assignee ? esc(t.assignee) : '<span class="muted">unassigned</span>'}</td>
    <td data-label="Team">${esc(t.team)}</td>
    <td data-label="Due">${dueTag(t)}</td>
    <td data-label="Last seen">${timeTag(t.last_seen)}</td>
    <td data-label="Title">${esc(t.title)}</td></tr>`).join('');
  // Refreshes keep the table's focus: the focused link is found again by key.
  const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest('#queue tr');
  const focusKey = focused ? focused.dataset.key : null;
  body.innerHTML = `<table id="queue" class="cards">
    <caption>${total} ticket${total === 1 ? '' : 's'}${j.tickets.length < total ? `, ${j.tickets.length} on this page (${page})` : ''}</caption>
    <thead><tr><th scope="col">Key</th><th scope="col">Priority</th><th scope="col">Status</th><th scope="col">Assignee</th><th scope="col">Team</th><th scope="col">Due</th><th scope="col">Last seen</th><th scope="col">Title</th></tr></thead>
    <tbody>${rows || '<tr><td colspan="8" class="muted">No tickets match.</td></tr>'}</tbody></table>
    <div class="pager"><button type="button" id="first-page"${f.cursor ? '' : ' disabled'}>First page</button>
    <button type="button" id="next-page"${j.next_cursor ? '' : ' disabled'}>Next page</button></div>`;
  if (focusKey) {
    const a = $(`#queue tr[data-key="${CSS.escape(focusKey)}"] a`);
    if (a) a.focus();
  }
  $('#first-page').addEventListener('click', () => go('/tickets', { ...f, cursor: '' }));
  $('#next-page').addEventListener('click', () => go('/tickets', { ...f, cursor: j.next_cursor }));
}

// ---- ticket detail ------------------------------------------------------------
function isPerson(e) { return /^user:/.test(e.actor || ''); }

function timelineHtml(entries) {
  // People's entries stand out; runs of the engine's per-event entries fold.
  const out = [];
  for (let i = 0; i < entries.length;) {
    const e = entries[i];
    if (e.actor === 'engine' && e.kind === 'event') {
      let j = i;
      while (j < entries.length && entries[j].actor === 'engine' && entries[j].kind === 'event') j++;
      const run = entries.slice(i, j);
      out.push(`<li><details><summary>${run.length} event${run.length === 1 ? '' : 's'} recorded by the engine, ${esc(localTime(run[0].time))}${run.length > 1 ? ' – ' + esc(localTime(run[run.length - 1].time)) : ''}</summary>
        <ul>${run.map((x) => `<li><span class="meta">${timeTag(x.time)}</span> ${esc(x.message)}</li>`).join('')}</ul></details></li>`);
      i = j;
      continue;
    }
    const cls = e.kind === 'suggestion' ? 'suggestion' : isPerson(e) ? 'person' : '';
    out.push(`<li class="${cls}"><div class="meta">${timeTag(e.time)} · ${esc(e.actor)} · ${esc(e.kind)}${e.visibility ? ' (' + esc(e.visibility) + ')' : ''}</div>
      <div>${e.kind === 'suggestion' ? '<strong>Suggested fix:</strong> ' : ''}${esc(e.message)}</div></li>`);
    i++;
  }
  return `<ol class="timeline">${out.join('')}</ol>`;
}

function eventsHtml(events) {
  if (!events.length) return '<p class="muted">No events.</p>';
  return `<table class="cards"><thead><tr><th scope="col">Received</th><th scope="col">Host</th><th scope="col">Severity</th><th scope="col">Message</th><th scope="col">Decision</th></tr></thead><tbody>
    ${events.map((x) => `<tr><td data-label="Received">${timeTag(x.received_at)}</td><td data-label="Host">${esc(x.event.host)}</td>
      <td data-label="Severity">${esc(x.event.severity)}</td><td data-label="Message">${esc(x.event.message)}</td><td data-label="Decision">${esc(x.decision)}</td></tr>`).join('')}</tbody></table>`;
}

function similarHtml(list) {
  if (!list.length) return '<p class="muted">No resolved ticket like this one yet.</p>';
  return list.map((s) => `<div class="fix"><a href="#/tickets/${enc(s.key)}">${esc(s.key)}</a> ${esc(s.title)}
    <span class="muted">(same ${esc(s.match || (s.same_fingerprint ? 'fingerprint' : 'rule'))}${s.resolved_at ? ', resolved ' + esc(localTime(s.resolved_at)) : ''})</span>
    ${s.resolution ? `<div><strong>Fix (${esc(s.resolution.code)}):</strong> ${esc(s.resolution.note) || '<span class="muted">no note</span>'}</div>` : ''}
    ${s.notes.length ? `<ul>${s.notes.map((n) => `<li>${esc(n.text)} <span class="muted">— ${esc(n.actor)}</span></li>`).join('')}</ul>` : ''}</div>`).join('');
}

function slaText(t) {
  const s = t.sla || {};
  if (!s.respond_by && !s.resolve_by) return `<span class="muted">no SLA target for ${esc(t.priority)}</span>`;
  const part = (label, iso, done) => iso ? `${label} ${done ? '<span class="muted">(done)</span> ' : ''}${timeTag(iso)} <span class="muted">(${esc(localTime(iso))})</span>` : '';
  return [part('respond by', s.respond_by, !!t.acknowledged_at), part('resolve by', s.resolve_by, !!t.resolved_at)]
    .filter(Boolean).join('<br>') + (s.breached ? ' <strong class="overdue">breached</strong>' : '');
}

// Silences match events (event fields, labels.NAME, annotations.NAME), not
// tickets or rules: the link pre-fills the host its events share and, with
// it, their app, so the silence covers this alert and not every host's.
const SILENCE_FIELDS = ['source', 'host', 'severity', 'facility', 'app', 'msgid', 'message', 'trap_oid', 'status'];
function silenceLink(t, events) {
  const p = new URLSearchParams();
  const shared = (k) => {
    const values = [...new Set(events.map((x) => x.event[k]).filter(Boolean))];
    return values.length === 1 ? values[0] : '';
  };
  if (shared('host')) {
    p.set('host', shared('host'));
    if (shared('app')) p.set('app', shared('app'));
  }
  p.set('comment', 'silenced from ' + t.key);
  return `<a class="silence-this" href="#/silences/new?${p}">Silence this</a>`;
}

async function ticketView(main, key, mine) {
  const path = '/api/v1/tickets/' + enc(key);
  const [t, tl, ev, sim] = await Promise.all([
    api('GET', path), api('GET', path + '/timeline'),
    api('GET', path + '/events').catch(() => ({ events: [] })),
    api('GET', path + '/similar').catch(() => ({ similar: [] }))]);
  if (mine !== viewToken) return;
  const hosts = [...new Set(ev.events.map((x) => x.event.host).filter(Boolean))];
  const open = OPEN.includes(t.status);
  // Only what the API would accept now (the engine's own list).
  const transitions = t.transitions || [];
  const labels = Object.entries(t.labels || {});
  const field = (k, v) => (v === null || v === undefined || v === '') ? '' : `<dt>${esc(k)}</dt><dd>${v}</dd>`;
  main.innerHTML = `<p><a href="#/tickets">← Queue</a></p>
  <h1>${esc(t.key)} ${esc(t.title)}</h1>
  <div class="card">
    ${t.description && t.description !== t.title ? `<p>${esc(t.description)}</p>` : ''}
    <dl class="fields">
      ${field('status', esc(t.status) + (t.flapping ? ' (flapping)' : ''))}
      ${field('priority', `<span class="prio ${esc(t.priority)}">${esc(t.priority)}</span> <span class="muted">impact ${esc(t.impact)}, urgency ${esc(t.urgency)}</span>`)}
      ${field('type', esc(t.type))}
      ${field('host', hosts.map((h) => `<span class="chip">${esc(h)}</span>`).join(''))}
      ${field('team', esc(t.team))}
      ${field('assignee', t.assignee ? esc(t.assignee) : '<span class="muted">unassigned</span>')}
      ${field('SLA', slaText(t))}
      ${field('labels', labels.map(([k, v]) => `<span class="chip">${esc(k)}=${esc(v)}</span>`).join(''))}
      ${field('category', esc(t.category))}
      ${field('rule', esc(t.rule))}
      ${field('fingerprint', esc(t.fingerprint))}
      ${field('events', esc(t.event_count) + (t.suppressed_count ? `, ${esc(t.suppressed_count)} suppressed` : ''))}
      ${field('first seen', timeTag(t.first_seen) + ` <span class="muted">${esc(localTime(t.first_seen))}</span>`)}
      ${field('last seen', timeTag(t.last_seen) + ` <span class="muted">${esc(localTime(t.last_seen))}</span>`)}
      ${field('acknowledged', t.acknowledged_at ? timeTag(t.acknowledged_at) + ' by ' + esc(t.acknowledged_by) : '')}
      ${field('resolved', t.resolved_at ? timeTag(t.resolved_at) : '')}
      ${field('resolution', t.resolution ? `${esc(t.resolution.code)}${t.resolution.note ? ': ' + esc(t.resolution.note) : ''}` : '')}
      ${field('problem', t.problem ? `<a href="#/tickets/${enc(t.problem)}">${esc(t.problem)}</a>` : '')}
      ${field('incidents', (t.incidents || []).map((k) => `<a href="#/tickets/${enc(k)}">${esc(k)}</a>`).join(', '))}
      ${field('alerts', (t.alerts || []).map((a) => `${esc(a.fingerprint)} (${esc(a.status)})`).join('<br>'))}
      ${field('external', (t.external || []).map((x) => esc(x.backend) + ': ' + (/^https?:\/\//.test(x.url || '') ? `<a href="${esc(x.url)}" rel="noopener noreferrer" target="_blank">${esc(x.key)}</a>` : esc(x.key))).join('<br>'))}
    </dl>
    <p>${silenceLink(t, ev.events)}</p>
  </div>
  <div class="actions">
    ${open && !t.acknowledged_at ? `<form id="ack-form" class="card stack" aria-label="Acknowledge">
      <h2>Acknowledge</h2><p class="muted">Stops the respond-by clock.</p>
      <div><button class="primary">Acknowledge</button></div><p class="form-error" role="alert"></p></form>` : ''}
    ${open ? `<form id="assign-form" class="card stack" aria-label="Assign">
      <h2>Assign</h2><label>Assignee<input name="assignee" value="${esc(t.assignee)}" autocomplete="off"></label>
      <p class="muted">Empty unassigns.</p>
      <div><button>Assign</button> <button type="button" id="assign-me">Assign to me</button></div><p class="form-error" role="alert"></p></form>` : ''}
    ${transitions.length ? `<form id="status-form" class="card stack" aria-label="Change status">
      <h2>Status</h2>
      <label>New status<select name="status">${transitions.map((s) => `<option value="${esc(s)}">${esc(s)}</option>`).join('')}</select></label>
      <label class="res">Resolution code<select name="code">${CODES.map((c) => `<option value="${c}">${c}</option>`).join('')}</select></label>
      <label class="res">Resolution note<input name="note" autocomplete="off"></label>
      <div><button>Change status</button></div><p class="form-error" role="alert"></p></form>` : ''}
    <form id="note-form" class="card stack" aria-label="Add a note">
      <h2>Note</h2>
      <label>Note<textarea name="text" rows="3" aria-describedby="note-help"></textarea></label>
      <span id="note-help" class="muted">Enter for a new line, Ctrl+Enter to add.</span>
      <label>Visibility<select name="visibility"><option value="internal">internal (staff)</option><option value="public">public</option></select></label>
      <div><button>Add note</button></div><p class="form-error" role="alert"></p></form>
  </div>
  <section id="similar" class="card" aria-labelledby="similar-h"><h2 id="similar-h">Similar resolved tickets and their fixes</h2>${similarHtml(sim.similar || [])}</section>
  <section id="timeline" class="card" aria-labelledby="timeline-h"><h2 id="timeline-h">Timeline</h2><div class="body">${timelineHtml(tl.timeline)}</div></section>
  <section id="events" class="card" aria-labelledby="events-h"><h2 id="events-h">Events <span class="muted">(latest ${ev.events.length})</span></h2><div class="body">${eventsHtml(ev.events)}</div></section>`;

  // Each form sends only its own fields; what was typed stays when it fails.
  const action = (id, run) => {
    const form = $('#' + id, main);
    if (!form) return;
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const button = $('button:not([type=button])', form);
      formError(form, '');
      if (button) button.disabled = true;
      try {
        const done = await run(Object.fromEntries(new FormData(form)), form);
        if (done === false) return;
        announce(done || 'Saved');
        render();
      } catch (err) {
        formError(form, err.message);
      } finally {
        if (button) button.disabled = false;
      }
    });
  };
  action('ack-form', async () => { await api('POST', path + '/ack', {}); return 'Acknowledged'; });
  action('assign-form', async (f) => {
    await api('PATCH', path, { assignee: f.assignee.trim() });
    return f.assignee.trim() ? 'Assigned to ' + f.assignee.trim() : 'Unassigned';
  });
  const assignMe = $('#assign-me', main);
  if (assignMe) assignMe.addEventListener('click', async () => {
    const who = await whoami();
    const form = $('#assign-form', main);
    form.elements.assignee.value = who.name || '';
    form.requestSubmit();
  });
  action('status-form', async (f) => {
    const body = { status: f.status };
    if (f.status === 'resolved' || f.status === 'cancelled') {
      body.resolution = { code: f.status === 'cancelled' ? 'cancelled' : f.code, note: f.note || '' };
    } else if (f.note) {
      // Not a resolution: the note goes on the timeline first, so it is never lost.
      await api('POST', path + '/notes', { text: f.note });
    }
    await api('PATCH', path, body);
    return 'Status ' + f.status;
  });
  const statusForm = $('#status-form', main);
  if (statusForm) {
    const sync = () => {
      const s = statusForm.elements.status.value;
      // A resolution (code and note) goes with resolved and cancelled; any
      // other change takes its note onto the timeline.
      const closing = s === 'resolved' || s === 'cancelled';
      const codeLabel = statusForm.elements.code.closest('label');
      codeLabel.hidden = s !== 'resolved';
      statusForm.elements.code.disabled = s !== 'resolved';
      $('.res input', statusForm).parentElement.firstChild.textContent = closing ? 'Resolution note' : 'Note with the change';
    };
    statusForm.elements.status.addEventListener('change', sync);
    sync();
  }
  action('note-form', async (f, form) => {
    if (!f.text.trim()) { formError(form, 'Type a note first.'); return false; }
    await api('POST', path + '/notes', { text: f.text, visibility: f.visibility });
    return 'Note added';
  });
  const note = $('#note-form textarea', main);
  note.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); $('#note-form', main).requestSubmit(); }
  });

  // Live: the timeline and events refresh in place; the forms are not touched.
  let lastTimeline = JSON.stringify(tl.timeline);
  refresher = setInterval(async () => {
    if (document.visibilityState !== 'visible') return;
    try {
      const [tl2, ev2] = await Promise.all([api('GET', path + '/timeline'), api('GET', path + '/events')]);
      if (mine !== viewToken) return;
      const s = JSON.stringify(tl2.timeline);
      if (s !== lastTimeline) {
        lastTimeline = s;
        const open = $$('#timeline details', main).map((d) => d.open);
        $('#timeline .body', main).innerHTML = timelineHtml(tl2.timeline);
        $$('#timeline details', main).forEach((d, i) => { d.open = !!open[i]; });
        $('#events .body', main).innerHTML = eventsHtml(ev2.events);
        announce('Timeline updated');
      }
    } catch (e) { /* shown on the next action */ }
    refreshTitle();
  }, REFRESH_MS);
  refreshTitle();
}

// ---- silences ------------------------------------------------------------------
// "host=db01 labels.site=\"rack 4\" rule=~disk.* severity!=info" -> matchers
// in the API's syntax ("~re", "!value", "!~re"; a value that starts with one
// of those characters is escaped with "\").
function parseMatchers(text) {
  const out = {};
  const re = /\s*([A-Za-z_][\w.-]*)\s*(=~|!~|!=|=)\s*("((?:[^"\\]|\\.)*)"|(\S*))/y;
  let pos = 0;
  text = text.trim();
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new Error(`cannot read the matchers from "${text.slice(pos).trim()}": write field=value, field="value with spaces", field=~regex or field!=value`);
    const value = m[4] !== undefined ? m[4].replace(/\\(.)/g, '$1') : m[5];
    const op = m[2];
    out[m[1]] = op === '=~' ? '~' + value : op === '!~' ? '!~' + value : op === '!=' ? '!' + value :
      (/^[!~<>=\\]/.test(value) ? '\\' + value : value);
    pos = re.lastIndex;
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  }
  if (!Object.keys(out).length) throw new Error('give at least one matcher, e.g. host=web01');
  return out;
}
function formatMatchers(m) {
  return Object.entries(m).map(([k, v]) => {
    let op = '=', val = v;
    if (v.startsWith('!~')) { op = '!~'; val = v.slice(2); } else if (v.startsWith('~')) { op = '=~'; val = v.slice(1); } else if (v.startsWith('!')) { op = '!='; val = v.slice(1); } else if (v.startsWith('\\')) val = v.slice(1);
    return k + op + (/[\s"]/.test(val) || val === '' ? '"' + val.replace(/["\\]/g, '\\$&') + '"' : val);
  }).join(' ');
}
function quoteValue(v) { return /[\s"]/.test(v) || v === '' ? '"' + v.replace(/["\\]/g, '\\$&') + '"' : v; }

async function silencesView(main, prefill, mine) {
  const j = await api('GET', '/api/v1/silences');
  if (mine !== viewToken) return;
  let matchers = '';
  if (prefill) {
    matchers = [...prefill.entries()].filter(([k, v]) => v && (SILENCE_FIELDS.includes(k) || /^(labels|annotations)\.\S/.test(k)))
      .map(([k, v]) => k + '=' + quoteValue(v)).join(' ');
  }
  const rows = j.silences.map((s) => `<tr data-id="${esc(s.id)}">
    <td data-label="State">${esc(s.state)}</td><td data-label="Matchers"><code>${esc(formatMatchers(s.matchers))}</code></td>
    <td data-label="Ends">${timeTag(s.ends_at)} <span class="muted">${esc(localTime(s.ends_at))}</span></td>
    <td data-label="By">${esc(s.created_by)}</td><td data-label="Silenced">${esc(s.silenced_count)}</td><td data-label="Comment">${esc(s.comment)}</td>
    <td>${s.state !== 'expired' ? `<span class="expire"><button type="button" class="expire-btn">Expire</button></span><p class="form-error" role="alert"></p>` : ''}</td></tr>`).join('');
  main.innerHTML = `<h1>Silences</h1>
  <form id="silence-form" class="card stack" aria-label="New silence">
    <h2>${prefill ? 'Silence this ticket\'s alerts' : 'New silence'}</h2>
    <label>Matchers<input name="matchers" value="${esc(matchers)}" aria-describedby="matchers-help" autocomplete="off" spellcheck="false"></label>
    <span id="matchers-help" class="muted">Space-separated: <code>host=db01</code>, <code>labels.site="rack 4"</code> (quotes for spaces), <code>message=~"disk .* full"</code> (regex), <code>severity!=info</code>.</span>
    <div class="row"><label>Duration<input name="duration" value="2h" size="6"></label>
    <label>Comment<input name="comment" value="${esc(prefill ? prefill.get('comment') || '' : '')}" size="40"></label></div>
    <div><button type="button" id="silence-preview-btn">Preview</button> <button class="primary">Create silence</button></div>
    <p class="form-error" role="alert"></p>
    <div id="silence-preview" aria-live="polite"></div>
  </form>
  <table id="silences" class="cards"><caption>${j.silences.length} silence${j.silences.length === 1 ? '' : 's'}</caption>
    <thead><tr><th scope="col">State</th><th scope="col">Matchers</th><th scope="col">Ends</th><th scope="col">By</th><th scope="col">Silenced</th><th scope="col">Comment</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
    <tbody>${rows || '<tr><td colspan="7" class="muted">No silences.</td></tr>'}</tbody></table>`;
  const form = $('#silence-form', main);
  const body = () => {
    const f = Object.fromEntries(new FormData(form));
    return { matchers: parseMatchers(f.matchers), duration: f.duration.trim(), comment: f.comment };
  };
  $('#silence-preview-btn', main).addEventListener('click', async () => {
    formError(form, '');
    const out = $('#silence-preview', main);
    try {
      const p = await api('POST', '/api/v1/silences/preview', body());
      const n = p.tickets_total ?? p.tickets.length;
      out.innerHTML = `<p>Would silence the alerts of <strong>${n}</strong> open ticket${n === 1 ? '' : 's'}${p.recent_events !== undefined ? ` and matched <strong>${esc(p.recent_events)}</strong> event${p.recent_events === 1 ? '' : 's'} in the last 24 h` : ''}.</p>
        ${p.tickets.length ? `<ul>${p.tickets.map((t) => `<li><a href="#/tickets/${enc(t.key)}">${esc(t.key)}</a> <span class="prio ${esc(t.priority)}">${esc(t.priority)}</span> ${esc(t.title)}</li>`).join('')}</ul>` : ''}`;
    } catch (e) { formError(form, e.message); out.textContent = ''; }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError(form, '');
    try {
      const s = await api('POST', '/api/v1/silences', body());
      announce('Silence ' + s.id + ' created');
      go('/silences');
    } catch (err) { formError(form, err.message); }
  });
  $$('#silences .expire-btn', main).forEach((b) => b.addEventListener('click', () => {
    const row = b.closest('tr');
    const span = $('.expire', row);
    span.innerHTML = '<button type="button" class="danger confirm">Confirm expire</button> <button type="button" class="keep">Keep</button>';
    $('.confirm', span).focus();
    $('.keep', span).addEventListener('click', () => render());
    $('.confirm', span).addEventListener('click', async () => {
      try {
        await api('DELETE', '/api/v1/silences/' + enc(row.dataset.id));
        announce('Silence expired');
        render();
      } catch (err) { formError(row, err.message); }
    });
  }));
}

// ---- rules ---------------------------------------------------------------------
async function rulesView(main, mine) {
  const j = await api('GET', '/api/v1/rules');
  if (mine !== viewToken) return;
  main.innerHTML = `<h1>Rules</h1><table class="cards"><caption>${j.rules.length} rules, in the order they match</caption>
    <thead><tr><th scope="col">Rule</th><th scope="col">Action</th><th scope="col">Hits</th><th scope="col">Open tickets</th><th scope="col">Defined at</th><th scope="col">Description</th></tr></thead><tbody>
    ${j.rules.map((r) => `<tr><td data-label="Rule">${r.open_tickets ? `<a href="#/tickets?q=${enc('"' + r.name + '"')}">${esc(r.name)}</a>` : esc(r.name)}</td><td data-label="Action">${esc(r.action)}</td><td data-label="Hits">${esc(r.hits)}</td>
      <td data-label="Open tickets">${esc(r.open_tickets)}</td><td data-label="Defined at" class="muted">${esc(r.file)}:${esc(r.line)}</td><td data-label="Description">${esc(r.description)}</td></tr>`).join('')}</tbody></table>`;
}

// ---- trends ---------------------------------------------------------------------
function barChart(days) {
  const w = 900, h = 220, pad = 30, bw = (w - pad) / Math.max(days.length, 1);
  const max = Math.max(1, ...days.map((d) => Math.max(d.opened, d.resolved)));
  const y = (v) => h - 20 - (v / max) * (h - 40);
  const bars = days.map((d, i) => {
    const x = pad + i * bw;
    return `<rect class="opened" x="${x + 1}" y="${y(d.opened)}" width="${Math.max(bw / 2 - 1, 1)}" height="${h - 20 - y(d.opened)}"><title>${esc(d.date)}: ${d.opened} opened</title></rect>
      <rect class="resolved" x="${x + bw / 2}" y="${y(d.resolved)}" width="${Math.max(bw / 2 - 1, 1)}" height="${h - 20 - y(d.resolved)}"><title>${esc(d.date)}: ${d.resolved} resolved</title></rect>
      ${i % Math.ceil(days.length / 10) === 0 ? `<text x="${x}" y="${h - 5}">${esc(d.date.slice(5))}</text>` : ''}`;
  }).join('');
  const summary = days.map((d) => `${d.date}: ${d.opened} opened, ${d.resolved} resolved`).join('; ');
  return `<svg class="chart" viewBox="0 0 ${w} ${h}" role="img" aria-label="Tickets opened and resolved per day. ${esc(summary)}">
    <text x="0" y="12">${max}</text><text x="0" y="${h - 22}">0</text>${bars}</svg>`;
}
function timeBars(rows, label) {
  const w = 900, rowH = 26, h = rows.length * rowH + 10, left = 170;
  const max = Math.max(1, ...rows.flatMap((r) => [r.mtta_seconds || 0, r.mttr_seconds || 0]));
  const x = (v) => ((w - left - 90) * (v || 0)) / max;
  const body = rows.map((r, i) => {
    const y0 = 5 + i * rowH;
    return `<text x="0" y="${y0 + 14}">${esc(r[label] || '(none)')} (${esc(r.tickets)})</text>
      <rect class="mtta" x="${left}" y="${y0}" width="${x(r.mtta_seconds)}" height="10"><title>MTTA ${esc(duration(r.mtta_seconds))}</title></rect>
      <rect class="mttr" x="${left}" y="${y0 + 11}" width="${x(r.mttr_seconds)}" height="10"><title>MTTR ${esc(duration(r.mttr_seconds))}</title></rect>
      <text x="${left + x(Math.max(r.mtta_seconds || 0, r.mttr_seconds || 0)) + 6}" y="${y0 + 14}">${esc(duration(r.mtta_seconds))} / ${esc(duration(r.mttr_seconds))}</text>`;
  }).join('');
  const summary = rows.map((r) => `${r[label] || '(none)'}: MTTA ${duration(r.mtta_seconds)}, MTTR ${duration(r.mttr_seconds)}`).join('; ');
  return `<svg class="chart" viewBox="0 0 ${w} ${h}" role="img" aria-label="Mean time to acknowledge and to resolve by ${label}. ${esc(summary)}">${body}</svg>`;
}

async function trendsView(main, params, mine) {
  const days = Number(params.get('days')) || 30;
  const [s, t] = await Promise.all([api('GET', '/api/v1/stats'), api('GET', '/api/v1/trends?days=' + days)]);
  if (mine !== viewToken) return;
  const table = (rows, cols) => `<table class="cards"><thead><tr>${cols.map(([, h]) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>
    ${rows.map((r) => `<tr>${cols.map(([k, h]) => `<td data-label="${esc(h)}">${esc(r[k])}</td>`).join('')}</tr>`).join('') || `<tr><td colspan="${cols.length}" class="muted">none</td></tr>`}</tbody></table>`;
  const legend = (items) => `<p class="legend">${items.map(([c, l]) => `<span><span class="sw ${c}"></span>${esc(l)}</span>`).join('')}</p>`;
  main.innerHTML = `<h1>Trends</h1>
  <form id="trends-form" class="row" aria-label="Window"><label>Days<select name="days">${[7, 30, 90, 365].map((d) => `<option${d === days ? ' selected' : ''}>${d}</option>`).join('')}</select></label><button>Show</button></form>
  <div class="card"><p>${esc(s.tickets_total)} tickets, ${esc(s.open_total)} open. MTTA ${esc(duration(s.mtta_seconds))}, MTTR ${esc(duration(s.mttr_seconds))} (all time).</p></div>
  <section class="card" aria-labelledby="per-day-h"><h2 id="per-day-h">Tickets per day (last ${days} days, UTC)</h2>${legend([['opened', 'opened'], ['resolved', 'resolved']])}${barChart(t.per_day)}</section>
  <section class="card" aria-labelledby="prio-h"><h2 id="prio-h">MTTA and MTTR by priority</h2>${legend([['mtta', 'MTTA'], ['mttr', 'MTTR']])}${timeBars(t.by_priority, 'priority')}</section>
  <section class="card" aria-labelledby="team-h"><h2 id="team-h">MTTA and MTTR by team</h2>${legend([['mtta', 'MTTA'], ['mttr', 'MTTR']])}${timeBars(t.by_team, 'team')}</section>
  <section class="card" aria-labelledby="fp-h"><h2 id="fp-h">Top recurring fingerprints</h2>${table(t.top_fingerprints, [['fingerprint', 'Fingerprint'], ['rule', 'Rule'], ['tickets', 'Tickets'], ['events', 'Events']])}</section>
  <section class="card" aria-labelledby="rules-h"><h2 id="rules-h">Top rules</h2>${table(t.top_rules, [['rule', 'Rule'], ['tickets', 'Tickets'], ['events', 'Events']])}</section>`;
  $('#trends-form', main).addEventListener('submit', (e) => {
    e.preventDefault();
    go('/trends', { days: new FormData(e.target).get('days') });
  });
}

// ---- start ------------------------------------------------------------------------
if (!location.hash || !location.hash.startsWith('#/')) history.replaceState(null, '', '#/tickets');
render();
