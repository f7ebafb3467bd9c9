import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

import { expect } from "chai";

import {
  ROOT,
  deployProtocol,
  fulfilmentCounts,
  fundRequester,
  openRequests,
  startNode,
  type LocalNode,
  type Protocol,
} from "../helpers/node.ts";
import { MEASUREMENT, MODELS_DIR } from "../helpers/node.ts";
import { irisInput, newOperator, tmp, waitFor, type Operator } from "./helpers.ts";

describe("worker: crash and restart (child process)", function () {
  this.timeout(150_000);
  let node: LocalNode;
  let p: Protocol;

  before(async function () {
    node = await startNode();
    p = await deployProtocol(node);
    await node.rpc("evm_setIntervalMining", [300]);
  });

  after(async function () {
    await node?.stop();
  });

  async function configFile(op: Operator): Promise<string> {
    const dir = await tmp("crash");
    const file = join(dir, "worker.json");
    await writeFile(
      file,
      JSON.stringify({
        rpcUrl: p.node.url,
        deployment: { coordinator: await p.coordinator.getAddress(), tee: await p.tee.getAddress() },
        measurement: MEASUREMENT,
        modelsDir: MODELS_DIR,
        confirmations: 2,
        pollIntervalMs: 50,
        batchSize: 2,
        concurrency: 1,
        dbPath: "jobs.sqlite",
        httpPort: 0,
        intake: { port: 0 }, // a free port: tests run nodes side by side
        logLevel: "warn",
      }),
    );
    return file;
  }

  function run(file: string, op: Operator): ChildProcess {
    return spawn(process.execPath, [join(ROOT, "worker", "main.ts"), "--config", file], {
      cwd: ROOT,
      env: { ...process.env, VERITY_OPERATOR_KEY: op.wallet.privateKey, VERITY_ENCLAVE_KEY: op.enclave.privateKey },
      stdio: ["ignore", "ignore", "pipe"],
    });
  }

  const exited = (c: ChildProcess) =>
    new Promise<number | null>((r) => (c.exitCode !== null ? r(c.exitCode) : c.once("exit", (code) => r(code))));

  it("SIGKILL mid-stream, restart: every request fulfilled exactly once, none skipped; SIGTERM exits cleanly", async function () {
    const requester = await fundRequester(p, node.account(8));
    const op = await newOperator(p);
    const file = await configFile(op);
    const opened = await openRequests(
      p,
      requester,
      Array.from({ length: 20 }, (_, i) => ({ modelId: p.models.iris!.modelId, input: irisInput(200 + i) })),
    );
    const ids = new Set(opened.map((o) => o.requestId));
    const done = async () => [...(await fulfilmentCounts(p)).fulfilled.keys()].filter((id) => ids.has(id)).length;

    const first = run(file, op);
    await waitFor("first fulfilments", async () => (await done()) >= 2, 60_000, 20);
    first.kill("SIGKILL");
    expect(await exited(first)).to.equal(null);
    const atKill = await done();
    expect(atKill).to.be.lessThan(opened.length);

    const second = run(file, op);
    let stderr = "";
    second.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    try {
      await waitFor("all fulfilled after restart", async () => (await done()) === opened.length, 60_000, 100);
    } finally {
      second.kill("SIGTERM");
    }
    expect(await exited(second)).to.equal(0);
    const { fulfilled, skipped } = await fulfilmentCounts(p);
    for (const o of opened) {
      expect(fulfilled.get(o.requestId)!.count).to.equal(1);
      expect(fulfilled.get(o.requestId)!.operator).to.equal(op.wallet.address);
      expect(skipped.get(o.requestId) ?? 0).to.equal(0);
    }
    expect(stderr).to.equal("");
  });

  it("a bad configuration stops the CLI with exit code 2 and names the setting", async function () {
    const dir = await tmp("badcfg");
    const file = join(dir, "worker.json");
    await writeFile(
      file,
      JSON.stringify({
        rpcUrl: "not a url",
        deployment: { coordinator: "0x1234", tee: await p.tee.getAddress() },
        measurement: MEASUREMENT,
        modelsDir: MODELS_DIR,
        dbPath: "x.sqlite",
      }),
    );
    const child = spawn(process.execPath, [join(ROOT, "worker", "main.ts"), "--config", file], {
      cwd: ROOT,
      env: { ...process.env, VERITY_OPERATOR_KEY: "", VERITY_ENCLAVE_KEY: "" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    expect(await exited(child)).to.equal(2);
    expect(stderr).to.include("rpcUrl: must be an http(s) URL");
    expect(stderr).to.include("deployment.coordinator: must be a 0x-prefixed 20-byte address");
    expect(stderr).to.include("enclaveKey:");
    expect(stderr).to.include("operatorKey: missing: set VERITY_OPERATOR_KEY");
  });
});
