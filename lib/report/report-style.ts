/**
 * The report's one style sheet, inlined in the page (the page may fetch nothing, so no web fonts:
 * the reader's system fonts). Narrow screens get one column and tables that scroll sideways;
 * print gets black on white, table headers repeated on every page, and no section split from its
 * heading.
 */
export const REPORT_CSS = `
:root { --fg: #1d2430; --muted: #5b6675; --line: #dde2e8; --panel: #f6f8fa; --accent: #1f5fbf;
  --accepted: #1a7f37; --pending: #b35900; --failed: #c8102e; --rejected: #7a3fb0; --creating: #1f6feb; --deleting: #6e7781; --other: #3d4a5c; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--fg); background: #fff; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 20px 48px; }
header.page { border-bottom: 3px solid var(--accent); padding-bottom: 12px; margin-bottom: 20px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 1.3rem; margin: 0; }
h3 { font-size: 1rem; margin: 22px 0 8px; color: var(--fg); }
p { margin: 6px 0; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.86em; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.meta { display: flex; flex-wrap: wrap; gap: 4px 20px; color: var(--muted); font-size: 0.92rem; }
.notice { background: #fff8e6; border-left: 4px solid var(--pending); padding: 8px 12px; margin: 10px 0; }
.empty { background: var(--panel); border: 1px dashed var(--line); border-radius: 6px; padding: 10px 14px; color: var(--muted); }
.service { border: 1px solid var(--line); border-radius: 8px; padding: 18px 20px; margin: 22px 0; }
.service-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 12px; }
.counts { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0 4px; padding: 0; list-style: none; }
.counts li { border: 1px solid var(--line); border-left-width: 5px; border-radius: 6px; padding: 4px 12px; background: var(--panel); }
.counts b { font-size: 1.15rem; margin-right: 6px; }
.counts .st-accepted { border-left-color: var(--accepted); } .counts .st-pending { border-left-color: var(--pending); }
.counts .st-failed { border-left-color: var(--failed); } .counts .st-rejected { border-left-color: var(--rejected); }
.counts .st-creating { border-left-color: var(--creating); } .counts .st-deleting { border-left-color: var(--deleting); }
.counts .st-other { border-left-color: var(--other); }
.chart { margin: 6px 0 4px; max-width: 760px; }
.chart .series { display: flex; align-items: stretch; gap: 12px; margin-bottom: 8px; }
.chart .row-label { flex: 0 0 160px; display: flex; flex-direction: column; justify-content: center; line-height: 1.25; }
.chart .row-label b { font-size: 0.88rem; overflow-wrap: anywhere; }
.chart .row-label span { font-size: 0.75rem; color: var(--muted); }
.chart .spark { flex: 1 1 auto; min-width: 0; width: 100%; height: 40px; border-left: 1px solid var(--line); border-bottom: 1px solid var(--line); }
.chart .axis { display: flex; justify-content: space-between; gap: 8px; margin-left: 172px; font-size: 0.72rem; color: var(--muted); }
.chart .line { fill: none; stroke-width: 2; stroke-linejoin: round; }
.chart .area { stroke: none; opacity: 0.14; }
.chart .no-data { fill: var(--line); opacity: 0.5; }
.chart .baseline-mark { stroke: var(--muted); stroke-width: 1.5px; stroke-dasharray: 3 2; }
.chart .chart-note { margin: 2px 0 4px 172px; font-size: 0.72rem; color: var(--muted); }
.chart .no-data-key { display: inline-block; width: 12px; height: 8px; margin-right: 4px; background: var(--line); opacity: 0.5; }
.st-accepted .line { stroke: var(--accepted); } .st-accepted .area { fill: var(--accepted); }
.st-pending .line { stroke: var(--pending); } .st-pending .area { fill: var(--pending); }
.st-failed .line { stroke: var(--failed); } .st-failed .area { fill: var(--failed); }
.st-rejected .line { stroke: var(--rejected); } .st-rejected .area { fill: var(--rejected); }
.st-creating .line { stroke: var(--creating); } .st-creating .area { fill: var(--creating); }
.st-deleting .line { stroke: var(--deleting); } .st-deleting .area { fill: var(--deleting); }
.st-other .line { stroke: var(--other); } .st-other .area { fill: var(--other); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; vertical-align: top; padding: 6px 10px 6px 0; border-bottom: 1px solid var(--line); }
th { font-size: 0.78rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); font-weight: 600; }
th.num, td.num { text-align: right; white-space: nowrap; }
td.when { white-space: nowrap; }
.status { font-weight: 600; white-space: nowrap; }
.status.st-accepted { color: var(--accepted); } .status.st-pending { color: var(--pending); } .status.st-failed { color: var(--failed); }
.status.st-rejected { color: var(--rejected); } .status.st-creating { color: var(--creating); } .status.st-deleting { color: var(--deleting); }
.tag { display: inline-block; font-size: 0.75rem; border: 1px solid var(--line); border-radius: 10px; padding: 0 7px; margin-left: 4px; color: var(--muted); }
nav.toc ul { margin: 6px 0; padding-left: 20px; }
footer { margin-top: 28px; color: var(--muted); font-size: 0.85rem; }
@media (max-width: 640px) {
  body { font-size: 14px; }
  main { padding: 14px 12px 32px; }
  .service { padding: 12px; border-radius: 6px; }
  th, td { padding-right: 8px; }
  td.when { white-space: normal; }
  .chart .series { flex-direction: column; gap: 2px; }
  .chart .row-label { flex-basis: auto; flex-direction: row; justify-content: flex-start; gap: 8px; align-items: baseline; }
  /* Tables become one card per row, each value beside its column's name (the cell's data-label). */
  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.stack, table.stack tbody, table.stack tr { display: block; width: 100%; }
  table.stack tr { border-bottom: 1px solid var(--line); padding: 6px 0; }
  table.stack td { display: flex; gap: 10px; border: none; padding: 2px 0; text-align: left; white-space: normal; }
  table.stack td::before { content: attr(data-label); flex: 0 0 92px; color: var(--muted); font: 600 11px/1.6 system-ui, sans-serif; text-transform: uppercase; letter-spacing: 0.04em; }
  .chart .axis, .chart .chart-note { margin-left: 0; }
  .chart .axis-middle { display: none; }
}
@media print {
  @page { margin: 14mm 12mm; }
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  .service { border: none; border-top: 2px solid #000; border-radius: 0; padding: 10px 0 0; break-inside: auto; }
  h2, h3 { break-after: avoid; }
  .chart, tr, .counts { break-inside: avoid; }
  thead { display: table-header-group; }
  .table-wrap { overflow: visible; }
  .empty, .notice, .counts li { background: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;
