/**
 * Checks of a JSON answer's shape, shared by the adapters that read lists (VPCEP, CTS): each throws
 * a `ResponseShapeError` naming the call and what was there instead, never the value itself
 * (another tenant's text does not belong in an error message).
 */
import { ResponseShapeError } from './errors.js';

export function objectOf(value: unknown, api: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ResponseShapeError(`${api} answered with ${describe(value)} where an object was expected`, api);
  }
  return value as Record<string, unknown>;
}

export function arrayField(record: Record<string, unknown>, key: string, api: string): unknown[] {
  const value = record[key];
  if (!Array.isArray(value)) throw new ResponseShapeError(`${api} answered without a ${key} array (got ${describe(value)})`, api);
  return value;
}

export function countField(record: Record<string, unknown>, key: string, api: string): number {
  const value = record[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ResponseShapeError(`${api} answered without a valid ${key} (got ${describe(value)})`, api);
  }
  return value;
}

export function stringField(record: Record<string, unknown>, key: string, api: string): string {
  const value = record[key];
  if (typeof value !== 'string' || value === '' || value.length > 256) {
    throw new ResponseShapeError(`${api} answered with an item whose ${key} is not a string (got ${describe(value)})`, api);
  }
  return value;
}

export function optionalString(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' ? value : undefined;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  return typeof value;
}
