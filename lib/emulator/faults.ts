/**
 * The table of injected faults: which request gets which misbehaviour (a status, a hang, a cut
 * body, a reset, a malformed body, a world change, a delay), in the order the faults were added.
 */
import type { Fault, FaultMatchRequest, ServiceName } from './types.js';

interface ArmedFault {
  fault: Fault;
  skipped: number;
  applied: number;
}

export class FaultTable {
  private armed: ArmedFault[] = [];

  add(fault: Fault): void {
    const times = fault.times ?? 1;
    const skip = fault.skip ?? 0;
    if (!(times >= 0) || !(skip >= 0)) throw new Error('fault times and skip must be >= 0');
    if (times === 0) return;
    this.armed.push({ fault, skipped: 0, applied: 0 });
  }

  clear(): void {
    this.armed = [];
  }

  /**
   * The fault to apply to this request, if any. A fault still letting requests through (skip)
   * counts the request and leaves the decision to faults added after it.
   */
  take(service: ServiceName, api: string, request: FaultMatchRequest): Fault | undefined {
    for (const entry of this.armed) {
      const { fault } = entry;
      if (fault.service !== service) continue;
      if (fault.api !== undefined && fault.api !== api) continue;
      if (fault.match !== undefined && !fault.match(request)) continue;
      if (entry.skipped < (fault.skip ?? 0)) {
        entry.skipped++;
        continue;
      }
      entry.applied++;
      if (entry.applied >= (fault.times ?? 1)) this.armed = this.armed.filter((other) => other !== entry);
      return fault;
    }
    return undefined;
  }
}
