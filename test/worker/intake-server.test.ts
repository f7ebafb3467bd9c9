/**
 * The intake on its own port: CORS for browser dApps (preflight and simple requests), the body
 * limit, GET /jobs/<requestId> with the store's reasons, and the metrics port pointing at the move.
 */
import { expect } from "chai";
import { hexlify, randomBytes } from "ethers";

import { Mode, commitmentFor, newSalt, sendPrivateInput } from "@verity-ai/sdk";
import { ConfigError, parseConfig } from "../../worker/config.ts";
import { Worker } from "../../worker/worker.ts";
import {
  deployProtocol,
  freePort,
  fundRequester,
  manifestRecord,
  openRequest,
  openRequests,
  startNode,
  type LocalNode,
  type Protocol,
} from "../helpers/node.ts";
import { audioInput, irisInput, newOperator, quiet, waitFor, workerConfig } from "./helpers.ts";

const key = (id: bigint) => "0x" + id.toString(16).padStart(64, "0");
const APP = "https://app.example.org";

describe("worker: the intake server (own port, CORS, body limit, job status)", function () {
  this.timeout(120_000);
  let node: LocalNode;
  let p: Protocol;
  let worker: Worker;
  let base: string;
  let metricsBase: string;
  let requester: Awaited<ReturnType<typeof fundRequester>>;

  before(async function () {
    node = await startNode();
    p = await deployProtocol(node);
    requester = await fundRequester(p, node.account(5));
    await node.rpc("evm_setIntervalMining", [500]);
    const op = await newOperator(p);
    const silero = p.models["silero-vad"]!.weightsHash;
    const config = await workerConfig(p, op, {
      httpPort: await freePort(),
      intake: { port: 0, allowedOrigins: [APP] },
      policy: { graceSec: 0, minFeePerModel: { [silero]: "1000000000000000000000000" } },
    });
    worker = new Worker(config, { logger: quiet });
    await worker.start();
    base = worker.intakeUrl()!;
    metricsBase = `http://127.0.0.1:${worker.server!.port}`;
  });

  after(async function () {
    await worker?.stop();
    await node?.stop();
  });

  it("listens apart from the metrics port, which answers /intake with where it moved", async function () {
    expect(worker.intakeServer!.port).to.not.equal(worker.server!.port);
    const res = await fetch(`${metricsBase}/intake/${key(1n)}`, { method: "POST", body: "{}" });
    expect(res.status).to.equal(404);
    expect(await res.json()).to.deep.equal({
      error: `the private-input intake moved off the metrics port: POST to ${base}/intake/<requestId> (intake.port)`,
    });
    expect((await fetch(`${base}/metrics`)).status).to.equal(404); // metrics are not on the public port
    // Healthy once the node's first pass is done (a loaded machine may still be in it).
    await waitFor("a healthy node", async () => (await fetch(`${base}/healthz`)).status === 200);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).to.equal(200);
    expect(Object.keys((await health.json()) as object).sort()).to.deep.equal(["ok", "operator"]);
  });

  it("answers a browser's preflight for an allowed origin, refuses it for another, and marks responses for the allowed origin only", async function () {
    const url = `${base}/intake/${key(1n)}`;
    const preflight = (origin: string) =>
      fetch(url, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
      });
    const ok = await preflight(APP);
    expect(ok.status).to.equal(204);
    expect(ok.headers.get("access-control-allow-origin")).to.equal(APP);
    expect(ok.headers.get("access-control-allow-methods")).to.equal("GET, POST, OPTIONS");
    expect(ok.headers.get("access-control-allow-headers")).to.equal("content-type");
    expect(ok.headers.get("vary")).to.equal("origin");
    const other = await preflight("https://evil.example.com");
    expect(other.status).to.equal(403);
    expect(other.headers.get("access-control-allow-origin")).to.equal(null);
    expect(await other.json()).to.deep.equal({
      error:
        "origin https://evil.example.com may not call this intake: the operator must add it to intake.allowedOrigins",
    });
    const get = (origin: string) => fetch(`${base}/jobs/${key(1n)}`, { headers: { origin } });
    expect((await get(APP)).headers.get("access-control-allow-origin")).to.equal(APP);
    expect((await get("https://evil.example.com")).headers.get("access-control-allow-origin")).to.equal(null);
  });

  it("refuses a body over the limit with 413 and a JSON sentence (CORS headers kept so the browser can read it)", async function () {
    const limit = 2 * 4096 + 1024;
    const res = await fetch(`${base}/intake/${key(1n)}`, {
      method: "POST",
      headers: { origin: APP, "content-type": "application/json" },
      body: JSON.stringify({ input: "0x" + "ab".repeat(limit), salt: newSalt() }),
    });
    expect(res.status).to.equal(413);
    expect(res.headers.get("access-control-allow-origin")).to.equal(APP);
    expect(await res.json()).to.deep.equal({
      error: `body is larger than ${limit} bytes: the private input may be at most policy.maxInputBytes = 4096 bytes (hex in JSON)`,
    });
  });

  it("GET /jobs/<requestId>: 404 and 400 with sentences, progress while waiting, and why a job stopped", async function () {
    const unknown = key(12345n);
    const r404 = await fetch(`${base}/jobs/${unknown}`);
    expect(r404.status).to.equal(404);
    expect(await r404.json()).to.deep.equal({
      error: `this operator has no job for request ${unknown}: it has not seen the request yet (retry once the request transaction is mined and a few seconds have passed), or the id is wrong`,
    });
    const r400 = await fetch(`${base}/jobs/42`);
    expect(r400.status).to.equal(400);
    expect(((await r400.json()) as { error: string }).error).to.match(/^the request id in the path must be 0x/);

    const input = irisInput(3);
    const salt = newSalt();
    const priv = await openRequest(p, requester, {
      modelId: p.models.iris!.modelId,
      // Iris's manifest declares a field record: a private TEE request commits its field-tree root.
      inputCommitment: await commitmentFor(Mode.TEE, input, salt, manifestRecord("iris")),
    });
    const [badInput, cheap] = await openRequests(p, requester, [
      { modelId: p.models.iris!.modelId, input: hexlify(randomBytes(1000)) },
      { modelId: p.models["silero-vad"]!.modelId, input: audioInput(1) },
    ]);
    const status = async (id: bigint) =>
      (await (await fetch(`${base}/jobs/${key(id)}`)).json()) as Record<string, unknown>;

    await waitFor("private job waiting", async () => (await status(priv.requestId)).state === "awaiting-input");
    expect(await status(priv.requestId)).to.deep.include({
      requestId: key(priv.requestId),
      state: "awaiting-input",
      final: false,
      reason: "awaiting-input",
      message: "the operator is waiting for the private input: POST it to this intake's /intake/<requestId>",
      txHash: null,
    });
    await sendPrivateInput(base, priv.requestId, input, salt);
    await waitFor("private job confirmed", async () => (await status(priv.requestId)).state === "confirmed");
    const done = await status(priv.requestId);
    expect(done).to.deep.include({
      final: true,
      reason: null,
      detail: null,
      message: "the result is on-chain and confirmed",
    });
    expect(done.txHash).to.match(/^0x[0-9a-f]{64}$/);

    await waitFor("bad input failed", async () => (await status(badInput!.requestId)).state === "failed");
    expect(await status(badInput!.requestId)).to.deep.include({
      final: true,
      reason: "bad-input",
      message:
        "failed: the input does not fit the model's input encoding; refund the request and send one encoded as the model's manifest says",
    });
    expect((await status(badInput!.requestId)).detail).to.match(/must be exactly 16 bytes.*got 1000$/);

    await waitFor("cheap request skipped", async () => (await status(cheap!.requestId)).state === "skipped");
    const skipped = await status(cheap!.requestId);
    expect(skipped).to.deep.include({
      final: true,
      reason: "fee-below-minimum",
      message:
        "skipped: the fee is below this operator's minimum for the model; send a request with a higher fee, or choose another operator",
    });
    expect(skipped.detail).to.equal(`fee ${cheap!.request.fee} < minimum 1000000000000000000000000`);
  });

  it("refuses intake.port equal to httpPort, and takes VERITY_INTAKE_PORT", async function () {
    const base = {
      rpcUrl: "http://127.0.0.1:8545",
      deployment: { coordinator: "0x" + "11".repeat(20), tee: "0x" + "22".repeat(20) },
      operatorKey: "0x" + "33".repeat(32),
      enclaveKey: "0x" + "44".repeat(32),
      measurement: "0x" + "55".repeat(32),
      modelsDir: "models",
      dbPath: ":memory:",
    };
    expect(() => parseConfig({ ...base, httpPort: 9000, intake: { port: 9000 } }))
      .to.throw(ConfigError)
      .with.property("issues")
      .that.deep.equals([
        "intake.port: 9000 is also httpPort (fix: give the intake its own port, e.g. 9480; /metrics stays on httpPort)",
      ]);
    expect(parseConfig(base, { VERITY_INTAKE_PORT: "9555" }).intake.port).to.equal(9555);
    expect(parseConfig(base).intake).to.deep.equal({
      enabled: true,
      port: 9480,
      host: "127.0.0.1",
      allowedOrigins: [],
      retainSec: 3600,
    });
    expect(() => parseConfig({ ...base, intake: { allowedOrigins: ["app.example.org"] } })).to.throw(
      ConfigError,
      /intake.allowedOrigins.0: must be "\*" or an origin such as "https:\/\/app.example.org"/,
    );
  });
});
