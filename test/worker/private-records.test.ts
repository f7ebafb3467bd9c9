/**
 * Private TEE requests on the field tree: a diagnosis record (a model whose manifest declares
 * input.fields) is committed as the same per-field Poseidon Merkle root a ZK request carries, served
 * by a real node (intake → execute → enclave signature over that root → TeeVerifier), and two of its
 * fields are then disclosed and checked off-chain (SDK) and on-chain (FieldDisclosureVerifier) against
 * the request's inputHash; every tampering is rejected by both. A raw-tensor model (silero-vad, no
 * field record) keeps keccak256(abi.encode(input, salt)).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { expect } from "chai";
import { AbiCoder, ContractFactory, getBytes, hexlify, keccak256, toBeHex, zeroPadValue, type Contract } from "ethers";
import type { InterfaceAbi } from "ethers";

import {
  FieldDisclosureError,
  Mode,
  checkFieldDisclosure,
  claimFor,
  commitmentFor,
  decodeRevert,
  discloseFields,
  encodeInput,
  fieldLeaf,
  fieldTree,
  newSalt,
  parseManifest,
  recordCommitment,
  recordFromBytes,
  recordSalts,
  recordSpecFromManifest,
  recoverResultSigner,
  rootFromPath,
  resultDomain,
  sendPrivateInput,
  teeCommitment,
  type FieldDisclosure,
  type FieldOpening,
} from "@verity-ai/sdk";
import { Executor, ModelStore } from "../../worker/models/index.ts";
import { Worker } from "../../worker/worker.ts";
import { encodeFields, loadDataset } from "../../scripts/diagnosis/data.ts";
import {
  MODELS_DIR,
  ROOT,
  circuitDescriptors,
  deployProtocol,
  fulfilmentCounts,
  fundRequester,
  openRequest,
  postRaw,
  registerModel,
  scanChain,
  startNode,
  type LocalNode,
  type Protocol,
} from "../helpers/node.ts";
import { audioInput, newOperator, quiet, waitFor, workerConfig, type Operator } from "./helpers.ts";

const key = (id: bigint) => "0x" + id.toString(16).padStart(64, "0");
const hex32 = (v: bigint) => zeroPadValue(toBeHex(v), 32);

const manifest = parseManifest(
  JSON.parse(readFileSync(join(MODELS_DIR, "breast-cancer-mlp", "manifest.json"), "utf8")),
  "models/breast-cancer-mlp/manifest.json",
);
const RECORD = recordSpecFromManifest(manifest)!;

function artifact(path: string): { abi: InterfaceAbi; bytecode: string } {
  const name = path.split("/").pop()!;
  return JSON.parse(readFileSync(join(ROOT, "artifacts", "contracts", path + ".sol", name + ".json"), "utf8"));
}

/** The verifier's custom error (name and arguments) for a call that must revert. */
async function revertOf(call: Promise<unknown>): Promise<{ name: string; args: unknown[] }> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  const decoded = decodeRevert(err);
  if (decoded === undefined) throw new Error(`expected a FieldDisclosureVerifier error, got ${String(err)}`);
  return { name: decoded.name, args: decoded.args };
}

const asStruct = (f: FieldOpening) => ({ index: f.index, value: f.value, salt: f.salt, leaf: f.leaf, path: f.path });

describe("worker: private TEE requests committed on the field tree", function () {
  this.timeout(180_000);
  let node: LocalNode;
  let p: Protocol;
  let requester: Awaited<ReturnType<typeof fundRequester>>;
  let op: Operator;
  let worker: Worker;
  let base: string;
  let coordinator: string;
  let executor: Executor;
  let verifier: Contract;

  const intake = (id: bigint) => `${base}/intake/${key(id)}`;

  before(async function () {
    node = await startNode();
    p = await deployProtocol(node);
    coordinator = await p.coordinator.getAddress();
    requester = await fundRequester(p, node.account(5));
    await node.rpc("evm_setIntervalMining", [500]);
    op = await newOperator(p);
    worker = new Worker(await workerConfig(p, op), { logger: quiet });
    await worker.start();
    base = worker.intakeUrl()!;
    executor = new Executor(await ModelStore.open(MODELS_DIR));
    const deploy = async (path: string, args: unknown[]) => {
      const a = artifact(path);
      const c = await new ContractFactory(a.abi, a.bytecode, p.admin).deploy(...args);
      await c.waitForDeployment();
      return c.getAddress();
    };
    const t3 = await deploy("generated/PoseidonT3", []);
    const t5 = await deploy("generated/PoseidonT5", []);
    const address = await deploy("verifiers/FieldDisclosureVerifier", [t3, t5]);
    verifier = new ContractFactory(artifact("verifiers/FieldDisclosureVerifier").abi, "0x", p.admin).attach(
      address,
    ) as Contract;
  });

  after(async function () {
    await worker?.stop();
    await executor?.close();
    await node?.stop();
  });

  it("the manifest's record gives the commitment the circuit descriptor gives: one root for TEE and ZK", async function () {
    const circuit = circuitDescriptors().find((d) => d.model.name === "breast-cancer-mlp")!;
    expect(RECORD.input.fields.map((f) => [f.name, f.scale, f.bits])).to.deep.equal(
      circuit.input.fields.map((f) => [f.name, f.scale, f.bits]),
    );
    const data = loadDataset(ROOT);
    for (const row of [0, 19, 42]) {
      const input = hexlify(encodeInput("int32be-fixed-x10", encodeFields(data.rows[row]!)));
      const salt = newSalt();
      const tee = await commitmentFor(Mode.TEE, input, salt, RECORD);
      expect(tee).to.equal(await commitmentFor(Mode.ZK, input, salt, circuit));
      expect(tee).to.equal(recordCommitment(RECORD, input, salt));
      expect(tee).to.not.equal(teeCommitment(input, salt));
    }
    // Models with no field record: none for the raw audio model.
    const vad = parseManifest(
      JSON.parse(readFileSync(join(MODELS_DIR, "silero-vad", "manifest.json"), "utf8")),
      "models/silero-vad/manifest.json",
    );
    expect(recordSpecFromManifest(vad)).to.equal(undefined);
  });

  it("serves a private TEE diagnosis on the field tree, then two fields are disclosed and checked off-chain and on-chain; every tampering is rejected", async function () {
    const data = loadDataset(ROOT);
    const input = hexlify(encodeInput("int32be-fixed-x10", encodeFields(data.rows[0]!)));
    const salt = newSalt();
    const commitment = await commitmentFor(Mode.TEE, input, salt, RECORD);
    const o = await openRequest(p, requester, {
      modelId: p.models["breast-cancer-mlp"]!.modelId,
      inputCommitment: commitment,
    });
    expect(o.input).to.equal("0x");
    expect(o.request.inputHash).to.equal(commitment);
    const id = key(o.requestId);
    await waitFor("job awaiting its input", async () => worker.store.get(id)?.state === "awaiting-input");

    // The intake checks the opening on the field tree: a wrong salt names the tree, not keccak.
    const wrongSalt = await postRaw(intake(o.requestId), JSON.stringify({ input, salt: newSalt() }));
    expect(wrongSalt.status).to.equal(422);
    expect(wrongSalt.body).to.deep.equal({
      error: `input and salt do not open the request's commitment ${commitment} (TEE, a model with input.fields: the root of the per-field Poseidon Merkle tree, field i salted with Poseidon(salt mod 2^248, i)): check the salt, and that the input is the exact model-encoded bytes the commitment was made over`,
    });
    // A field outside its range is refused with the field named (worst_radius has 17 bits).
    const big = getBytes(input);
    new DataView(big.buffer).setInt32(0, 1 << 17, false);
    const outOfRange = await postRaw(intake(o.requestId), JSON.stringify({ input: hexlify(big), salt }));
    expect(outOfRange.status).to.equal(422);
    expect(outOfRange.body).to.deep.equal({
      error:
        "input is not a valid record of the model: breast-cancer-mlp field 0 (worst_radius) = 131072 is outside the record's range [0, 2^17): encode value × 1000 as a non-negative integer below 131072 (the manifest's input.fields, each an int32 big-endian fixed-point integer in its range)",
    });
    expect(worker.store.getPrivateInput(id)).to.equal(undefined);

    await sendPrivateInput(base, o.requestId, input, salt);
    await waitFor("private diagnosis confirmed", async () => worker.store.get(id)?.state === "confirmed");
    const job = worker.store.get(id)!;
    const expected = (await executor.run(o.request.weightsHash, getBytes(input))).output;
    expect(job.output).to.equal(hexlify(expected));
    expect(BigInt(hexlify(expected))).to.equal(0n); // dataset row 0 is malignant
    // The enclave signed the claim with the field-tree root as inputHash; TeeVerifier accepted it.
    const claim = claimFor(o.requestId, o.request, expected, op.wallet.address);
    expect(claim.inputHash).to.equal(commitment);
    expect(recoverResultSigner(resultDomain(31337n, coordinator), claim, job.proof!)).to.equal(op.enclave.address);
    const { fulfilled } = await fulfilmentCounts(p);
    expect(fulfilled.get(o.requestId)).to.deep.equal({
      count: 1,
      operator: op.wallet.address,
      outputHash: keccak256(expected),
    });
    expect(await scanChain(node, [input, salt])).to.deep.equal([]);

    // Disclose worst_perimeter (2) and worst_concave_points (7) against the request's on-chain inputHash.
    const values = recordFromBytes(RECORD, input);
    const salts = recordSalts(RECORD, salt);
    const tree = fieldTree(values, salts);
    const root = BigInt(o.request.inputHash);
    expect(tree.root).to.equal(root);
    const disclosure = discloseFields(tree, values, salts, [7, 2]);
    const fields = RECORD.input.fields.map((f) => ({ name: f.name, bits: f.bits }));
    const opened = checkFieldDisclosure(root, disclosure, { fieldCount: 10, fields });
    expect([...opened]).to.deep.equal([
      [2, 18460n],
      [7, 265400n],
    ]);
    const onChain = (d: FieldDisclosure) =>
      verifier.getFunction("verifyDisclosure")(o.request.inputHash, d.fieldCount, d.fields.map(asStruct));
    expect(await onChain(disclosure)).to.equal(true);

    const tamper = (k: number, change: Partial<FieldOpening>): FieldDisclosure => ({
      ...disclosure,
      fields: disclosure.fields.map((f, i) => (i === k ? { ...f, ...change } : f)),
    });
    const offChain = (d: FieldDisclosure) => {
      try {
        checkFieldDisclosure(root, d, { fieldCount: 10, fields });
      } catch (err) {
        const e = err as FieldDisclosureError;
        return { problem: e.problem, index: e.index, message: e.message };
      }
      throw new Error("the tampered disclosure was accepted off-chain");
    };

    // A wrong value (in range), then a wrong salt: the opening fails.
    const wrongValue = tamper(0, { value: 18461n });
    expect(await revertOf(onChain(wrongValue))).to.deep.equal({
      name: "FieldDisclosureOpeningMismatch",
      args: [2n, tree.leaves[2]],
    });
    expect(offChain(wrongValue)).to.deep.equal({
      problem: "opening",
      index: 2,
      message:
        "the value or the salt of field 2 (worst_perimeter) is wrong: Poseidon(value, salt) is not its committed leaf",
    });
    const wrongSaltOpening = tamper(1, { salt: salts[7]! + 1n });
    expect(await revertOf(onChain(wrongSaltOpening))).to.deep.equal({
      name: "FieldDisclosureOpeningMismatch",
      args: [7n, tree.leaves[7]],
    });
    expect(offChain(wrongSaltOpening)).to.deep.equal({
      problem: "opening",
      index: 7,
      message:
        "the value or the salt of field 7 (worst_concave_points) is wrong: Poseidon(value, salt) is not its committed leaf",
    });
    // A wrong index: field 2's opening presented as field 3's.
    const wrongIndex = { ...disclosure, fields: [{ ...disclosure.fields[0]!, index: 3 }] };
    expect(await revertOf(onChain(wrongIndex))).to.deep.equal({ name: "FieldDisclosureWrongIndex", args: [3n, 2n] });
    expect(offChain(wrongIndex)).to.deep.equal({
      problem: "index",
      index: 3,
      message: "field 3's opening and path are those of field 2: the index is wrong",
    });
    // A wrong path: one sibling changed; and a consistent leaf for another value, on the true path.
    const changed = disclosure.fields[1]!.path.map((l) => [...l]);
    changed[0]![0]! += 1n;
    const wrongRoot = hex32(rootFromPath(disclosure.fields[1]!.leaf, 7, changed));
    expect(await revertOf(onChain(tamper(1, { path: changed })))).to.deep.equal({
      name: "FieldDisclosurePathMismatch",
      args: [7n, wrongRoot, o.request.inputHash],
    });
    expect(offChain(tamper(1, { path: changed }))).to.deep.equal({
      problem: "path",
      index: 7,
      message: "the Merkle path of field 7 (worst_concave_points) does not lead to the commitment",
    });
    const forged = tamper(0, { value: 1n, leaf: fieldLeaf(1n, salts[2]!) });
    expect(await revertOf(onChain(forged))).to.deep.equal({
      name: "FieldDisclosurePathMismatch",
      args: [2n, hex32(rootFromPath(fieldLeaf(1n, salts[2]!), 2, disclosure.fields[0]!.path)), o.request.inputHash],
    });
    expect(offChain(forged).problem).to.equal("path");
  });

  it("the executor checks a stored input against the field tree again: one that does not open the commitment fails its job", async function () {
    const data = loadDataset(ROOT);
    const input = hexlify(encodeInput("int32be-fixed-x10", encodeFields(data.rows[7]!)));
    const salt = newSalt();
    const o = await openRequest(p, requester, {
      modelId: p.models["breast-cancer-mlp"]!.modelId,
      inputCommitment: await commitmentFor(Mode.TEE, input, salt, RECORD),
    });
    const id = key(o.requestId);
    await waitFor("job awaiting its input", async () => worker.store.get(id)?.state === "awaiting-input");
    // Stored past the intake (as a corrupted store would hold it): another salt.
    worker.store.putPrivateInput(id, input, newSalt());
    await waitFor("job failed", async () => worker.store.get(id)?.state === "failed");
    expect(worker.store.get(id)!.error).to.equal(
      "commitment-mismatch: the stored private input does not open request.inputHash",
    );
    expect(worker.store.get(id)!.txHash).to.equal(null);
  });

  it("a keccak commitment for a model with a field record is refused at the intake, naming the field tree", async function () {
    const data = loadDataset(ROOT);
    const input = hexlify(encodeInput("int32be-fixed-x10", encodeFields(data.rows[19]!)));
    const salt = newSalt();
    const o = await openRequest(p, requester, {
      modelId: p.models["breast-cancer-mlp"]!.modelId,
      inputCommitment: teeCommitment(input, salt),
    });
    const id = key(o.requestId);
    await waitFor("job awaiting its input", async () => worker.store.get(id)?.state === "awaiting-input");
    const res = await postRaw(intake(o.requestId), JSON.stringify({ input, salt }));
    expect(res.status).to.equal(422);
    expect(res.body).to.deep.equal({
      error: `input and salt do not open the request's commitment ${o.request.inputHash} (TEE, a model with input.fields: the root of the per-field Poseidon Merkle tree, field i salted with Poseidon(salt mod 2^248, i)): check the salt, and that the input is the exact model-encoded bytes the commitment was made over`,
    });
    expect(worker.store.getPrivateInput(id)).to.equal(undefined);
  });

  it("a raw-tensor model (no field record) keeps keccak256(abi.encode(input, salt)): served and signed over it", async function () {
    const input = audioInput(3);
    const salt = newSalt();
    const commitment = await commitmentFor(Mode.TEE, input, salt);
    expect(commitment).to.equal(
      keccak256(AbiCoder.defaultAbiCoder().encode(["bytes", "bytes32"], [getBytes(input), salt])),
    );
    const o = await openRequest(p, requester, {
      modelId: p.models["silero-vad"]!.modelId,
      inputCommitment: commitment,
    });
    const id = key(o.requestId);
    await waitFor("job awaiting its input", async () => worker.store.get(id)?.state === "awaiting-input");
    // The field tree is not this model's scheme: the keccak formula is named.
    const wrong = await postRaw(intake(o.requestId), JSON.stringify({ input, salt: newSalt() }));
    expect(wrong.status).to.equal(422);
    expect(wrong.body).to.deep.equal({
      error: `input and salt do not open the request's commitment ${commitment} (TEE: keccak256(abi.encode(bytes input, bytes32 salt))): check the salt, and that the input is the exact model-encoded bytes the commitment was made over`,
    });
    await sendPrivateInput(base, o.requestId, input, salt);
    await waitFor("private audio request confirmed", async () => worker.store.get(id)?.state === "confirmed");
    const job = worker.store.get(id)!;
    const expected = (await executor.run(o.request.weightsHash, getBytes(input))).output;
    expect(job.output).to.equal(hexlify(expected));
    const claim = claimFor(o.requestId, o.request, expected, op.wallet.address);
    expect(claim.inputHash).to.equal(commitment);
    expect(recoverResultSigner(resultDomain(31337n, coordinator), claim, job.proof!)).to.equal(op.enclave.address);
  });

  it("a private TEE input for a model this worker does not hold is refused at the intake (its scheme is the manifest's)", async function () {
    const absent = await registerModel(p, "absent-diagnosis", keccak256("0x0123"), "int32be-fixed-x10/uint256-argmax");
    const salt = newSalt();
    const input = hexlify(new Uint8Array(40));
    const o = await openRequest(p, requester, { modelId: absent.modelId, inputCommitment: teeCommitment(input, salt) });
    const res = await postRaw(intake(o.requestId), JSON.stringify({ input, salt }));
    expect(res.status).to.equal(409);
    expect(res.body).to.deep.equal({
      error: `request ${key(o.requestId)} cannot be served by this worker: it does not hold model ${o.request.weightsHash} (no model with weightsHash ${o.request.weightsHash} in the models directory)`,
    });
    expect(worker.store.getPrivateInput(key(o.requestId))).to.equal(undefined);
  });
});
