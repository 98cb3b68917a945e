/**
 * Bounding text, in one place: what people read (messages, logs, errors) is cut by characters,
 * never in the middle of one (a surrogate pair cut in half is not valid UTF-8), and what a service
 * limits in bytes is cut by UTF-8 bytes. Either way a cut ends in `…` (where one fits), so a reader
 * knows. The one truncator of the product: adapters, config errors and messages all use it.
 */

const ELLIPSIS = '…';
const ELLIPSIS_BYTES = Buffer.byteLength(ELLIPSIS, 'utf8');

/** At most `max` characters (code points), the last of them `…` when anything was cut. */
export function truncate(text: string, max: number): string {
  // Fast path: a string of at most `max` UTF-16 units holds at most `max` code points.
  if (text.length <= max) return text;
  if (max < 1) return '';
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}${ELLIPSIS}`;
}

/**
 * At most `max` bytes of UTF-8, cut at a character boundary and ending in `…` when cut (when not
 * even the `…` fits, as many whole characters as do).
 */
export function truncateBytes(text: string, max: number): string {
  if (Buffer.byteLength(text, 'utf8') <= max) return text;
  const marker = max >= ELLIPSIS_BYTES ? ELLIPSIS : '';
  const room = max - (marker === '' ? 0 : ELLIPSIS_BYTES);
  let out = '';
  let bytes = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > room) break;
    out += char;
    bytes += size;
  }
  return `${out}${marker}`;
}

/**
 * How every hint the product prints names its own CLI: run from the monitor's checkout, it runs the
 * local copy only. A bare `vpcep-monitor` is "command not found" without `npm link`, and `npx
 * vpcep-monitor` outside the checkout asks the npm registry for a package of that name.
 */
export const LOCAL_CLI = 'npm exec --no -- vpcep-monitor';
