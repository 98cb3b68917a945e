/**
 * OBS's buckets held in memory: versioned objects (every PUT kept, DELETE leaves a marker) and a
 * sorted key index for listing. Named apart from the product's `ObsStore` adapter on purpose.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { BucketSnapshot } from './world-snapshot.js';

export interface ObjectVersion {
  versionId: string;
  body: Buffer;
  /** Quoted MD5 hex, as OBS returns it for simple uploads. */
  etag: string;
  lastModifiedMs: number;
  contentType: string;
}

interface ObjectEntry {
  /** Every PUT is kept: the monitor's bucket is versioned. */
  versions: ObjectVersion[];
  /** Undefined after a DELETE (a delete marker hides the object but keeps its versions). */
  current: ObjectVersion | undefined;
}

interface Bucket {
  objects: Map<string, ObjectEntry>;
  /** Keys with a current version, sorted; dropped whenever one appears or disappears. */
  sortedKeys: string[] | undefined;
}

function versionId(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

export class BucketStore {
  private readonly buckets = new Map<string, Bucket>();

  createBucket(name: string): void {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) throw new Error(`invalid bucket name ${name}`);
    if (!this.buckets.has(name)) this.buckets.set(name, { objects: new Map(), sortedKeys: undefined });
  }

  hasBucket(name: string): boolean {
    return this.buckets.has(name);
  }

  private bucket(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (bucket === undefined) throw new Error(`no bucket ${name}`);
    return bucket;
  }

  /** Every bucket with the current version of each object, for a world file. */
  exportBuckets(): BucketSnapshot[] {
    return [...this.buckets.entries()].map(([name, bucket]) => ({
      name,
      objects: [...bucket.objects.entries()].flatMap(([key, entry]) =>
        entry.current === undefined
          ? []
          : [{ key, body: entry.current.body.toString('base64'), contentType: entry.current.contentType, lastModifiedMs: entry.current.lastModifiedMs }],
      ),
    }));
  }

  /** Creates the buckets of a world file with their objects (each as a fresh first version). */
  importBuckets(snapshots: readonly BucketSnapshot[]): void {
    for (const snapshot of snapshots) {
      this.createBucket(snapshot.name);
      for (const object of snapshot.objects) {
        this.put(snapshot.name, object.key, Buffer.from(object.body, 'base64'), object.contentType, new Date(object.lastModifiedMs));
      }
    }
  }

  put(bucketName: string, key: string, body: Buffer, contentType: string, now: Date): ObjectVersion {
    const bucket = this.bucket(bucketName);
    const version: ObjectVersion = {
      versionId: versionId(),
      body,
      etag: `"${createHash('md5').update(body).digest('hex')}"`,
      lastModifiedMs: Math.floor(now.getTime() / 1000) * 1000,
      contentType,
    };
    const entry = bucket.objects.get(key);
    if (entry === undefined) {
      bucket.objects.set(key, { versions: [version], current: version });
      bucket.sortedKeys = undefined;
    } else {
      if (entry.current === undefined) bucket.sortedKeys = undefined;
      entry.versions.push(version);
      entry.current = version;
    }
    return version;
  }

  /** The current version, or a specific one when versionId is given. */
  get(bucketName: string, key: string, versionId?: string): ObjectVersion | undefined {
    const entry = this.bucket(bucketName).objects.get(key);
    if (entry === undefined) return undefined;
    if (versionId === undefined) return entry.current;
    return entry.versions.find((v) => v.versionId === versionId);
  }

  /** Hides the object behind a delete marker; returns the marker's version id. */
  delete(bucketName: string, key: string): string {
    const bucket = this.bucket(bucketName);
    const entry = bucket.objects.get(key);
    if (entry?.current !== undefined) {
      entry.current = undefined;
      bucket.sortedKeys = undefined;
    }
    return versionId();
  }

  writes(bucketName: string, key: string): number {
    return this.bucket(bucketName).objects.get(key)?.versions.length ?? 0;
  }

  /**
   * Keys with a current version, in JS string order. OBS lists in UTF-8 byte order; the two only
   * differ for keys mixing astral characters with U+E000–U+FFFF.
   */
  sortedKeys(bucketName: string): string[] {
    const bucket = this.bucket(bucketName);
    if (bucket.sortedKeys === undefined) {
      bucket.sortedKeys = [...bucket.objects.entries()]
        .filter(([, entry]) => entry.current !== undefined)
        .map(([key]) => key)
        .sort();
    }
    return bucket.sortedKeys;
  }
}

/** Index of the first key that is >= target (keys sorted ascending). */
export function lowerBound(keys: readonly string[], target: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
