/** While a command waits for a result: the operator's own status of the job, printed when it changes. */
import { jobStatusAt, IntakeError } from "@verity-ai/sdk";

/**
 * Poll `<operatorUrl>/jobs/<requestId>` every `intervalMs` and print each new state to stderr
 * ("operator: <state> — <sentence>"); an unreachable intake is said once. Returns stop().
 */
export function watchOperatorJob(
  operatorUrl: string,
  requestId: bigint,
  print: (line: string) => void = (l) => console.error(l),
  intervalMs = 1000,
): () => Promise<void> {
  let stopped = false;
  let last = "";
  const poll = async () => {
    let line: string;
    try {
      const s = await jobStatusAt(operatorUrl, requestId);
      line =
        s === undefined
          ? "operator: has not seen the request yet"
          : `operator: ${s.state}${s.reason !== null && s.final ? ` (${s.reason})` : ""} — ${s.message}`;
    } catch (err) {
      if (!(err instanceof IntakeError)) throw err;
      line = `operator status unavailable: ${err.message}`;
    }
    if (line !== last && !stopped) print(line);
    last = line;
  };
  const loop = (async () => {
    while (!stopped) {
      await poll();
      if (stopped) break;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return async () => {
    stopped = true;
    await loop.catch(() => undefined);
  };
}
