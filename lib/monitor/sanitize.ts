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
  return truncate(value.replace(INVISIBLE, ' ').replace(/\s+/g, ' ').trim(), maxLength);
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
