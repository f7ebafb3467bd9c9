import { expect } from "chai";
import { getBytes, hexlify, keccak256, randomBytes, zeroPadValue, type Contract } from "ethers";

import {
  Mode,
  claimFor,
  commitmentFor,
  IntakeError,
  newSalt,
  recoverResultSigner,
  resultDomain,
  sendPrivateInput,
  operatorShare,
} from "@verity-ai/sdk";
import { Executor, ModelStore } from "../../worker/models/index.ts";
import { Worker } from "../../worker/worker.ts";
import {
  MODELS_DIR,
  deployProtocol,
  fulfilmentCounts,
  fundRequester,
  manifestRecord,
  openRequest,
  postRaw,
  scanChain,
  startNode,
  type LocalNode,
  type Protocol,
} from "../helpers/node.ts";
import { irisInput, newOperator, quiet, waitFor, workerConfig, type Operator } from "./helpers.ts";

/** Iris's manifest declares a field record: its private TEE requests commit the field-tree root. */
const IRIS_RECORD = manifestRecord("iris")!;
const irisCommit = (input: string, salt: string) => commitmentFor(Mode.TEE, input, salt, IRIS_RECORD);

const key = (id: bigint) => "0x" + id.toString(16).padStart(64, "0");

describe("worker: private inputs (TEE) and the intake endpoint", function () {
  this.timeout(120_000);
  let node: LocalNode;
  let p: Protocol;
  let requester: Awaited<ReturnType<typeof fundRequester>>;
  let op: Operator;
  let worker: Worker;
  let base: string;
  let coordinator: string;
  let executor: Executor;

  const intake = (id: bigint | string) => `${base}/intake/${typeof id === "bigint" ? key(id) : id}`;
  const healthy = async () => {
    const res = await fetch(`${base}/healthz`);
    const body = (await res.json()) as { ok: boolean };
    return res.status === 200 && body.ok;
  };

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
  });

  after(async function () {
    await worker?.stop();
    await executor?.close();
    await node?.stop();
  });

  it("serves a private TEE request: it waits for its input, the result is signed over the commitment and TeeVerifier accepts it; the input and salt never reach the chain", async function () {
    const input = irisInput(4);
    const salt = newSalt();
    const commitment = await irisCommit(input, salt);
    const o = await openRequest(p, requester, { modelId: p.models.iris!.modelId, inputCommitment: commitment });
    expect(o.input).to.equal("0x");
    expect(o.request.inputHash).to.equal(commitment);
    const id = key(o.requestId);

    await waitFor("job awaiting its input", async () => worker.store.get(id)?.state === "awaiting-input");
    expect(worker.store.get(id)!.error).to.equal(
      `awaiting-input: private input not received yet: the requester POSTs {input, salt} to /intake/${id} (deadline ${o.request.deadline})`,
    );
    expect(await healthy()).to.equal(true);

    await sendPrivateInput(base, o.requestId, input, salt);
    await waitFor("private request confirmed", async () => worker.store.get(id)?.state === "confirmed");

    const job = worker.store.get(id)!;
    const expected = (await executor.run(o.request.weightsHash, getBytes(input))).output;
    expect(job.output).to.equal(hexlify(expected));
    expect(job.inputHex).to.equal("0x"); // the input is kept in private_inputs only
    expect(job.earnings).to.equal(operatorShare(o.request).toString());
    // The enclave signed the claim with the commitment as inputHash.
    const claim = claimFor(o.requestId, o.request, expected, op.wallet.address);
    expect(claim.inputHash).to.equal(commitment);
    expect(recoverResultSigner(resultDomain(31337n, coordinator), claim, job.proof!)).to.equal(op.enclave.address);

    // On-chain: fulfilled once by this operator; TeeVerifier's record is the enclave key.
    const { fulfilled } = await fulfilmentCounts(p);
    expect(fulfilled.get(o.requestId)).to.deep.equal({
      count: 1,
      operator: op.wallet.address,
      outputHash: keccak256(expected),
    });
    const receipt = (await node.provider.getTransactionReceipt(job.txHash!))!;
    const event = receipt.logs
      .map((l) => p.coordinator.interface.parseLog(l))
      .find((e) => e?.name === "InferenceFulfilled" && e.args.requestId === o.requestId)!;
    expect(event.args.operator).to.equal(op.wallet.address);
    expect(event.args.verifierRecord).to.equal(zeroPadValue(op.enclave.address, 32).toLowerCase());
    expect(await p.coordinator.getFunction("requestStatus")(o.requestId)).to.equal(2n);
    expect(await p.coordinator.getFunction("balanceOf")(op.wallet.address)).to.equal(operatorShare(o.request));

    expect(await scanChain(node, [input, salt])).to.deep.equal([]);
    const metric = await worker.metrics.registry.getSingleMetricAsString("verity_private_inputs_total");
    expect(metric).to.include('verity_private_inputs_total{status="202"} 1');

    // Settled: a second post is refused.
    const again = await postRaw(intake(o.requestId), JSON.stringify({ input, salt }));
    expect(again.status).to.equal(409);
    expect(again.body).to.deep.equal({
      error: `request ${id} is already settled by this worker (confirmed): the input is no longer needed`,
    });
    expect(await healthy()).to.equal(true);
  });

  it("refuses bad posts with exact statuses and messages, and stays healthy", async function () {
    const salt = newSalt();
    const input = irisInput(5);
    const priv = await openRequest(p, requester, {
      modelId: p.models.iris!.modelId,
      inputCommitment: await irisCommit(input, salt),
    });
    const pub = await openRequest(p, requester, { modelId: p.models.iris!.modelId, input: irisInput(6) });
    const body = JSON.stringify({ input, salt });

    // Unknown request (not in the store, no event on-chain).
    const unknownId = hexlify(randomBytes(32));
    const unknown = await postRaw(intake(unknownId), body);
    expect(unknown.status).to.equal(404);
    expect(unknown.body).to.deep.equal({
      error: `unknown request ${unknownId}: no InferenceRequested event for it on coordinator ${coordinator}; check the id, or retry once the request transaction is mined`,
    });

    // Public request: nothing to receive.
    const publicReq = await postRaw(intake(pub.requestId), JSON.stringify({ input: irisInput(6), salt }));
    expect(publicReq.status).to.equal(409);
    expect(publicReq.body).to.deep.equal({
      error: `request ${key(pub.requestId)} has a public input on-chain: only private-input requests (empty input, inputCommitment set) take an input here`,
    });

    // Wrong salt: does not open the commitment.
    const wrongSalt = await postRaw(intake(priv.requestId), JSON.stringify({ input, salt: newSalt() }));
    expect(wrongSalt.status).to.equal(422);
    expect(wrongSalt.body).to.deep.equal({
      error: `input and salt do not open the request's commitment ${priv.request.inputHash} (TEE, a model with input.fields: the root of the per-field Poseidon Merkle tree, field i salted with Poseidon(salt mod 2^248, i)): check the salt, and that the input is the exact model-encoded bytes the commitment was made over`,
    });
    // Another input with the right salt: same answer.
    const wrongInput = await postRaw(intake(priv.requestId), JSON.stringify({ input: irisInput(7), salt }));
    expect(wrongInput.status).to.equal(422);

    // Too large: more than 2 × policy.maxInputBytes (4096) + 1024 bytes of body.
    const big = await postRaw(intake(priv.requestId), JSON.stringify({ input: "0x" + "ab".repeat(5000), salt }));
    expect(big.status).to.equal(413);
    expect(big.body).to.deep.equal({
      error:
        "body is larger than 9216 bytes: the private input may be at most policy.maxInputBytes = 4096 bytes (hex in JSON)",
    });
    // Fits the body limit but not policy.maxInputBytes.
    const over = await postRaw(intake(priv.requestId), JSON.stringify({ input: "0x" + "ab".repeat(4097), salt }));
    expect(over.status).to.equal(413);
    expect(over.body).to.deep.equal({
      error: "input is 4097 bytes; this worker takes at most policy.maxInputBytes = 4096 bytes",
    });

    // Malformed JSON, then well-formed JSON with bad fields.
    const malformed = await postRaw(intake(priv.requestId), `{"input": "${input}", "salt": `);
    expect(malformed.status).to.equal(400);
    expect(malformed.body).to.deep.equal({
      error:
        'body is not valid JSON: send {"input": "0x<hex bytes>", "salt": "0x<64 hex digits>"} with content-type application/json',
    });
    const badSalt = await postRaw(intake(priv.requestId), JSON.stringify({ input, salt: "0x1234" }));
    expect(badSalt.status).to.equal(400);
    expect(badSalt.body).to.deep.equal({
      error: '"salt" must be 0x followed by 64 hex digits: the 32-byte salt of the commitment',
    });
    const noInput = await postRaw(intake(priv.requestId), JSON.stringify({ salt }));
    expect(noInput.status).to.equal(400);
    expect(noInput.body).to.deep.equal({
      error: '"input" must be 0x-prefixed hex bytes, not empty: the model-encoded input the commitment was made over',
    });
    const badId = await postRaw(`${base}/intake/42`, body);
    expect(badId.status).to.equal(400);
    expect(badId.body).to.deep.equal({
      error:
        "the request id in the path must be 0x followed by 64 hex digits (the requestId of InferenceRequested): POST /intake/0x<64 hex>",
    });
    const get = await fetch(intake(priv.requestId));
    expect(get.status).to.equal(405);
    expect(await get.json()).to.deep.equal({
      error: 'use POST /intake/<requestId> with a JSON body {"input": "0x…", "salt": "0x…"}, not GET',
    });

    // The SDK surfaces the refusal with its status.
    const err = await sendPrivateInput(base, priv.requestId, input, newSalt()).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(IntakeError);
    expect((err as IntakeError).status).to.equal(422);

    // Nothing refused was stored; the request still waits, and the worker is healthy.
    expect(worker.store.getPrivateInput(key(priv.requestId))).to.equal(undefined);
    await waitFor(
      "job awaiting its input",
      async () => worker.store.get(key(priv.requestId))?.state === "awaiting-input",
    );
    expect(await healthy()).to.equal(true);
    const metric = await worker.metrics.registry.getSingleMetricAsString("verity_private_inputs_total");
    for (const line of [
      'status="404"} 1',
      'status="409"} 2',
      'status="422"} 3',
      'status="413"} 2',
      'status="400"} 4',
      'status="405"} 1',
    ])
      expect(metric).to.include(`verity_private_inputs_total{${line}`);

    // The right input and salt are then accepted (202) and served.
    const ok = await postRaw(intake(priv.requestId), body);
    expect(ok.status).to.equal(202);
    expect(ok.body).to.deep.equal({ requestId: key(priv.requestId), accepted: true, mode: "TEE", bytes: 16 });
    await waitFor(
      "private request confirmed",
      async () => worker.store.get(key(priv.requestId))?.state === "confirmed",
    );
  });

  it("a private request whose input never arrives expires, and the requester's refund goes through", async function () {
    const salt = newSalt();
    const o = await openRequest(p, requester, {
      modelId: p.models.iris!.modelId,
      inputCommitment: await irisCommit(irisInput(8), salt),
      timeout: 60,
    });
    const id = key(o.requestId);
    await waitFor("job awaiting its input", async () => worker.store.get(id)?.state === "awaiting-input");
    await node.rpc("evm_increaseTime", [120]);
    await node.rpc("evm_mine", []);
    await waitFor("job expired", async () => worker.store.get(id)?.state === "expired");
    expect(worker.store.get(id)!.error).to.match(
      new RegExp(
        `^expired: deadline ${o.request.deadline} passed before the private input arrived \\(now \\d+, margin 5s\\)$`,
      ),
    );
    expect(await p.coordinator.getFunction("requestStatus")(o.requestId)).to.equal(1n);

    // Too late now: the intake says so and the refund works.
    const late = await postRaw(intake(o.requestId), JSON.stringify({ input: irisInput(8), salt }));
    expect(late.status).to.equal(409);
    expect(late.body).to.deep.equal({
      error: `request ${id} is already settled by this worker (expired): the input is no longer needed; the requester can refund it with refund(request) on the coordinator`,
    });
    const requesterAddress = await requester.getAddress();
    const coord = p.coordinator.connect(requester) as Contract;
    const before = (await coord.getFunction("balanceOf")(requesterAddress)) as bigint;
    const tx = await coord.getFunction("refund")(o.request);
    const receipt = await tx.wait();
    const refunded = receipt.logs
      .map((l: Parameters<typeof p.coordinator.interface.parseLog>[0]) => p.coordinator.interface.parseLog(l))
      .find((e: { name: string } | null) => e?.name === "RequestRefunded")!;
    expect(refunded.args.requestId).to.equal(o.requestId);
    expect(refunded.args.requester).to.equal(requesterAddress);
    expect(refunded.args.amount).to.equal(o.request.fee);
    expect(refunded.args.slashed).to.equal(0n);
    expect(await coord.getFunction("balanceOf")(requesterAddress)).to.equal(before + o.request.fee);
    expect(await p.coordinator.getFunction("requestStatus")(o.requestId)).to.equal(3n);
    // The worker saw nothing to send for it and is still healthy.
    expect(worker.store.get(id)!.txHash).to.equal(null);
    expect(await healthy()).to.equal(true);
  });
});
