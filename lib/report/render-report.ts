/**
 * The report as one self-contained HTML page. Pure: a `ReportModel` in, a string out.
 *
 * Self-contained by construction: the style sheet is inline, the charts are inline SVG, there is
 * no script, and the Content-Security-Policy forbids every fetch (`default-src 'none'`) and
 * allows exactly this page's own style sheet, by hash. Every value read from OBS reaches the
 * markup through the `html` tag, which escapes it; text written by other tenants is cleaned of
 * invisible characters first.
 */
import { LOCAL_CLI } from '../text.js';
import { createHash } from 'node:crypto';
import { formatDuration } from '../duration.js';
import { alertRaised } from '../monitor/audit.js';
import { displayServiceName } from '../monitor/sanitize.js';
import { renderChart, statusClass } from './chart.js';
import { doorPanel } from './door-panel.js';
import { formatCount, formatTime, plural } from './format.js';
import { type Html, html, type HtmlPart, trustedHtml, untrusted } from './html.js';
import type { ChangeRow, FailedConnection, PendingRequest, ReportModel, ServiceReport } from './report-model.js';
import { REPORT_CSS } from './report-style.js';

const STYLE_HASH = createHash('sha256').update(REPORT_CSS).digest('base64');
/** Nothing may be fetched: no image, font, frame, script or connection; only the inline style sheet. */
const CONTENT_SECURITY_POLICY = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; base-uri 'none'; form-action 'none'`;

export function renderReport(model: ReportModel): string {
  const period = `${formatTime(model.since)} to ${formatTime(model.generatedAt)}`;
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>VPC Endpoint connections, ${formatTime(model.generatedAt)}</title>
<style>${trustedHtml(REPORT_CSS)}</style>
</head>
<body>
<main>
<header class="page">
<h1>VPC Endpoint connections</h1>
<div class="meta">
<span>Period: <b>${period}</b></span>
<span>${plural(model.recordCount, 'change')} in the trail</span>
${model.hasState ? html`<span>State saved ${formatTime(model.stateSavedAt ?? '')} (generation ${model.generation ?? 0})</span>` : null}
</div>
${model.undelivered > 0 ? html`<p class="notice">${plural(model.undelivered, 'alert')} detected but not yet accepted by SMN: the next run sends ${model.undelivered === 1 ? 'it' : 'them'} again.</p>` : null}
</header>
${noState(model)}
${overview(model)}
${model.services.map((service, index) => serviceSection(service, index, model))}
<footer>
<p>Written by <code>vpcep-monitor report</code> at ${formatTime(model.generatedAt)}. Times are UTC. Counts now come from the monitor's last snapshot; the chart and the changes come from the audit trail in OBS.</p>
<p>This page is self-contained: it loads nothing from the network, and runs no script.</p>
</footer>
</main>
</body>
</html>
`;
  return page.text;
}

function noState(model: ReportModel): Html | null {
  if (model.hasState) {
    return model.services.length === 0 ? html`<p class="empty">The monitor's snapshot holds no endpoint services, and the trail has no changes in the period.</p>` : null;
  }
  return html`<p class="empty">No state yet: the monitor has not saved a snapshot in this bucket, so there are no counts, pending requests or failed connections to show. ${model.services.length > 0 ? 'The changes the trail holds are below.' : 'The trail has no changes in the period either.'} Once the monitor has run, this report shows every endpoint service it watches.</p>`;
}

function overview(model: ReportModel): Html | null {
  if (model.services.length < 2) return null;
  return html`<nav class="toc" aria-label="Services">
<h2>Services</h2>
<div class="table-wrap"><table class="stack">
<thead><tr><th>Service</th><th class="num">Connections</th><th class="num">Pending</th><th class="num">Failed</th><th class="num">Changes</th></tr></thead>
<tbody>
${model.services.map((service, index) => html`<tr>${td('Service', html`<a href="#service-${index + 1}">${serviceName(service)}</a>`)}${td('Connections', formatCount(service.total), 'num')}${td('Pending', formatCount(service.pendingCount), 'num')}${td('Failed', formatCount(service.failedCount), 'num')}${td('Changes', formatCount(service.changeCount), 'num')}</tr>
`)}</tbody>
</table></div>
</nav>`;
}

function serviceName(service: ServiceReport): string {
  return displayServiceName(service.name, service.id) || untrusted(service.id, 64);
}

function serviceSection(service: ServiceReport, index: number, model: ReportModel): Html {
  return html`<section class="service" id="service-${index + 1}">
<div class="service-head">
<h2>${serviceName(service)}</h2>
<code class="muted">${untrusted(service.id, 64)}</code>
${service.inSnapshot ? html`<span class="muted">scanned ${formatTime(service.scannedAt ?? '')}</span>` : html`<span class="tag">not in the last snapshot</span>`}
</div>
${counts(service)}
<h3>Door</h3>
${doorPanel(service.door, service.doorChanges)}
<h3>Connections over the period</h3>
${chart(service)}
<h3>Pending requests (${formatCount(service.pendingCount)})</h3>
${pendingTable(service.pending, service.pendingCount)}
<h3>Failed connections (${formatCount(service.failedCount)})</h3>
${failedTable(service, model)}
<h3>Changes in the period (${formatCount(service.changeCount)})</h3>
${changesTable(service, model)}
</section>
`;
}

function counts(service: ServiceReport): Html {
  if (!service.inSnapshot) return html`<p class="empty">This service is in the trail but not in the monitor's last snapshot (deleted, or no state yet): there are no current counts.</p>`;
  if (service.total === 0) return html`<p class="empty">No connections now.</p>`;
  return html`<ul class="counts" aria-label="Connections by status now">
<li><b>${formatCount(service.total)}</b>total</li>
${service.counts.map(([status, n]) => html`<li class="${statusClass(status)}"><b>${formatCount(n)}</b>${untrusted(status, 40)}</li>`)}
</ul>`;
}

function chart(service: ServiceReport): Html {
  const { timeline } = service;
  if (!timeline) return html`<p class="empty">No chart: without current counts there is nothing to reconstruct the period from.</p>`;
  if (timeline.statuses.length === 0) return html`<p class="empty">No connections at any time in the period.</p>`;
  const how = service.changeCount === 0
    ? 'No changes in the period: the counts held throughout.'
    : "Reconstructed from the audit trail: the snapshot's counts, with each change of the period undone, newest first.";
  return html`${renderChart(timeline, `Connections of ${serviceName(service)} by status`)}
<p class="muted">${how}</p>
${timeline.clamped ? html`<p class="notice">The trail and the snapshot disagree for this service (a run may have stopped between writing its trail and its state, or records are missing): counts before that point are approximate.</p>` : null}`;
}

function pendingTable(pending: readonly PendingRequest[], count: number): Html {
  if (pending.length === 0) return html`<p class="empty">No requests waiting for acceptance.</p>`;
  const estimated = pending.some((request) => !request.sinceFromBook);
  return html`${count > pending.length ? html`<p class="notice">Showing the ${formatCount(pending.length)} longest waiting of ${plural(count, 'request')}; <code>${LOCAL_CLI} status</code> lists them all.</p>` : null}
<div class="table-wrap"><table class="stack pending">
<thead><tr><th>Connection</th><th>Consumer (domain)</th><th>Waiting</th><th>Since</th><th>Description</th></tr></thead>
<tbody>
${pending.map((request) => html`<tr>${td('Connection', untrusted(request.connectionId, 64), 'mono')}${td('Consumer', untrusted(request.domainId, 64), 'mono')}${td('Waiting', formatDuration(request.waitedMs), 'num waiting')}${td('Since', `${formatTime(request.since)}${request.sinceFromBook ? '' : ' *'}`, 'when')}${td('Description', untrusted(request.description, 512))}</tr>
`)}</tbody>
</table></div>
${estimated ? html`<p class="muted">* The state has no record of when the monitor first saw this request; the time shown is VPCEP's last update of the connection.</p>` : null}`;
}

function failedTable(service: ServiceReport, model: ReportModel): Html {
  const { failed, failedCount: count } = service;
  if (failed.length === 0) return html`<p class="empty">No failed connections.</p>`;
  return html`${count > failed.length ? html`<p class="notice">Showing the ${formatCount(failed.length)} that failed last of ${plural(count, 'failed connection')}; <code>${LOCAL_CLI} audit --service ${untrusted(service.id, 64)} --status failed --since ${untrusted(model.since.toISOString(), 32)}</code> lists the failures of the period.</p>` : null}
<div class="table-wrap"><table class="stack failed">
<thead><tr><th>Connection</th><th>Consumer (domain)</th><th>Failed</th><th>Error</th></tr></thead>
<tbody>
${failed.map((connection) => html`<tr>${td('Connection', untrusted(connection.connectionId, 64), 'mono')}${td('Consumer', untrusted(connection.domainId, 64), 'mono')}${td('Failed', formatTime(connection.updatedAt), 'when')}${td('Error', failure(connection, model))}</tr>
`)}</tbody>
</table></div>`;
}

function failure(connection: FailedConnection, model: ReportModel): Html {
  const record = connection.failure;
  if (!record) return html`<span class="muted">Failed before ${formatTime(model.since)}: its error is not in this period's trail (a longer <code>--since</code> may find it).</span>`;
  // The consumer's own words, labelled so they are not read as part of VPCEP's error.
  const description = record.description ? html`<div class="muted">Consumer's description: “${untrusted(record.description, 512)}”</div>` : null;
  if (!record.errors) return html`<span class="muted">No error recorded: the trail's record of this failure (${formatTime(record.at)}) was written before the monitor kept error details.</span>${description}`;
  if (record.errors.length === 0) return html`<span class="muted">VPCEP reported no error for this failure.</span>${description}`;
  return html`${record.errors.map((error) => html`<div><code>${untrusted(error.code, 64)}</code> ${untrusted(error.message, 512)}</div>`)}${description}`;
}

function changesTable(service: ServiceReport, model: ReportModel): Html {
  if (service.changeCount === 0) return html`<p class="empty">No changes between ${formatTime(model.since)} and ${formatTime(model.generatedAt)}.</p>`;
  const rest = service.changeCount - service.changes.length;
  return html`${rest > 0 ? html`<p class="notice">Showing the newest ${formatCount(service.changes.length)} of ${plural(service.changeCount, 'change')}. <code>${LOCAL_CLI} audit --service ${untrusted(service.id, 64)} --since ${model.since.toISOString()}</code> lists them all.</p>` : null}
<div class="table-wrap"><table class="stack changes">
<thead><tr><th>When</th><th>Connection</th><th>Consumer (domain)</th><th>Change</th><th>From → to</th><th>By</th></tr></thead>
<tbody>
${service.changes.map(changeRow)}</tbody>
</table></div>`;
}

function changeRow(record: ChangeRow): Html {
  const change = record.change === 'action'
    ? html`policy: ${untrusted(record.action ?? '', 16)}${record.mode === 'dry-run' ? ' (dry run)' : null}${record.outcome ? html` <span class="tag">${untrusted(record.outcome, 16)}</span>` : null}`
    : html`${untrusted(record.change, 16)}`;
  // Raised is what the change record says; delivered only what SMN's acceptance, recorded later, says.
  const alerted = alertRaised(record) && record.change !== 'action' ? html` <span class="tag">${record.delivered ? 'alert delivered' : 'alert raised'}</span>` : null;
  return html`<tr>${td('When', formatTime(record.at), 'when')}${td('Connection', untrusted(record.connectionId, 64), 'mono')}${td('Consumer', untrusted(record.domainId, 64), 'mono')}${td('Change', html`${change}${alerted}`)}${td('From → to', html`${status(record.from)} → ${status(record.to)}`)}${td('By', by(record))}</tr>
`;
}

/** Who made an accept or reject, as CTS named them (or our policy, or nobody found). */
function by(record: ChangeRow): Html | null {
  if (record.attribution === undefined) return null;
  if (record.attribution === 'pending') return html`<span class="muted">not known yet</span>`;
  if (record.by === undefined) return html`<span class="muted">unknown</span>`;
  const where = record.sourceIp ? html` <span class="muted">from ${untrusted(record.sourceIp, 45)}</span>` : null;
  const trace = record.traceId ? html` <span class="muted">trace ${untrusted(record.traceId, 64)}</span>` : null;
  return html`${untrusted(record.by, 64)}${record.account ? html` <span class="muted">(${untrusted(record.account, 64)})</span>` : null}${where}${trace}`;
}

/** A cell that carries its column's name, which narrow screens show beside it (see the style sheet). */
function td(label: string, content: HtmlPart, className?: string): Html {
  return html`<td data-label="${label}"${className ? html` class="${className}"` : null}>${content}</td>`;
}

function status(value: string | null): Html {
  return value === null ? html`<span class="muted">—</span>` : html`<span class="status ${statusClass(value)}">${untrusted(value, 40)}</span>`;
}
