/** Shared setup of the worker tests: operators, configs, waiting. */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Wallet, hexlify, parseEther } from "ethers";
import { pino } from "pino";

import { parseConfig, type WorkerConfig } from "../../worker/config.ts";
import { encodeInput } from "@verity-ai/sdk";
import { MEASUREMENT, MODELS_DIR, audioFrame, irisValues, stakeOperator, type Protocol } from "../helpers/node.ts";

export interface Operator {
  wallet: Wallet;
  enclave: Wallet;
}

/** A new operator key with gas money and minStake staked. */
export async function newOperator(p: Protocol): Promise<Operator> {
  const wallet = Wallet.createRandom().connect(p.node.provider) as unknown as Wallet;
  const tx = await p.admin.sendTransaction({ to: wallet.address, value: parseEther("100") });
  await tx.wait();
  await stakeOperator(p, wallet);
  return { wallet, enclave: Wallet.createRandom() as unknown as Wallet };
}

export async function tmp(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `verity-${prefix}-`));
}

export async function workerConfig(
  p: Protocol,
  op: Operator,
  over: Record<string, unknown> = {},
): Promise<WorkerConfig> {
  const dir = await tmp("worker");
  return parseConfig({
    rpcUrl: p.node.url,
    deployment: { coordinator: await p.coordinator.getAddress(), tee: await p.tee.getAddress() },
    operatorKey: op.wallet.privateKey,
    enclaveKey: op.enclave.privateKey,
    measurement: MEASUREMENT,
    modelsDir: MODELS_DIR,
    confirmations: 1,
    pollIntervalMs: 100,
    blockRange: 500,
    batchSize: 5,
    concurrency: 2,
    dbPath: join(dir, "jobs.sqlite"),
    httpPort: 0,
    // A free port per worker: tests run several nodes at once.
    intake: { port: 0 },
    logLevel: "silent",
    gas: { stuckAfterMs: 5000 },
    // The test chains keep many staked operators that no longer run: without sharing, a running
    // node serves every request at once, as these tests expect (sharing has its own test).
    policy: { graceSec: 0 },
    ...over,
  });
}

export const quiet = pino({ level: process.env.WORKER_TEST_LOG ?? "silent" });

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 40_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function irisInput(i: number): string {
  return hexlify(encodeInput("int32be-milli-x4", irisValues(i)));
}

export function audioInput(i: number): string {
  return hexlify(encodeInput("pcm-s16be-x512", audioFrame(i)));
}
