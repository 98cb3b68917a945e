/**
 * The time a run may still spend on the network. FunctionGraph kills an invocation at its timeout
 * without warning, so every request timeout and every retry wait is cut to what is left of the run
 * (less a safety margin the caller keeps for saving state and returning).
 */
export interface Budget {
  /** Milliseconds left for network work; 0 or less means stop starting new work. */
  remainingMs(): number;
}

export const UNLIMITED: Budget = { remainingMs: () => Number.POSITIVE_INFINITY };

/** A budget that ends `ms` after now, measured with the given clock. */
export function budgetUntil(deadlineEpochMs: number, now: () => number = Date.now): Budget {
  return { remainingMs: () => deadlineEpochMs - now() };
}
