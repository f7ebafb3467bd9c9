/**
 * The Groth16 key ceremony both one-command setups run (scripts/zk-setup.ts for a model's circuit,
 * scripts/zk/field-range.ts for the field-range predicate), with the transcript's step recorder:
 *  - the smallest committed shared powers of tau (circuits/ptau) that fits the circuit: never made here;
 *  - Groth16 setup, 2 zkey contributions (random entropy, discarded), a beacon, verify against r1cs + ptau;
 *  - the verification key (vkey.json).
 * Development only: one machine, and the beacon is not public randomness.
 */
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { writeFileSync } from "node:fs";

import { keccak256, toUtf8Bytes } from "ethers";

import { ROOT, hashFile, type ArtefactHash } from "./artefacts.ts";
import { findPtau } from "./ptau.ts";

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const snarkjs = require("snarkjs") as any;
const BEACON_ITERATIONS_EXP = 10;
/** snarkjs's logger, quiet but for errors. */
export const SILENT = { info: () => {}, debug: () => {}, warn: () => {}, error: (m: string) => console.error(m) };

export interface TranscriptStep {
  step: string;
  outputs: ArtefactHash[];
  params?: Record<string, unknown>;
  ms: number;
}

/** Runs labelled steps, logging each and recording it (its outputs' hashes, params, time) for the transcript. */
export function stepRecorder(log: (line: string) => void) {
  const steps: TranscriptStep[] = [];
  const step = async <T>(label: string, outputs: string[], fn: () => Promise<T>, params?: Record<string, unknown>) => {
    log(`[${steps.length + 1}] ${label}`);
    const t0 = Date.now();
    const r = await fn();
    if ((r as unknown) === false) throw new Error(`${label} failed`);
    steps.push({ step: label, outputs: outputs.map(hashFile), ...(params ? { params } : {}), ms: Date.now() - t0 });
    return r;
  };
  return { steps, step };
}

export interface R1csInfo {
  nConstraints: number;
  nVars: number;
  nOutputs: number;
  nPubInputs: number;
  nPrvInputs: number;
}

/**
 * Proving key `zkey` and verification key `vkey` for the circuit `r1cs` (`name` seeds the beacon),
 * in the scratch folder `work`. Returns the circuit's sizes and the powers of tau used.
 */
export async function groth16Ceremony(o: {
  name: string;
  r1cs: string;
  zkey: string;
  vkey: string;
  work: string;
  step: ReturnType<typeof stepRecorder>["step"];
  log: (line: string) => void;
}): Promise<{ info: R1csInfo; ptau: { path: string; power: number } }> {
  const { step } = o;
  const tmp = (f: string) => join(o.work, f);
  const info = (await snarkjs.r1cs.info(o.r1cs, SILENT)) as R1csInfo;
  const domain = info.nConstraints + info.nPubInputs + info.nOutputs + 1;
  const power = Math.ceil(Math.log2(domain));
  const ptau = findPtau(power);
  if (!ptau)
    throw new Error(
      `${info.nConstraints} constraints need powers of tau 2^${power} and none is committed: run ` +
        `\`node scripts/zk/ptau.ts ${power}\` once (slow) and commit circuits/ptau/, then rerun`,
    );
  o.log(
    `    ${info.nConstraints} constraints, domain ${domain}: powers of tau ${relative(ROOT, ptau.path)} (2^${ptau.power})`,
  );
  await step("groth16 setup", [], () => snarkjs.zKey.newZKey(o.r1cs, ptau.path, tmp("k0.zkey"), SILENT));
  for (const i of [1, 2]) {
    await step(
      `zkey contribution ${i}`,
      [],
      () =>
        snarkjs.zKey.contribute(
          tmp(`k${i - 1}.zkey`),
          tmp(`k${i}.zkey`),
          `verity-dev-zkey-contributor-${i}`,
          randomBytes(32).toString("hex"),
          SILENT,
        ),
      { entropy: "32 random bytes, discarded" },
    );
  }
  const beacon = keccak256(toUtf8Bytes(`verity-${o.name}-zkey-beacon/${hashFile(tmp("k2.zkey")).sha256}`)).slice(2);
  await step(
    "zkey beacon",
    [o.zkey],
    () => snarkjs.zKey.beacon(tmp("k2.zkey"), o.zkey, "verity-dev-zkey-beacon", beacon, BEACON_ITERATIONS_EXP, SILENT),
    { beaconHash: beacon, iterationsExp: BEACON_ITERATIONS_EXP, note: "development beacon, not public randomness" },
  );
  await step("zkey verify", [], () => snarkjs.zKey.verifyFromR1cs(o.r1cs, ptau.path, o.zkey, SILENT));
  await step("export verification key", [o.vkey], async () => {
    writeFileSync(o.vkey, JSON.stringify(await snarkjs.zKey.exportVerificationKey(o.zkey, SILENT), null, 2) + "\n");
  });
  return { info, ptau };
}
