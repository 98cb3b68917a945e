/**
 * The "door" panel of a service in the report: whether VPCEP asks before letting a consumer in
 * (approval), who may knock (the whitelist), and the period's changes of either. Pure.
 */
import type { AuditRecord } from '../monitor/audit.js';
import { type DoorState, EVERY_ACCOUNT } from '../monitor/door.js';
import { formatTime } from './format.js';
import { type Html, html, untrusted } from './html.js';

/** Door changes listed per service: they are rare; more than this is a story the trail tells. */
export const DOOR_ROWS = 20;

export function doorPanel(door: DoorState | undefined, changes: readonly AuditRecord[]): Html {
  const now = door === undefined
    ? html`<p class="empty">Not watched yet: the monitor keeps a service's door from its first run with this version on.</p>`
    : html`<ul class="door">
<li>${door.approvalEnabled === undefined ? html`<span class="muted">Connection approval: not listed</span>` : door.approvalEnabled ? 'Connection approval: on (each new connection waits for acceptance)' : html`<b class="status failed">Connection approval: OFF</b> — every whitelisted account is accepted without review`}</li>
<li>${whitelist(door)}</li>
</ul>`;
  const rows = changes.length === 0
    ? null
    : html`<div class="table-wrap"><table class="stack door-changes">
<thead><tr><th>When</th><th>Door change</th><th>Accounts</th></tr></thead>
<tbody>
${changes.map((record) => html`<tr><td data-label="When" class="when">${formatTime(record.at)}</td><td data-label="Door change">${untrusted(record.door ?? '', 40)}${record.connectionId ? html` <code>${untrusted(record.connectionId, 64)}</code>` : null}</td><td data-label="Accounts" class="mono">${accounts(record)}</td></tr>
`)}</tbody>
</table></div>`;
  return html`${now}${rows}`;
}

function whitelist(door: DoorState): Html {
  if (door.whitelist === undefined) return html`<span class="muted">Whitelist: not read yet (it is read once per POSTURE_CHECK_INTERVAL)</span>`;
  if (door.whitelist.includes(EVERY_ACCOUNT)) return html`<b class="status failed">Whitelist: open to every account (*)</b>, read ${formatTime(door.checkedAt)}`;
  return html`Whitelist: ${door.whitelist.length} account${door.whitelist.length === 1 ? '' : 's'}, read ${formatTime(door.checkedAt)}`;
}

function accounts(record: AuditRecord): string {
  const added = (record.accountsAdded ?? []).map((account) => `+${untrusted(account, 64)}`);
  const removed = (record.accountsRemoved ?? []).map((account) => `-${untrusted(account, 64)}`);
  return [...added, ...removed].join(', ');
}
