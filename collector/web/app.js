// Stitch local view. Plain browser JavaScript, no build step, no dependencies.
// Everything from the collector is rendered with DOM calls (textContent / text nodes), never as
// HTML: a log line that contains markup is shown as text and creates no element.

const REFRESH_MS = 2000;
const $ = (sel) => document.querySelector(sel);

/** Creates an element. Strings among `children` become text nodes; `props` become attributes. */
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

const idHref = (id) => `#/id/${encodeURIComponent(id)}`;
const idLink = (id, label) => (id ? h('a', { href: idHref(id), class: 'id', title: id }, label ?? short(id)) : '');
const short = (id) => (id.length > 13 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id);

function fmtMs(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '–';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}
const fmtRate = (r) => (r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toFixed(2));
const fmtPct = (x) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(x > 0 && x < 0.1 ? 1 : 0)}%`);
function fmtTime(ms) {
  const d = new Date(ms);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

async function getJson(url) {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => ({}));
  return { status: res.status, body };
}

// ---------- overview ----------

const filters = { requests: 'all', reconciles: 'all' };
let lastOverview;

function renderRoutes(rows) {
  const tbody = $('#routes tbody');
  if (rows.length === 0)
    return tbody.replaceChildren(emptyRow(6, 'No HTTP metrics yet (they arrive with the next metric export).'));
  tbody.replaceChildren(
    ...rows.map((r) =>
      h(
        'tr',
        null,
        h('td', null, r.service),
        h('td', null, h('span', { class: 'method' }, r.method), ' ', r.route),
        h('td', { class: 'num' }, fmtRate(r.rate)),
        h('td', { class: `num${r.errorRatio > 0.05 ? ' bad' : r.errorRatio > 0 ? ' warn' : ''}` }, fmtPct(r.errorRatio)),
        h('td', { class: 'num' }, fmtMs(r.p50Ms)),
        h('td', { class: 'num' }, fmtMs(r.p95Ms)),
      ),
    ),
  );
}

function renderControllers(rows) {
  const tbody = $('#controllers tbody');
  if (rows.length === 0) return tbody.replaceChildren(emptyRow(5, 'No reconcile metrics yet.'));
  tbody.replaceChildren(
    ...rows.map((c) =>
      h(
        'tr',
        null,
        h('td', null, c.service),
        h('td', null, c.controller),
        h('td', { class: 'num' }, fmtRate(c.rate)),
        h(
          'td',
          { class: 'results' },
          Object.entries(c.results)
            .sort((a, b) => b[1] - a[1])
            .map(([k, n]) => h('span', { class: `result r-${k.replace(/[^a-z_]/g, '')}` }, `${k} ${Math.round(n)}`)),
        ),
        h('td', { class: 'num' }, fmtMs(c.p95Ms)),
      ),
    ),
  );
}

const emptyRow = (cols, text) => h('tr', { class: 'empty' }, h('td', { colspan: cols }, text));

function keep(kind, row) {
  const f = filters[kind];
  if (f === 'slow') return row.slow;
  if (f === 'errors') return row.error;
  return true;
}

function rowLink(id) {
  return id ? { tabindex: '0', 'data-id': id, title: 'Open its log lines, spans and series' } : null;
}

function renderRequests(rows) {
  const tbody = $('#requests tbody');
  const shown = rows.filter((r) => keep('requests', r));
  if (shown.length === 0)
    return tbody.replaceChildren(emptyRow(7, rows.length === 0 ? 'No requests yet.' : 'None match the filter.'));
  tbody.replaceChildren(
    ...shown.map((r) =>
      h(
        'tr',
        { ...rowLink(r.requestId ?? r.traceId), class: [r.error && 'error', r.slow && 'slow'].filter(Boolean).join(' ') },
        h('td', { class: 'time' }, fmtTime(r.time)),
        h('td', null, r.service),
        h('td', null, h('span', { class: 'method' }, r.method), ' ', r.route),
        h('td', { class: `num${r.statusCode >= 500 ? ' bad' : r.statusCode >= 400 ? ' warn' : ''}` }, r.statusCode ?? '–'),
        h('td', { class: 'num' }, r.slow ? h('span', { class: 'badge slow' }, 'slow') : '', ' ', fmtMs(r.durationMs)),
        h('td', { class: `num${r.errorLogs > 0 ? ' bad' : ''}` }, r.logs),
        h('td', null, idLink(r.requestId ?? r.traceId)),
      ),
    ),
  );
}

function renderReconciles(rows) {
  const tbody = $('#reconciles tbody');
  const shown = rows.filter((r) => keep('reconciles', r));
  if (shown.length === 0)
    return tbody.replaceChildren(emptyRow(7, rows.length === 0 ? 'No reconciles yet.' : 'None match the filter.'));
  tbody.replaceChildren(
    ...shown.map((r) =>
      h(
        'tr',
        { ...rowLink(r.rid), class: [r.error && 'error', r.slow && 'slow'].filter(Boolean).join(' ') },
        h('td', { class: 'time' }, fmtTime(r.time)),
        h('td', null, r.controller),
        h('td', null, r.object),
        h(
          'td',
          null,
          h('span', { class: `result r-${r.result.replace(/[^a-z_]/g, '')}` }, r.result),
          r.message ? h('span', { class: 'msg' }, ` ${r.message}`) : '',
        ),
        h('td', { class: 'num' }, r.slow ? h('span', { class: 'badge slow' }, 'slow') : '', ' ', fmtMs(r.durationMs)),
        h('td', { class: `num${r.errorLogs > 0 ? ' bad' : ''}` }, r.logs),
        h('td', null, idLink(r.rid)),
      ),
    ),
  );
}

function renderOverview(o) {
  lastOverview = o;
  $('#window').textContent = `last ${Math.round(o.windowSeconds / 60)} min`;
  renderRoutes(o.routes);
  renderControllers(o.controllers);
  renderRequests(o.requests);
  renderReconciles(o.reconciles);
  const s = o.stats;
  $('#status').textContent = `${s.spans} spans · ${s.logs} log lines · ${s.series} series · updated ${fmtTime(o.now)}`;
}

// ---------- detail ----------

let detailId;

function section(title, count, body) {
  return h('div', { class: 'part' }, h('h3', null, title, count === undefined ? '' : h('small', null, ` ${count}`)), body);
}

function renderLogs(logs) {
  if (logs.length === 0) return h('p', { class: 'muted' }, 'No log lines (yet) for this ID.');
  const ids = new Set(['request_id', 'rid', 'trace_id', 'span_id']);
  return h(
    'table',
    { id: 'detail-logs', class: 'logs' },
    h(
      'thead',
      null,
      h('tr', null, h('th', null, 'time'), h('th', null, 'level'), h('th', null, 'service'), h('th', null, 'message')),
    ),
    h(
      'tbody',
      null,
      logs.map((l) => {
        const extra = Object.entries(l.attributes).filter(([k]) => !ids.has(k));
        return h(
          'tr',
          { class: `sev-${l.severityNumber >= 17 ? 'error' : l.severityNumber >= 13 ? 'warn' : 'info'}` },
          h('td', { class: 'time' }, fmtTime(l.time)),
          h('td', null, h('span', { class: 'level' }, l.severity || '–')),
          h('td', null, l.service),
          h(
            'td',
            { class: 'msg' },
            h('span', { class: 'body' }, l.body),
            extra.length > 0
              ? h(
                  'span',
                  { class: 'attrs' },
                  extra.map(([k, v]) => h('span', { class: 'kv' }, `${k}=${v}`)),
                )
              : '',
          ),
        );
      }),
    ),
  );
}

function renderSpans(spans) {
  if (spans.length === 0) return h('p', { class: 'muted' }, 'No spans (yet) for this ID.');
  const t0 = Math.min(...spans.map((s) => s.start));
  const t1 = Math.max(...spans.map((s) => s.start + s.durationMs));
  const total = Math.max(t1 - t0, 0.001);
  return h(
    'div',
    { id: 'detail-spans', class: 'waterfall' },
    spans.map((s) => {
      const left = ((s.start - t0) / total) * 100;
      const width = Math.max((s.durationMs / total) * 100, 0.4);
      return h(
        'div',
        { class: `span-row${s.error ? ' error' : ''}`, title: `${s.name} — ${s.service} — span ${s.spanId}` },
        h('div', { class: 'span-name' }, indentEl(s.depth), s.name, h('span', { class: 'svc' }, ` ${s.service}`)),
        h('div', { class: 'span-bar' }, barEl(left, width, s.error)),
        h('div', { class: 'num' }, fmtMs(s.durationMs)),
      );
    }),
  );
}

function indentEl(depth) {
  const el = h('span', { class: 'indent' });
  el.style.setProperty('--depth', String(Math.min(depth, 12)));
  return el;
}

/** A bar positioned with CSS custom properties set through the CSSOM (the CSP allows no inline styles). */
function barEl(left, width, error) {
  const bar = h('span', { class: `bar${error ? ' error' : ''}` });
  bar.style.setProperty('--left', `${left}%`);
  bar.style.setProperty('--width', `${width}%`);
  return bar;
}

function labelsText(labels) {
  const entries = Object.entries(labels);
  return entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}="${v}"`).join(', ')}}`;
}

function renderSeries(series) {
  if (series.length === 0)
    return h('p', { class: 'muted' }, 'No exemplar points here yet (exemplars arrive with the next metric export).');
  return h(
    'ul',
    { id: 'detail-series', class: 'series' },
    series.map((s) =>
      h(
        'li',
        null,
        h('code', null, s.name, labelsText(s.labels)),
        h('span', { class: 'svc' }, ` ${s.service}`),
        h(
          'ul',
          null,
          s.exemplars.map((e) =>
            h(
              'li',
              null,
              `exemplar ${s.unit === 's' ? fmtMs(e.value * 1000) : e.value} at ${fmtTime(e.t)} `,
              idLink(e.traceId, `trace ${short(e.traceId)}`),
            ),
          ),
        ),
      ),
    ),
  );
}

function renderIndex(ix) {
  if (!ix) return '';
  return section(
    'Queries for your backends',
    undefined,
    h(
      'div',
      { class: 'queries' },
      h('div', null, h('span', { class: 'muted' }, 'LogQL '), h('code', null, ix.logql)),
      ix.promql.map((q) => h('div', null, h('span', { class: 'muted' }, 'PromQL exemplars '), h('code', null, q))),
    ),
  );
}

function summaryLine(d) {
  const r = d.request;
  const c = d.reconcile;
  if (r) {
    return h(
      'p',
      { class: 'summary' },
      h('strong', null, r.service),
      ' ',
      h('span', { class: 'method' }, r.method),
      ' ',
      r.route,
      ' → ',
      h('span', { class: r.statusCode >= 500 ? 'bad' : '' }, r.statusCode ?? '–'),
      ` in ${fmtMs(r.durationMs)}`,
      r.slow ? h('span', { class: 'badge slow' }, 'slow') : '',
    );
  }
  if (c) {
    return h(
      'p',
      { class: 'summary' },
      h('strong', null, c.controller),
      ` reconciled ${c.object} → `,
      h('span', { class: `result r-${c.result.replace(/[^a-z_]/g, '')}` }, c.result),
      ` in ${fmtMs(c.durationMs)}`,
      c.message ? h('span', { class: 'msg' }, ` — ${c.message}`) : '',
    );
  }
  return '';
}

function renderDetail(d) {
  const el = $('#detail');
  el.hidden = false;
  el.replaceChildren(
    h(
      'div',
      { class: 'detail-head' },
      h('h2', null, `${d.kind} `, h('code', { id: 'detail-id' }, d.id)),
      h('a', { href: '#/', class: 'close', title: 'Close' }, '×'),
    ),
    summaryLine(d),
    h(
      'p',
      { class: 'ids' },
      d.traceIds.map((t) => h('span', null, 'trace_id ', idLink(t, t), ' ')),
      d.requestIds.filter((x) => x !== d.id).map((t) => h('span', null, 'request_id ', idLink(t), ' ')),
      d.rids.filter((x) => x !== d.id).map((t) => h('span', null, 'rid ', idLink(t), ' ')),
    ),
    section('Log lines', d.logs.length, renderLogs(d.logs)),
    section('Spans', d.spans.length, renderSpans(d.spans)),
    section('Series whose exemplars point here', d.series.length, renderSeries(d.series)),
    renderIndex(d.index),
  );
}

function renderNotFound(id, message) {
  const el = $('#detail');
  el.hidden = false;
  el.replaceChildren(
    h(
      'div',
      { class: 'detail-head' },
      h('h2', null, 'Not found: ', h('code', { id: 'detail-id' }, id)),
      h('a', { href: '#/', class: 'close' }, '×'),
    ),
    h('p', { class: 'muted' }, message, ' Its data may not have arrived yet — this page retries.'),
  );
}

async function loadDetail() {
  if (!detailId) return;
  const id = detailId;
  const { status, body } = await getJson(`/api/v1/local/search?id=${encodeURIComponent(id)}`);
  if (id !== detailId) return; // the user moved on meanwhile
  if (status === 200) renderDetail(body);
  else renderNotFound(id, body.error ?? `HTTP ${status}`);
}

// ---------- routing, refresh ----------

function route() {
  const m = /^#\/id\/(.+)$/.exec(location.hash);
  detailId = m ? decodeURIComponent(m[1]) : undefined;
  if (detailId) {
    $('#q').value = detailId;
    loadDetail().catch(showError);
    $('#detail').scrollIntoView({ block: 'start' });
  } else {
    $('#detail').hidden = true;
    $('#detail').replaceChildren();
  }
}

function showError(err) {
  $('#status').textContent = `cannot reach the collector: ${err.message ?? err}`;
}

let busy = false;
async function refresh() {
  if (busy || document.hidden) return;
  busy = true;
  try {
    const { body } = await getJson('/api/v1/local/overview');
    renderOverview(body);
    if (detailId) await loadDetail();
  } catch (err) {
    showError(err);
  } finally {
    busy = false;
  }
}

$('#search').addEventListener('submit', (e) => {
  e.preventDefault();
  const id = $('#q').value.trim();
  if (id) location.hash = idHref(id);
});

for (const group of document.querySelectorAll('.filters')) {
  group.addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (!b) return;
    filters[group.dataset.for] = b.dataset.filter;
    for (const x of group.querySelectorAll('button')) x.setAttribute('aria-pressed', String(x === b));
    if (lastOverview) renderOverview(lastOverview);
  });
}

// One click anywhere on a row opens it (links inside the row work as links).
for (const table of document.querySelectorAll('table.clickable')) {
  const open = (e) => {
    const tr = e.target.closest('tr[data-id]');
    if (!tr || e.target.closest('a')) return;
    location.hash = idHref(tr.dataset.id);
  };
  table.addEventListener('click', open);
  table.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') open(e);
  });
}

let timer = setInterval(refresh, REFRESH_MS);
$('#auto').addEventListener('change', (e) => {
  clearInterval(timer);
  if (e.target.checked) timer = setInterval(refresh, REFRESH_MS);
});
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) refresh();
});
window.addEventListener('hashchange', route);
route();
refresh();
