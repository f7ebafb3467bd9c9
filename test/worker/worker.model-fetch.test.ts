/**
 * A node whose models folder is empty fetches the models policy.models names from the uri their
 * registry version publishes (a host on 127.0.0.1), serves the good one and refuses the tampered
 * one: log line, verity_model_fetches_total, and the jobs' reason.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";

import { expect } from "chai";
import { hexlify, randomBytes } from "ethers";
import { pino } from "pino";

import { Worker } from "../../worker/worker.ts";
import { fetchedDirName } from "../../worker/models/index.ts";
import {
  MODELS_DIR,
  deployProtocol,
  fundRequester,
  openRequests,
  registerModel,
  startNode,
  type LocalNode,
  type Protocol,
} from "../helpers/node.ts";
import { irisInput, newOperator, tmp, waitFor, workerConfig } from "./helpers.ts";

describe("worker: models fetched by their registry uri", function () {
  this.timeout(120_000);
  let node: LocalNode;
  let p: Protocol;
  let server: Server;
  let base: string;

  before(async function () {
    node = await startNode();
    p = await deployProtocol(node);
    await node.rpc("evm_setIntervalMining", [500]);
    const files: Record<string, Buffer> = {};
    for (const name of ["iris", "breast-cancer-mlp"]) {
      files[`/${name}/manifest.json`] = await readFile(join(MODELS_DIR, name, "manifest.json"));
      files[`/${name}/model.onnx`] = await readFile(join(MODELS_DIR, name, "model.onnx"));
    }
    files["/breast-cancer-mlp/model.onnx"]![100] ^= 0x01; // tampered: not the published bytes
    server = createServer((req, res) => {
      const body = files[req.url ?? ""];
      if (body === undefined) res.writeHead(404).end();
      else res.writeHead(200, { "content-length": String(body.length) }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async function () {
    await new Promise<void>((r) => server?.close(() => r()));
    await node?.stop();
  });

  it("serves the fetched model, refuses the tampered one with a log line, a metric and the jobs' reason", async function () {
    const iris = p.models.iris!;
    const m = JSON.parse(await readFile(join(MODELS_DIR, "breast-cancer-mlp", "manifest.json"), "utf8"));
    const bc = { weightsHash: m.weightsHash as string, encoding: `${m.input.encoding}/${m.output.encoding}` };
    // Versions whose uri is the local host (the bundled registrations carry a verity:// uri).
    const irisHosted = await registerModel(p, "iris-hosted", iris.weightsHash, iris.encoding, {
      uri: `${base}/iris/model.onnx`,
    });
    const bcHosted = await registerModel(p, "bc-hosted", bc.weightsHash, bc.encoding, {
      uri: `${base}/breast-cancer-mlp/model.onnx`,
    });
    const requester = await fundRequester(p, node.account(7));
    const [good, refused] = await openRequests(p, requester, [
      { modelId: irisHosted.modelId, input: irisInput(1) },
      { modelId: bcHosted.modelId, input: hexlify(randomBytes(40)) },
    ]);

    const models = await tmp("fetched-models");
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: "info" }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const op = await newOperator(p);
    const config = await workerConfig(p, op, {
      modelsDir: models,
      policy: { graceSec: 0, models: [iris.weightsHash, bc.weightsHash] },
      // The registry's VersionPublished events are found across many small eth_getLogs windows, as a
      // public RPC with a block-range limit requires.
      blockRange: 3,
    });
    const worker = new Worker(config, { logger });
    await worker.start();
    const key = (id: bigint) => "0x" + id.toString(16).padStart(64, "0");
    try {
      await waitFor("fetched model served", async () => worker.store.get(key(good!.requestId))?.state === "confirmed");
      await waitFor(
        "tampered model's job failed",
        async () => worker.store.get(key(refused!.requestId))?.state === "failed",
      );
      const job = worker.store.get(key(refused!.requestId))!;
      expect(job.reason).to.equal("model-hash-mismatch");
      expect(job.error).to.match(
        new RegExp(
          `^model-hash-mismatch: refusing model file ${base}/breast-cancer-mlp/model.onnx: its keccak256 is 0x[0-9a-f]{64}, the registry pins ${bc.weightsHash}`,
        ),
      );
      const fetches = await worker.metrics.registry.getSingleMetricAsString("verity_model_fetches_total");
      expect(fetches).to.include('verity_model_fetches_total{outcome="fetched"} 1');
      expect(fetches).to.include('verity_model_fetches_total{outcome="hash-mismatch"} 1');
      const logged = lines.find((l) => l.reason === "hash-mismatch");
      expect(logged).to.deep.include({
        level: 50,
        weightsHash: bc.weightsHash,
        uri: `${base}/breast-cancer-mlp/model.onnx`,
      });
      // Only the verified model was written; the refused bytes never reached the models folder.
      expect(await readdir(models)).to.deep.equal([fetchedDirName(iris.weightsHash)]);
    } finally {
      await worker.stop();
    }
  });
});
