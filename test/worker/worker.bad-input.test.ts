import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { expect } from "chai";
import { hexlify, keccak256, randomBytes } from "ethers";

import { Worker } from "../../worker/worker.ts";
import {
  MODELS_DIR,
  deployProtocol,
  fulfilmentCounts,
  fundRequester,
  openRequests,
  registerModel,
  startNode,
  type LocalNode,
  type Protocol,
} from "../helpers/node.ts";
import { audioInput, irisInput, newOperator, quiet, tmp, waitFor, workerConfig } from "./helpers.ts";

describe("worker: bad requests", function () {
  this.timeout(120_000);
  let node: LocalNode;
  let p: Protocol;

  before(async function () {
    node = await startNode();
    p = await deployProtocol(node);
    await node.rpc("evm_setIntervalMining", [500]);
  });

  after(async function () {
    await node?.stop();
  });

  it("fails wrong-length input, unknown model, tampered model file and expired requests with a reason, and keeps serving", async function () {
    const requester = await fundRequester(p, node.account(7));
    // Models dir: silero intact, iris with a tampered file (manifest still claims the real hash).
    const models = await tmp("models");
    await mkdir(join(models, "silero-vad"));
    await mkdir(join(models, "iris"));
    for (const f of ["manifest.json", "model.onnx", "LICENSE"])
      await copyFile(join(MODELS_DIR, "silero-vad", f), join(models, "silero-vad", f));
    await copyFile(join(MODELS_DIR, "iris", "manifest.json"), join(models, "iris", "manifest.json"));
    const onnx = await readFile(join(MODELS_DIR, "iris", "model.onnx"));
    onnx[onnx.length - 1] ^= 0x01;
    await writeFile(join(models, "iris", "model.onnx"), onnx);
    const ghost = await registerModel(p, "ghost", keccak256(randomBytes(32)));

    const silero = p.models["silero-vad"]!.modelId;
    // Expired: opened with the minimum timeout, then the chain moves past its deadline.
    const [expired] = await openRequests(p, requester, [{ modelId: silero, input: audioInput(1), timeout: 60 }]);
    await node.rpc("evm_increaseTime", [120]);
    await node.rpc("evm_mine", []);
    const [wrongLength, unknown, tampered, good] = await openRequests(p, requester, [
      { modelId: silero, input: hexlify(randomBytes(1000)) },
      { modelId: ghost.modelId, input: irisInput(1) },
      { modelId: p.models.iris!.modelId, input: irisInput(2) },
      { modelId: silero, input: audioInput(2) },
    ]);

    const op = await newOperator(p);
    const worker = new Worker(await workerConfig(p, op, { modelsDir: models }), { logger: quiet });
    await worker.start();
    const key = (id: bigint) => "0x" + id.toString(16).padStart(64, "0");
    try {
      await waitFor(
        "good request confirmed",
        async () => worker.store.get(key(good!.requestId))?.state === "confirmed",
      );
      const job = (o: typeof good) => worker.store.get(key(o!.requestId))!;
      expect(job(expired).state).to.equal("expired");
      expect(job(expired).error).to.match(/^expired: deadline \d+ passed/);
      expect(job(wrongLength).state).to.equal("failed");
      expect(job(wrongLength).error).to.equal(
        'bad-input: input for "pcm-s16be-x512" must be exactly 1024 bytes (512 × int16 big-endian PCM samples at 16 kHz), got 1000',
      );
      expect(job(unknown).state).to.equal("failed");
      expect(job(unknown).error).to.equal(
        `unknown-model: no model with weightsHash ${ghost.weightsHash} in the models directory`,
      );
      expect(job(tampered).state).to.equal("failed");
      expect(job(tampered).error).to.match(
        /^model-hash-mismatch: refusing model file .*model\.onnx: keccak256 is 0x[0-9a-f]{64}, expected 0x06e5fcfe/,
      );
      const metrics = await worker.metrics.registry.getSingleMetricAsString("verity_requests_failed_total");
      expect(metrics).to.include('verity_requests_failed_total{reason="bad-input"} 1');
      expect(metrics).to.include('verity_requests_failed_total{reason="unknown-model"} 1');
      expect(metrics).to.include('verity_requests_failed_total{reason="model-hash-mismatch"} 1');
      expect(worker.health().ok).to.equal(true);
      // Still live: a request opened now is served.
      const [later] = await openRequests(p, requester, [{ modelId: silero, input: audioInput(3) }]);
      await waitFor(
        "later request confirmed",
        async () => worker.store.get(key(later!.requestId))?.state === "confirmed",
      );
      // The failed ones are final: nothing was sent for them.
      const { fulfilled } = await fulfilmentCounts(p);
      for (const o of [expired, wrongLength, unknown, tampered]) expect(fulfilled.has(o!.requestId)).to.equal(false);
      expect(worker.store.get(key(wrongLength!.requestId))!.state).to.equal("failed");
    } finally {
      await worker.stop();
    }
  });
});
