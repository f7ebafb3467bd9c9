/**
 * Faults an outside test found (issue 12), each pinned by a test that fails if it comes back:
 * a lost eth_sendRawTransaction reply, a reorg exactly `confirmations` deep, a chain restarted
 * under the node, bad settings without a named setting, and operators racing for the same requests.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

import { expect } from "chai";
import type { Contract } from "ethers";

import { requestParams } from "@verity-ai/sdk";
import { ConfigError } from "../../worker/config.ts";
import { ChainChangedError } from "../../worker/stages/sync.ts";
import { rankOf } from "../../worker/stages/ranking.ts";
import { Worker } from "../../worker/worker.ts";
import {
  deployProtocol,
  freePort,
  fulfilmentCounts,
  fundRequester,
  openRequests,
  startNode,
  type LocalNode,
  type Protocol,
} from "../helpers/node.ts";
import { irisInput, newOperator, quiet, tmp, waitFor, workerConfig } from "./helpers.ts";

const key = (id: bigint) => "0x" + id.toString(16).padStart(64, "0");

/** An HTTP JSON-RPC proxy that forwards everything but can swallow the reply to eth_sendRawTransaction. */
class LossyRpc {
  server: Server | undefined;
  port = 0;
  swallow = 0;
  swallowed: string[] = [];
  readonly held: ServerResponse[] = [];
  constructor(readonly target: string) {}
  async start(): Promise<string> {
    this.port = await freePort();
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        fetch(this.target, { method: "POST", headers: { "content-type": "application/json" }, body })
          .then(async (r) => {
            const text = await r.text();
            if (this.swallow > 0 && body.includes('"eth_sendRawTransaction"')) {
              // The node took the transaction; its answer never reaches the worker (which times out).
              this.swallow--;
              this.swallowed.push(text);
              this.held.push(res);
              return;
            }
            res.writeHead(r.status, { "content-type": "application/json" });
            res.end(text);
          })
          .catch(() => req.socket.destroy());
      });
    });
    await new Promise<void>((r) => this.server!.listen(this.port, "127.0.0.1", () => r()));
    return `http://127.0.0.1:${this.port}`;
  }
  async stop(): Promise<void> {
    for (const res of this.held) res.writeHead(504).end();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

describe("worker: faults an outside test found", function () {
  this.timeout(180_000);
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

  it("a lost eth_sendRawTransaction reply: the node follows its own mined transaction and confirms every result", async function () {
    const requester = await fundRequester(p, node.account(11));
    const op = await newOperator(p);
    const proxy = new LossyRpc(node.url);
    const url = await proxy.start();
    const worker = new Worker(await workerConfig(p, op, { rpcUrl: url, batchSize: 10 }), {
      logger: quiet,
      rpcTimeoutMs: 2000,
    });
    await worker.start(); // registers its enclave (a transaction whose reply arrives)
    proxy.swallow = 1; // the reply to the first fulfil transaction is lost
    try {
      const opened = await openRequests(
        p,
        requester,
        Array.from({ length: 6 }, (_, i) => ({ modelId: p.models.iris!.modelId, input: irisInput(600 + i) })),
      );
      await waitFor(
        "every result confirmed",
        async () => opened.every((o) => worker.store.get(key(o.requestId))?.state === "confirmed"),
        60_000,
      );
      expect(proxy.swallowed.length).to.equal(1);
      const served = (await worker.metrics.served.get()).values[0]!.value;
      expect(served).to.equal(6);
      const { fulfilled, skipped } = await fulfilmentCounts(p);
      for (const o of opened) {
        expect(fulfilled.get(o.requestId)).to.deep.include({ count: 1, operator: op.wallet.address });
        expect(skipped.has(o.requestId)).to.equal(false);
        expect(worker.store.get(key(o.requestId))!.error).to.equal(null);
      }
    } finally {
      await worker.stop();
      await proxy.stop();
    }
  });

  it("a reorg exactly `confirmations` deep that removes the fulfil block: the jobs were never confirmed, and are served again", async function () {
    const requester = await fundRequester(p, node.account(12));
    const op = await newOperator(p);
    const worker = new Worker(await workerConfig(p, op, { confirmations: 1, batchSize: 10 }), { logger: quiet });
    await worker.start();
    try {
      await node.rpc("evm_setIntervalMining", [0]);
      await node.rpc("evm_setAutomine", [false]);
      const c = p.coordinator.connect(requester) as Contract;
      const sent = [];
      for (let i = 0; i < 3; i++)
        sent.push(
          await c.getFunction("requestInference")(
            requestParams({ modelId: p.models.iris!.modelId, input: irisInput(700 + i) }),
          ),
        );
      await node.rpc("evm_mine", []);
      await node.rpc("evm_mine", []); // one block on top: the scan (1 behind) sees the requests
      const ids: bigint[] = [];
      for (const tx of sent)
        for (const log of (await tx.wait()).logs) {
          const parsed = p.coordinator.interface.parseLog(log);
          if (parsed?.name === "InferenceRequested") ids.push(parsed.args.requestId as bigint);
        }
      const fulfil = await waitFor("the fulfil transaction in the mempool", async () => {
        const pending = worker.store.pendingTxs();
        return pending.length > 0 ? pending[0]! : undefined;
      });
      const snapshot = await node.rpc<string>("evm_snapshot");
      await node.rpc("evm_mine", []); // the fulfil block F, nothing on top of it yet
      const f = Number(await node.rpc<string>("eth_blockNumber"));
      const receipt = await node.provider.getTransactionReceipt(fulfil.hash);
      expect(receipt!.blockNumber).to.equal(f);
      // Passes run at head F: the receipt has no block on top, so it is not final yet.
      const passAt = worker.health().lastPassAt as number;
      await waitFor(
        "two passes at head F",
        async () => worker.health().head === f && (worker.health().lastPassAt as number) > passAt + 300,
      );
      for (const id of ids) expect(worker.store.get(key(id))!.state).to.equal("submitted");
      // The reorg: F is replaced by a block without the fulfilment.
      expect(await node.rpc("evm_revert", [snapshot])).to.equal(true);
      await node.rpc("hardhat_dropTransaction", [fulfil.hash]).catch(() => false);
      await node.rpc("evm_mine", []);
      expect((await node.provider.getTransactionReceipt(fulfil.hash)) === null).to.equal(true);
      await node.rpc("evm_setAutomine", [true]);
      await node.rpc("evm_setIntervalMining", [300]);
      await waitFor("the results confirmed after the reorg", async () =>
        ids.every((id) => worker.store.get(key(id))?.state === "confirmed"),
      );
      const { fulfilled } = await fulfilmentCounts(p);
      for (const id of ids) expect(fulfilled.get(id)).to.deep.include({ count: 1, operator: op.wallet.address });
    } finally {
      await node.rpc("evm_setAutomine", [true]);
      await node.rpc("evm_setIntervalMining", [300]);
      await worker.stop();
    }
  });

  it("bad settings name the setting and the fix: unreachable or non-RPC rpcUrl, modelsDir, dbPath, httpPort", async function () {
    const op = await newOperator(p);
    const issue = async (over: Record<string, unknown>): Promise<string> => {
      const w = new Worker(await workerConfig(p, op, over), { logger: quiet, rpcTimeoutMs: 2000 });
      try {
        await w.init();
      } catch (err) {
        expect(err).to.be.instanceOf(ConfigError);
        return (err as ConfigError).issues.join("\n");
      } finally {
        await w.stop();
      }
      throw new Error("init succeeded");
    };
    const closed = await freePort();
    expect(await issue({ rpcUrl: `http://127.0.0.1:${closed}` })).to.match(
      new RegExp(
        `^rpcUrl: no Ethereum JSON-RPC endpoint answers at http://127\\.0\\.0\\.1:${closed} \\(.*\\) \\(fix: start the chain node, or set rpcUrl / VERITY_RPC_URL to a reachable JSON-RPC URL\\)$`,
      ),
    );
    const html = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html></html>"));
    const htmlPort = await freePort();
    await new Promise<void>((r) => html.listen(htmlPort, "127.0.0.1", () => r()));
    try {
      expect(await issue({ rpcUrl: `http://127.0.0.1:${htmlPort}` })).to.match(
        /^rpcUrl: no Ethereum JSON-RPC endpoint answers at .* \(fix: start the chain node/,
      );
    } finally {
      html.close();
    }
    const dir = await tmp("settings");
    expect(await issue({ modelsDir: join(dir, "nowhere") })).to.equal(
      `modelsDir: ${join(dir, "nowhere")} does not exist (fix: set modelsDir to the folder holding <name>/manifest.json)`,
    );
    await writeFile(join(dir, "file"), "x");
    expect(await issue({ modelsDir: join(dir, "file") })).to.equal(
      `modelsDir: ${join(dir, "file")} is not a folder (fix: set modelsDir to the folder holding <name>/manifest.json)`,
    );
    expect(await issue({ dbPath: join(dir, "file", "jobs.sqlite") })).to.match(
      new RegExp(
        `^dbPath: cannot open the job database ${join(dir, "file", "jobs.sqlite")} for writing \\(.*\\) \\(fix: set dbPath / VERITY_DB_PATH to a file in a folder this user can write\\)$`,
      ),
    );
    const busy = createServer();
    const busyPort = await freePort();
    await new Promise<void>((r) => busy.listen(busyPort, "127.0.0.1", () => r()));
    try {
      expect(await issue({ httpPort: busyPort })).to.equal(
        `httpPort: cannot listen on 127.0.0.1:${busyPort} (the port is in use) (fix: set httpPort / VERITY_HTTP_PORT to a free port, or stop what holds it)`,
      );
    } finally {
      busy.close();
    }
  });
});

describe("worker: operators sharing open requests", function () {
  this.timeout(180_000);
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

  it("two operators split open requests by the ranking: each served once by its first-ranked operator, no gas wasted on skips", async function () {
    const requester = await fundRequester(p, node.account(6));
    const [a, b] = [await newOperator(p), await newOperator(p)];
    const config = { batchSize: 4, policy: { graceSec: 60 } };
    const wa = new Worker(await workerConfig(p, a, config), { logger: quiet });
    const wb = new Worker(await workerConfig(p, b, config), { logger: quiet });
    await Promise.all([wa.start(), wb.start()]);
    try {
      const opened = await openRequests(
        p,
        requester,
        Array.from({ length: 12 }, (_, i) => ({ modelId: p.models.iris!.modelId, input: irisInput(800 + i) })),
      );
      const ops = [a.wallet.address, b.wallet.address];
      const first = (id: bigint) => (rankOf(key(id), ops, a.wallet.address) === 0 ? wa : wb);
      const firstOf = opened.map((o) => first(o.requestId));
      expect(firstOf.includes(wa) && firstOf.includes(wb)).to.equal(true); // both get a share
      const other = (i: number) => (firstOf[i] === wa ? wb : wa);
      await waitFor("each request confirmed by its first-ranked operator, and seen served by the other", async () =>
        opened.every(
          (o, i) =>
            firstOf[i]!.store.get(key(o.requestId))?.state === "confirmed" &&
            other(i).store.get(key(o.requestId))?.state === "skipped",
        ),
      );
      const { fulfilled, skipped } = await fulfilmentCounts(p);
      expect(skipped.size).to.equal(0);
      opened.forEach((o, i) => {
        const f = fulfilled.get(o.requestId)!;
        expect(f.count).to.equal(1);
        expect(f.operator).to.equal(firstOf[i] === wa ? a.wallet.address : b.wallet.address);
        // The other one left it alone (never sent it), then saw it served.
        expect(other(i).store.get(key(o.requestId))).to.deep.include({ state: "skipped", txHash: null });
      });
    } finally {
      await Promise.all([wa.stop(), wb.stop()]);
    }
  });
});

describe("worker: the chain restarted under a running node", function () {
  this.timeout(180_000);

  it("notices the new chain (genesis, cursor) and stops loudly instead of serving nothing while healthy", async function () {
    const port = await freePort();
    let node = await startNode({ port });
    try {
      let p = await deployProtocol(node);
      await node.rpc("evm_setIntervalMining", [300]);
      const requester = await fundRequester(p, node.account(6));
      const op = await newOperator(p);
      const worker = new Worker(await workerConfig(p, op), { logger: quiet });
      await worker.start();
      try {
        const opened = await openRequests(p, requester, [{ modelId: p.models.iris!.modelId, input: irisInput(900) }]);
        await waitFor("served on the first chain", async () =>
          opened.every((o) => worker.store.get(key(o.requestId))?.state === "confirmed"),
        );
        await node.stop();
        node = await startNode({ port });
        p = await deployProtocol(node);
        await node.rpc("evm_setIntervalMining", [300]);
        const err = await waitFor("the node stops", async () => worker.fatal, 60_000);
        expect(err).to.be.instanceOf(ChainChangedError);
        expect(err.message).to.match(
          /^the chain at rpcUrl is not the one this node's database \(dbPath\) was filled from: .*point rpcUrl at the original chain, or start with a fresh dbPath for the new one$/,
        );
        expect(await worker.ended()).to.equal(err);
        const h = worker.health();
        expect(h.ok).to.equal(false);
        expect(h.running).to.equal(false);
        expect(h.lastError).to.equal(err.message);
      } finally {
        await worker.stop();
      }
    } finally {
      await node.stop();
    }
  });
});
