/**
 * Private-inputs stage: jobs awaiting their private input go back to seen when it has arrived
 * (the intake endpoint stores it, worker/intake.ts) and expire once their deadline is (about to
 * be) passed, so the requester can refund. Received inputs of settled jobs are deleted after
 * `intake.retainSec`.
 */
import type { Logger } from "pino";

import type { JobStore, Verdict } from "../store.ts";
import type { ExecuteStage } from "./execute.ts";

export interface InputsOptions {
  store: JobStore;
  execute: ExecuteStage;
  deadlineMarginSec: number;
  retainSec: number;
  log: Logger;
}

export class InputsStage {
  readonly #o: InputsOptions;
  #lastPurgeAt = 0;

  constructor(o: InputsOptions) {
    this.#o = o;
  }

  run(nowSec: number): void {
    const { store, deadlineMarginSec: margin, log } = this.#o;
    if (store.any("awaiting-input")) {
      const woken = new Set(store.wakeReceived());
      const expired: { job: ReturnType<JobStore["byState"]>[number]; verdict: Verdict }[] = [];
      for (const job of store.byState("awaiting-input")) {
        if (woken.has(job.requestId)) continue;
        const deadline = job.request.deadline;
        if (deadline <= BigInt(nowSec + margin))
          expired.push({
            job,
            verdict: {
              state: "expired",
              reason: "expired",
              detail: `deadline ${deadline} passed before the private input arrived (now ${nowSec}, margin ${margin}s)`,
            },
          });
      }
      this.#o.execute.settle(expired);
    }
    if (Date.now() - this.#lastPurgeAt > 60_000) {
      this.#lastPurgeAt = Date.now();
      const n = store.purgePrivateInputs(this.#o.retainSec * 1000);
      if (n > 0) log.info({ deleted: n }, "deleted private inputs of settled requests");
    }
  }
}
