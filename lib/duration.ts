/** Durations as people write them in settings and flags (`90s`, `30m`, `24h`, `2d`) and read them in messages. */
const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds, or `undefined` when `text` is not a positive whole number followed by s, m, h or d. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,7})([smhd])$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * UNITS[match[2]!]!;
  return ms > 0 ? ms : undefined;
}

/**
 * A wait as people say it, to the unit that matters: `45s`, `12m`, `5h 20m`, `25h`, `3d 1h`. Hours
 * are kept up to two days ("waiting 30h" reads better than "1d 6h"). The one formatter for the
 * reminders' texts and the CLI.
 */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Math.floor(Math.max(0, ms) / 1000)}s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h${minutes % 60 ? ` ${minutes % 60}m` : ''}`;
  return `${Math.floor(hours / 24)}d${hours % 24 ? ` ${hours % 24}h` : ''}`;
}
