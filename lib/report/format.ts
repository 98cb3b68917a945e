/** How the report writes times and numbers: UTC, to the second, and counts with separators. */

/** `2026-11-25 21:37:48 UTC`; the original text (the caller escapes it) when it is not a time. */
export function formatTime(value: string | number | Date): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** `3 changes`, `1 change`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
