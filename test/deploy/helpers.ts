import { expect } from "chai";

/** The message a promise is rejected with (fails the test when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<string> {
  const outcome = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(outcome, "expected a rejection").to.be.instanceOf(Error);
  return (outcome as Error).message;
}
