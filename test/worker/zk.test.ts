import { expect } from "chai";
import { getBytes, hexlify, keccak256, toBeHex, zeroPadValue, type Contract } from "ethers";

import {
  classOutput,
  commitmentFor,
  deriveFieldSalts,
  encodeInput,
  fieldTree,
  Mode,
  newSalt,
  recordFromBytes,
  operatorAt,
  sendPrivateInput,
  zkSalt,
  requestParams,
  operatorShare,
} from "@verity-ai/sdk";
import { Worker } from "../../worker/worker.ts";
import { encodeFields, loadDataset } from "../../scripts/diagnosis/data.ts";
import {
  ROOT,
  circuitDescriptors,
  deployProtocol,
  freePort,
  fulfilmentCounts,
  fundRequester,
  openRequest,
  postRaw,
  scanChain,
  startNode,
  type LocalNode,
  type Opened,
  type Protocol,
} from "../helpers/node.ts";
import { irisInput, newOperator, quiet, waitFor, workerConfig, type Operator } from "./helpers.ts";
import { fixedForward } from "../../scripts/zk/circuit-generator.ts";
import { IRIS_FIXED, IRIS_SPEC } from "../zk/helpers.ts";

const key = (id: bigint) => "0x" + id.toString(16).padStart(64, "0");

describe("worker: ZK mode with private inputs", function () {
  this.timeout(120_000);
  let node: LocalNode;
  let p: Protocol;
  let requester: Awaited<ReturnType<typeof fundRequester>>;
  let op: Operator;
  let worker: Worker;
  let base: string;

  before(async function () {
    node = await startNode();
    p = await deployProtocol(node, { zk: true });
    requester = await fundRequester(p, node.account(5));
    await node.rpc("evm_setIntervalMining", [500]);
    op = await newOperator(p);
    worker = new Worker(await workerConfig(p, op), { logger: quiet });
    await worker.start();
    base = worker.intakeUrl()!;
  });

  it("names its operator at /healthz, which is what a ZK request sent to its intake must name", async function () {
    expect(await operatorAt(base)).to.equal(op.wallet.address);
    expect(await operatorAt(`${base}/`)).to.equal(op.wallet.address);
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const err = await operatorAt(nowhere).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).to.match(
      new RegExp(`^cannot read the operator from ${nowhere}/healthz \\(.+\\): check the operator URL$`),
    );
  });

  after(async function () {
    await worker?.stop();
    await node?.stop();
  });

  it("proves private-input ZK requests in a prover thread; ZkVerifier accepts them on-chain; input and salt appear in no transaction or log", async function () {
    const iris = p.models.iris!.modelId;
    const inputs = [irisInput(0), irisInput(1), irisInput(2)];
    const salts = inputs.map(() => newSalt());
    const spec = circuitDescriptors().find((d) => d.model.name === "iris-mlp")!;
    const commitments = await Promise.all(inputs.map((x, i) => commitmentFor(Mode.ZK, x, salts[i]!, spec)));
    const zk: Opened[] = [];
    for (let i = 0; i < inputs.length; i++)
      zk.push(
        await openRequest(p, requester, {
          modelId: iris,
          mode: Mode.ZK,
          inputCommitment: commitments[i]!,
          operator: op.wallet.address,
        }),
      );
    // A public ZK request cannot be proved (its inputHash is keccak256(input), not a Poseidon commitment):
    // the coordinator refuses it at request time, so no fee is locked and no operator can be slashed.
    // (A static call: a failed send would leave a gap in the nonce manager's count.)
    const publicZk = requestParams({ modelId: iris, mode: Mode.ZK, input: irisInput(3), operator: op.wallet.address });
    const refused = await (p.coordinator.connect(requester) as Contract)
      .getFunction("requestInference")
      .staticCall(publicZk)
      .then(
        () => undefined,
        (e: { data?: string }) => e.data,
      );
    expect(refused && p.coordinator.interface.parseError(refused)?.name).to.equal("CoordinatorZkInputUnprovable");
    // A TEE request served by the same worker alongside.
    const tee = await openRequest(p, requester, { modelId: iris, input: irisInput(4) });

    await waitFor("ZK jobs awaiting their inputs", async () =>
      zk.every((o) => worker.store.get(key(o.requestId))?.state === "awaiting-input"),
    );
    // Wrong salt, and a value outside the circuit's input range: refused before anything is stored.
    const wrong = await postRaw(
      `${base}/intake/${key(zk[0]!.requestId)}`,
      JSON.stringify({ input: inputs[0], salt: newSalt() }),
    );
    expect(wrong.status).to.equal(422);
    expect(wrong.body).to.deep.equal({
      error: `input and salt do not open the request's commitment ${commitments[0]} (ZK: the root of the per-field Poseidon Merkle tree, field i salted with Poseidon(salt mod 2^248, i)): check the salt, and that the input is the exact model-encoded bytes the commitment was made over`,
    });
    const outOfRange = await postRaw(
      `${base}/intake/${key(zk[0]!.requestId)}`,
      JSON.stringify({ input: "0x00011170" + inputs[0]!.slice(10), salt: salts[0] }),
    );
    expect(outOfRange.status).to.equal(422);
    expect(outOfRange.body).to.deep.equal({
      error:
        "input is not a valid input of the model's circuit: iris-mlp field 0 (sepal_length) = 70000 is outside the record's range [0, 2^16): encode value × 1000 as a non-negative integer below 65536 (the model's int32 big-endian fixed-point fields, each in the circuit's range)",
    });

    for (let i = 0; i < zk.length; i++) await sendPrivateInput(base, zk[i]!.requestId, inputs[i]!, salts[i]!);
    await waitFor(
      "ZK and TEE requests confirmed",
      async () => [...zk, tee].every((o) => worker.store.get(key(o.requestId))?.state === "confirmed"),
      90_000,
    );

    const { fulfilled } = await fulfilmentCounts(p);
    const groth16 = await p.zk!.generated["iris-mlp"]!.getAddress();
    const zkTxs = new Set<string>();
    for (let i = 0; i < zk.length; i++) {
      const o = zk[i]!;
      expect(o.request.mode).to.equal(2n);
      expect(o.request.inputHash).to.equal(commitments[i]);
      // The generator's bigint reference of the circuit's arithmetic.
      const outputClass = fixedForward(IRIS_FIXED, recordFromBytes(IRIS_SPEC, inputs[i]!)).outputClass;
      const job = worker.store.get(key(o.requestId))!;
      expect(job.output).to.equal(classOutput(outputClass));
      expect(getBytes(job.proof!).length).to.equal(9 * 32); // abi.encode(a, b, c, class)
      expect(job.inputHex).to.equal("0x");
      expect(fulfilled.get(o.requestId)).to.deep.equal({
        count: 1,
        operator: op.wallet.address,
        outputHash: keccak256(classOutput(outputClass)),
      });
      // The ZK verifier's record: the Groth16 verifier that accepted the proof.
      const receipt = (await node.provider.getTransactionReceipt(job.txHash!))!;
      const event = receipt.logs
        .map((l) => p.coordinator.interface.parseLog(l))
        .find((e) => e?.name === "InferenceFulfilled" && e.args.requestId === o.requestId)!;
      expect(event.args.verifierRecord).to.equal(zeroPadValue(groth16, 32).toLowerCase());
      zkTxs.add(job.txHash!);
    }
    // ZK results go in transactions of their own (gas per result differs ~12×).
    expect(zkTxs.has(worker.store.get(key(tee.requestId))!.txHash!)).to.equal(false);
    expect(fulfilled.get(tee.requestId)!.operator).to.equal(op.wallet.address);
    const earned = [...zk, tee].reduce((a, o) => a + operatorShare(o.request), 0n);
    expect(await p.coordinator.getFunction("balanceOf")(op.wallet.address)).to.equal(earned);

    // Never on-chain: the 16 input bytes, the salt, or the salt as the circuit's field element.
    const needles = [...inputs, ...salts, ...salts.map((s) => zeroPadValue(toBeHex(zkSalt(s)), 32))];
    expect(await scanChain(node, needles)).to.deep.equal([]);

    const proving = (await worker.metrics.registry.getMetricsAsJSON()).find(
      (m) => m.name === "verity_zk_proving_seconds",
    ) as unknown as { values: { metricName: string; value: number }[] };
    const count = proving.values.find((v) => v.metricName === "verity_zk_proving_seconds_count")!.value;
    const sum = proving.values.find((v) => v.metricName === "verity_zk_proving_seconds_sum")!.value;
    expect(count).to.equal(zk.length);
    console.log(
      `      ZK proving in the worker: ${zk.length} proofs, mean ${Math.round((sum / count) * 1000)} ms (the first also compiles the witness calculator)`,
    );

    const health = worker.health();
    expect(health.ok).to.equal(true);
    expect(health.zk).to.deep.equal([
      {
        circuit: "breast-cancer-mlp",
        weightsHash: p.models["breast-cancer-mlp"]!.weightsHash.toLowerCase(),
        pending: 0,
      },
      { circuit: "iris-mlp", weightsHash: p.models.iris!.weightsHash.toLowerCase(), pending: 0 },
    ]);
  });

  it("serves the diagnosis model from its circuit descriptor: private ZK records committed on the field tree, proved, fulfilled; the same records under TEE give the same diagnoses", async function () {
    const diagnosis = p.models["breast-cancer-mlp"]!;
    const spec = circuitDescriptors().find((d) => d.model.name === "breast-cancer-mlp")!;
    const data = loadDataset(ROOT);
    // A malignant and a benign patient (dataset rows 0 and 19): the record as the model's input bytes.
    const rows = [0, 19];
    const inputs = rows.map((r) => hexlify(encodeInput("int32be-fixed-x10", encodeFields(data.rows[r]!))));
    const salts = inputs.map(() => newSalt());
    const commitments = await Promise.all(inputs.map((x, i) => commitmentFor(Mode.ZK, x, salts[i]!, spec)));
    // The commitment is the root of the per-field tree, field i salted with Poseidon(master salt, i).
    const values = encodeFields(data.rows[0]!).map(BigInt);
    const fieldSalts = deriveFieldSalts(zkSalt(salts[0]!), 10);
    expect(commitments[0]).to.equal(zeroPadValue(toBeHex(fieldTree(values, fieldSalts).root), 32));

    const zk: Opened[] = [];
    for (let i = 0; i < inputs.length; i++)
      zk.push(
        await openRequest(p, requester, {
          modelId: diagnosis.modelId,
          mode: Mode.ZK,
          inputCommitment: commitments[i]!,
          operator: op.wallet.address,
        }),
      );
    const tee: Opened[] = [];
    for (let i = 0; i < inputs.length; i++)
      tee.push(
        await openRequest(p, requester, {
          modelId: diagnosis.modelId,
          // A TEE request for a model with a field record commits the same field-tree root.
          inputCommitment: await commitmentFor(Mode.TEE, inputs[i]!, salts[i]!, spec),
        }),
      );
    expect(tee.map((o) => o.request.inputHash)).to.deep.equal(commitments);
    await waitFor("diagnosis jobs awaiting their inputs", async () =>
      [...zk, ...tee].every((o) => worker.store.get(key(o.requestId))?.state === "awaiting-input"),
    );
    // The iris formula is not what a generated circuit's commitment is: a wrong salt names the field tree.
    const wrong = await postRaw(
      `${base}/intake/${key(zk[0]!.requestId)}`,
      JSON.stringify({ input: inputs[0], salt: newSalt() }),
    );
    expect(wrong.status).to.equal(422);
    expect(wrong.body).to.deep.equal({
      error: `input and salt do not open the request's commitment ${commitments[0]} (ZK: the root of the per-field Poseidon Merkle tree, field i salted with Poseidon(salt mod 2^248, i)): check the salt, and that the input is the exact model-encoded bytes the commitment was made over`,
    });
    // A field outside its circuit range (worst_radius has 17 bits) is refused with the field named.
    const big = getBytes(inputs[0]!);
    new DataView(big.buffer).setInt32(0, 2 ** 17, false);
    const outOfRange = await postRaw(
      `${base}/intake/${key(zk[0]!.requestId)}`,
      JSON.stringify({ input: hexlify(big), salt: salts[0] }),
    );
    expect(outOfRange.status).to.equal(422);
    expect(outOfRange.body).to.deep.equal({
      error:
        "input is not a valid input of the model's circuit: breast-cancer-mlp field 0 (worst_radius) = 131072 is outside the record's range [0, 2^17): encode value × 1000 as a non-negative integer below 131072 (the model's int32 big-endian fixed-point fields, each in the circuit's range)",
    });

    for (let i = 0; i < inputs.length; i++) {
      await sendPrivateInput(base, zk[i]!.requestId, inputs[i]!, salts[i]!);
      await sendPrivateInput(base, tee[i]!.requestId, inputs[i]!, salts[i]!);
    }
    await waitFor(
      "diagnosis requests confirmed",
      async () => [...zk, ...tee].every((o) => worker.store.get(key(o.requestId))?.state === "confirmed"),
      90_000,
    );
    const { fulfilled } = await fulfilmentCounts(p);
    const groth16 = await p.zk!.generated["breast-cancer-mlp"]!.getAddress();
    for (let i = 0; i < zk.length; i++) {
      const expected = classOutput(data.classes[rows[i]!]!); // the dataset's diagnosis: 0 malignant, 1 benign
      const job = worker.store.get(key(zk[i]!.requestId))!;
      expect(job.output).to.equal(expected);
      expect(worker.store.get(key(tee[i]!.requestId))!.output).to.equal(expected);
      expect(fulfilled.get(zk[i]!.requestId)).to.deep.equal({
        count: 1,
        operator: op.wallet.address,
        outputHash: keccak256(expected),
      });
      const receipt = (await node.provider.getTransactionReceipt(job.txHash!))!;
      const event = receipt.logs
        .map((l) => p.coordinator.interface.parseLog(l))
        .find((e) => e?.name === "InferenceFulfilled" && e.args.requestId === zk[i]!.requestId)!;
      expect(event.args.verifierRecord).to.equal(zeroPadValue(groth16, 32).toLowerCase());
      console.log(`      fulfillZk (diagnosis) in the worker's transaction: ${receipt.gasUsed} gas`);
      expect(receipt.gasUsed).to.be.at.most(260_000n);
    }
    expect(data.classes[rows[0]!]).to.equal(0);
    expect(data.classes[rows[1]!]).to.equal(1);
    const needles = [...inputs, ...salts, ...salts.map((s) => zeroPadValue(toBeHex(zkSalt(s)), 32))];
    expect(await scanChain(node, needles)).to.deep.equal([]);
  });
});
