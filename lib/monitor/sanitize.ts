/**
 * Text written by other tenants (a connection's description, its domain id) goes into e-mails,
 * SMS and logs. It is reduced to one line of printable characters, bounded in length, before any
 * format sees it; each format then escapes it for itself (JSON.stringify for JSON).
 */
import { truncate } from '../text.js';

// C0/C1 controls, DEL, and the invisible characters that can disguise text: zero-width and
// bidirectional overrides (a "Trojan Source" description could reorder what a reader sees).
export const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

export function cleanText(value: string, maxLength: number): string {
  return truncate(oneLine(value), maxLength);
}

/**
 * `value` with every string in it (at any depth) cleaned as `cleanText` cleans, but not cut: the
 * JSON for machines carries the whole text, stripped of what could disguise it, like the e-mail.
 */
export function cleanStrings<T>(value: T): T {
  if (typeof value === 'string') return oneLine(value) as T;
  if (Array.isArray(value)) return value.map(cleanStrings) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, cleanStrings(field)])) as T;
  }
  return value;
}

const CLEAN_LINE = /^[\u0020-\u007e]*$/;

function oneLine(value: string): string {
  // Most texts are plain ASCII on one line already: a burst of 100,000 events checks, not rewrites.
  if (CLEAN_LINE.test(value) && !/^ | $| {2}/.test(value)) return value;
  return value.replace(INVISIBLE, ' ').replace(/\s+/g, ' ').trim();
}

/** Identifiers we print (ids, statuses, codes) keep only the characters such values are made of. */
export function cleanToken(value: string, maxLength = 64): string {
  return truncate(value.replace(/[^A-Za-z0-9._:@/-]/g, '?'), maxLength);
}

/**
 * VPCEP names a service `{region}.{name}.{id}`; people know it by the middle part, and the id is
 * printed beside it anyway.
 */
export function displayServiceName(serviceName: string, serviceId: string): string {
  let name = serviceName;
  if (name.endsWith(`.${serviceId}`)) name = name.slice(0, -serviceId.length - 1);
  name = name.replace(/^[a-z]{2,}(?:-[a-z0-9]+)+\./, '');
  return cleanText(name, 128);
}
