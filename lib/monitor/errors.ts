/** Errors of the monitoring pass itself, as opposed to one cloud call (see huaweicloud/errors.ts). */

/** Base class of the monitor's own failures. */
export class MonitorError extends Error {
  override name = 'MonitorError';
}

/**
 * One endpoint service could not be read completely and consistently. Its snapshot is left as it
 * was and it is not diffed, so a partial list can never raise a false "removed" or "added".
 */
export class ScanError extends MonitorError {
  override name = 'ScanError';
  constructor(
    readonly serviceId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`service ${serviceId}: ${message}`, options);
  }
}

/**
 * A service was not read in this run, by choice rather than failure: the run's time was nearly up,
 * or the run had already stopped. It keeps its snapshot and the next run reads it.
 */
export class ScanPostponedError extends ScanError {
  override name = 'ScanPostponedError';
}

/** The stored state is not something this version can read (bad JSON, unknown schema, bad shape). */
export class StateFormatError extends MonitorError {
  override name = 'StateFormatError';
}

/**
 * The pass finished what it could and saved its state, but something failed: services that could
 * not be read, or notifications SMN did not accept (they stay in the outbox for the next run).
 * FunctionGraph records the invocation as failed, which is what alarms on the function watch.
 */
export class RunIncompleteError extends MonitorError {
  override name = 'RunIncompleteError';
  readonly failedServices: readonly string[];
  readonly undelivered: number;
  constructor(
    message: string,
    /** What the pass did achieve; the handler logs it as the run's summary. */
    readonly summary: RunSummaryLike,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.failedServices = summary.failedServices;
    this.undelivered = summary.undelivered;
  }
}

interface RunSummaryLike {
  failedServices: string[];
  undelivered: number;
}

/**
 * SMN refused most of what it was offered as messages in one delivery (every event, or more than
 * the events it accepted). Such a pattern says the channel is at fault (a topic policy, a template,
 * a subscription or account setting), not the alerts: none is set aside, every one stays in the
 * outbox, and the run fails so the function's error metric fires.
 */
export class ChannelRefusedError extends MonitorError {
  override name = 'ChannelRefusedError';
}

/**
 * Another invocation saved the state while this one worked (the lease was lost to a race or
 * outlived). This run stops without saving or publishing; the next run diffs against the newer
 * state, so nothing is lost and the snapshot does not move backwards.
 */
export class OverlapError extends MonitorError {
  override name = 'OverlapError';
}

/**
 * The stored state was written by another monitor: another project or region, or a deployment
 * watching other services under the same prefix. It is left as it is, nothing is diffed against
 * it, and the run fails naming both, so the platform's error metric fires.
 */
export class ForeignStateError extends MonitorError {
  override name = 'ForeignStateError';
}

/**
 * Runs keep finding the state lease held by the same invocation: the second run skipped for it
 * fails, so a stuck lease cannot hold every alert back in silence.
 */
export class LeaseHeldError extends MonitorError {
  override name = 'LeaseHeldError';
  constructor(
    message: string,
    /** What the skipped run saw; the handler logs it as the run's summary. */
    readonly summary: RunSummaryLike,
  ) {
    super(message);
  }
}
