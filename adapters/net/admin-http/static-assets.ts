/**
 * The WebAdmin's only static files, served from memory by the process itself (nothing from the
 * Internet): one stylesheet, an icon and two small scripts (a confirmation prompt for forms marked
 * `data-confirm`; the live refresh of the frontends table); every page works without them.
 * Unknown asset names are 404.
 */
import { createHash } from 'node:crypto';

const CSS = `
:root { --fg: #1b1f24; --muted: #57606a; --bg: #fff; --line: #d0d7de; --accent: #0b57d0; --bad: #b3261e; --ok: #146c2e; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: .5rem; }
header { display: flex; gap: 1rem; align-items: center; justify-content: space-between; padding: .5rem 1rem; border-bottom: 1px solid var(--line); }
header p { margin: 0; }
.brand a { font-weight: 600; text-decoration: none; color: var(--fg); }
.who { color: var(--muted); margin-left: auto; }
.frame { display: flex; min-height: calc(100vh - 3rem); }
nav { width: 14rem; padding: 1rem; border-right: 1px solid var(--line); }
nav ul { list-style: none; margin: 0 0 1rem; padding: 0; }
nav li a { display: block; padding: .25rem .5rem; border-radius: 4px; }
nav a[aria-current="page"] { background: #e8f0fe; font-weight: 600; }
.nav-group { font-size: .8rem; text-transform: uppercase; color: var(--muted); margin: 0 0 .25rem; }
main { flex: 1; padding: 1rem 2rem; max-width: 72rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; }
code, .mono { font-family: ui-monospace, monospace; font-size: .9em; word-break: break-all; }
.field { margin: 0 0 1rem; }
.field label { display: block; font-weight: 600; }
.field input, .field select, .field textarea { font: inherit; padding: .35rem .5rem; border: 1px solid var(--line); border-radius: 4px; min-width: 18rem; }
.field.invalid input { border-color: var(--bad); }
.field-error, .error { color: var(--bad); margin: .25rem 0 0; }
.flash { color: var(--ok); border: 1px solid var(--ok); padding: .5rem; border-radius: 4px; }
button { font: inherit; padding: .35rem .9rem; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
.logout button { background: transparent; color: var(--accent); }
.login { max-width: 24rem; }
form.inline { display: inline; }
fieldset { border: 1px solid var(--line); border-radius: 4px; margin: 0 0 1rem; }
.choice, .field label.choice { display: block; font-weight: normal; }
.field input[type=radio], .field input[type=checkbox] { min-width: 0; }
fieldset .hint { margin: .5rem 0 0; }
.indent { margin-left: 1.5rem; }
.hint { color: var(--muted); margin: -.5rem 0 1rem; font-size: .9rem; }
.filters { display: flex; flex-wrap: wrap; gap: 0 1rem; align-items: end; }
.filters .field input, .filters .field select { min-width: 10rem; }
`;

const JS = `
document.addEventListener('submit', function (e) {
  var form = e.target;
  var text = form && form.getAttribute && form.getAttribute('data-confirm');
  if (text && !window.confirm(text)) e.preventDefault();
});
`;

/**
 * Refreshes the Frontends table of Cluster → General and the Frontends & Backends page from the
 * JSON API every 3 s (same columns as the server-rendered table; text only, never markup).
 */
const FRONTENDS_LIVE_JS = `
(function () {
  var table = document.getElementById('frontends-live');
  if (!table || !window.fetch) return;
  function ago(ms, now) {
    var s = Math.max(0, Math.round((now - ms) / 1000));
    return s < 120 ? s + ' s ago' : s < 7200 ? Math.round(s / 60) + ' min ago' : Math.round(s / 3600) + ' h ago';
  }
  function cell(row, tag, text, cls) {
    var c = document.createElement(tag);
    if (tag === 'th') c.setAttribute('scope', 'row');
    if (cls) c.className = cls;
    if (tag === 'th') { var code = document.createElement('code'); code.textContent = text; c.appendChild(code); }
    else c.textContent = text;
    row.appendChild(c);
  }
  function refresh() {
    fetch(table.getAttribute('data-src'), { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        var body = document.createElement('tbody');
        data.frontends.forEach(function (f) {
          var row = document.createElement('tr');
          row.setAttribute('data-id', f.id);
          cell(row, 'th', f.id);
          cell(row, 'td', f.group);
          cell(row, 'td', f.processing ? 'yes' : 'no', 'processing');
          cell(row, 'td', String(f.jobsInFlight));
          cell(row, 'td', String(f.sessions));
          cell(row, 'td', f.live ? ago(f.seenAt, data.now) : 'gone (' + ago(f.seenAt, data.now) + ')');
          body.appendChild(row);
        });
        table.replaceChild(body, table.tBodies[0]);
        table.setAttribute('data-refreshed', String(data.now));
      })
      .catch(function () {});
  }
  setInterval(refresh, 3000);
})();
`;

const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0b57d0"/>' +
  '<path d="M3 11c2-4 8-4 10 0" stroke="#fff" stroke-width="2" fill="none"/></svg>';

export interface Asset {
  readonly type: string;
  readonly body: string;
  readonly etag: string;
}

const asset = (type: string, body: string): Asset => ({
  type,
  body,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`,
});

export const ASSETS: Readonly<Record<string, Asset>> = {
  '/assets/admin.css': asset('text/css; charset=utf-8', CSS),
  '/assets/admin.js': asset('text/javascript; charset=utf-8', JS),
  '/assets/frontends-live.js': asset('text/javascript; charset=utf-8', FRONTENDS_LIVE_JS),
  '/favicon.ico': asset('image/svg+xml', ICON),
};
