/**
 * HTML that is safe by construction. Pages are written with the `html` template tag, which
 * escapes every interpolated value unless it is already `Html`; the only way to put markup in is
 * to build it with the tag (or, for this module's own constants, `trustedHtml`). Text written by
 * other tenants (descriptions, domain ids, service names) goes through `untrusted` first, which
 * also drops the invisible characters that could reorder what a reader sees.
 */
import { cleanText } from '../monitor/sanitize.js';

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type HtmlPart = Html | string | number | null | undefined | false | readonly HtmlPart[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes for both text and (double- or single-quoted) attribute values. */
function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

function partToString(part: HtmlPart): string {
  if (part instanceof Html) return part.text;
  if (part === null || part === undefined || part === false) return '';
  if (typeof part === 'number') return String(part);
  if (typeof part === 'string') return escapeHtml(part);
  let out = '';
  for (const item of part) out += partToString(item);
  return out;
}

/** The template tag: literal parts are markup, interpolated parts are escaped text. */
export function html(strings: TemplateStringsArray, ...values: HtmlPart[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += partToString(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Markup this project wrote itself (the style sheet); never for anything read from a store. */
export function trustedHtml(markup: string): Html {
  return new Html(markup);
}

/**
 * Text from another tenant, or from VPCEP: one line of printable characters (controls, zero-width
 * characters and bidirectional overrides become spaces), at most `maxLength` characters. The tag
 * then escapes it like any string.
 */
export function untrusted(value: string | undefined, maxLength = 200): string {
  return value === undefined ? '' : cleanText(value, maxLength);
}
