/**
 * ZK benchmark of every generated circuit (circuits/<name>/descriptor.json, made by `npm run zk:setup`),
 * with no per-model code: constraints, warm Groth16 proving time, the generated verifier's gas, the gas
 * of a full ZK fulfil through the coordinator, and the gas of an on-chain field disclosure check.
 * Records are random values in each field's declared range. Writes bench/results/zk.json.
 *   npx hardhat run bench/zk.ts   (npm run bench:zk)
 */
import { existsSync, readdirSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";

import { network } from "hardhat";

import { ROOT } from "../scripts/zk/artefacts.ts";
import { CircuitProver, readDescriptor } from "../scripts/zk/descriptor.ts";
import {
  requestParams,
  toRequest,
  Mode,
  discloseFields,
  fieldTree,
  randomSalts,
  classOutput,
  commitmentHex,
  encodeZkProof,
  groth16Calldata,
  zkShutdown,
} from "@verity-ai/sdk";
import { PRICE, ROYALTY_BPS } from "../test/helpers/fixture.ts";
import { deployZk } from "../test/zk/helpers.ts";

const PROOFS = 12;
const FULFILS = 4;
const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const randomRecord = (bits: number[]): bigint[] => bits.map((b) => randomSalts(1)[0]! % (1n << BigInt(b)));

const conn = await network.create();
const { ethers } = conn;
const d = await deployZk(conn);
const t3 = await ethers.deployContract("PoseidonT3");
const t5 = await ethers.deployContract("PoseidonT5");
const disclosure = await ethers.deployContract("FieldDisclosureVerifier", [
  await t3.getAddress(),
  await t5.getAddress(),
]);

const circuitsDir = join(ROOT, "circuits");
const descriptors = readdirSync(circuitsDir)
  .map((n) => join(circuitsDir, n, "descriptor.json"))
  .filter(existsSync);

const models = [];
for (const path of descriptors) {
  const descriptor = readDescriptor(path);
  const bits = descriptor.input.fields.map((f) => f.bits);
  const prover = CircuitProver.load(path);
  const coldStart = performance.now();
  await prover.prove(randomRecord(bits), randomSalts(bits.length));
  const coldMs = performance.now() - coldStart;
  const proveMs: number[] = [];
  const proofs = [];
  for (let i = 0; i < PROOFS; i++) {
    const values = randomRecord(bits);
    const salts = randomSalts(bits.length);
    const t0 = performance.now();
    const { proof, publicSignals } = await prover.prove(values, salts);
    proveMs.push(performance.now() - t0);
    proofs.push({
      values,
      salts,
      proof,
      outputClass: BigInt(publicSignals[0]!),
      commitment: BigInt(publicSignals[1]!),
    });
  }

  const verifier = await ethers.deployContract(descriptor.verifier.contract);
  const { a, b, c } = groth16Calldata(proofs[0]!.proof);
  const verifyProofGas = Number(
    await verifier.verifyProof.estimateGas(a, b, c, [proofs[0]!.outputClass, proofs[0]!.commitment]),
  );
  await d.registry.connect(d.modelOwner).registerModel(descriptor.name, PRICE, ROYALTY_BPS, 0b110, {
    weightsHash: descriptor.model.weightsHash,
    zkVerifier: await verifier.getAddress(),
    uri: `verity://models/${descriptor.name}`,
    runtime: "onnx",
    encoding: `${descriptor.input.encoding}/uint256-argmax`,
  });
  const modelId = await d.registry.modelIdOf(await d.modelOwner.getAddress(), descriptor.name);
  const fulfilGas: number[] = [];
  for (const p of proofs.slice(0, FULFILS + 1)) {
    const receipt = (await (
      await d.coordinator.connect(d.requester).requestInference(
        requestParams({
          modelId,
          mode: Mode.ZK,
          inputCommitment: commitmentHex(p.commitment),
          input: "0x",
          operator: await d.operator.getAddress(),
        }),
      )
    ).wait())!;
    const ev = receipt.logs
      .map((l) => d.coordinator.interface.parseLog(l))
      .find((e) => e?.name === "InferenceRequested")!;
    const tx = await d.coordinator
      .connect(d.operator)
      .fulfill(
        toRequest(ev.args.request.toObject()),
        classOutput(p.outputClass),
        encodeZkProof(p.proof, p.outputClass),
      );
    fulfilGas.push(Number((await tx.wait())!.gasUsed));
  }

  const p = proofs[0]!;
  const tree = fieldTree(p.values, p.salts);
  const disclosureGas = async (indices: number[]) => {
    const opened = discloseFields(tree, p.values, p.salts, indices);
    return Number(
      await disclosure.verifyDisclosure.estimateGas(
        commitmentHex(tree.root),
        bits.length,
        opened.fields.map((f) => ({ ...f, path: f.path as [bigint, bigint, bigint][] })),
      ),
    );
  };
  models.push({
    name: descriptor.name,
    constraints: descriptor.r1cs.constraints,
    fields: bits.length,
    proofs: PROOFS,
    proveMsMedian: Math.round(median(proveMs)),
    proveMsMax: Math.round(Math.max(...proveMs)),
    firstProofMsCold: Math.round(coldMs),
    groth16VerifyProofTxGas: verifyProofGas,
    fulfillZkGasMedian: median(fulfilGas.slice(1)),
    fulfillZkGasNote:
      "InferenceCoordinator.fulfill in ZK mode, no callback; median after the first (which pays new slots)",
    fieldDisclosureTxGas: { oneField: await disclosureGas([0]), twoFields: await disclosureGas([0, bits.length - 1]) },
  });
}
await zkShutdown();

const result = { machine: { cpus: availableParallelism() }, models };
await mkdir("bench/results", { recursive: true });
await writeFile("bench/results/zk.json", JSON.stringify(result, null, 2) + "\n");
console.log(JSON.stringify(result, null, 2));
