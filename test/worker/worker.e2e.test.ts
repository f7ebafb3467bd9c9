import { expect } from "chai";
import { keccak256, getBytes } from "ethers";

import { Worker } from "../../worker/worker.ts";
import { Executor, ModelStore } from "../../worker/models/index.ts";
import { requestIdOf, operatorShare } from "@verity-ai/sdk";
import {
  MODELS_DIR,
  deployProtocol,
  fulfilmentCounts,
  fundRequester,
  openRequests,
  startNode,
  type LocalNode,
  type Opened,
  type Protocol,
} from "../helpers/node.ts";
import { audioInput, irisInput, newOperator, quiet, waitFor, workerConfig } from "./helpers.ts";

describe("worker: end to end against a hardhat node", function () {
  this.timeout(120_000);
  let node: LocalNode;
  let p: Protocol;
  let requester: Awaited<ReturnType<typeof fundRequester>>;
  let executor: Executor;

  before(async function () {
    node = await startNode();
    p = await deployProtocol(node);
    requester = await fundRequester(p, node.account(5));
    await node.rpc("evm_setIntervalMining", [500]);
    executor = new Executor(await ModelStore.open(MODELS_DIR));
  });

  after(async function () {
    await executor?.close();
    await node?.stop();
  });

  async function expectedOutput(o: Opened): Promise<string> {
    return keccak256((await executor.run(o.request.weightsHash, getBytes(o.input))).output);
  }

  it("serves iris and silero requests; every output equals a direct Executor run; a second pass changes nothing", async function () {
    const op = await newOperator(p);
    const config = await workerConfig(p, op);
    const worker = new Worker(config, { logger: quiet });
    const opened = await openRequests(p, requester, [
      ...Array.from({ length: 8 }, (_, i) => ({ modelId: p.models.iris!.modelId, input: irisInput(i) })),
      ...Array.from({ length: 4 }, (_, i) => ({ modelId: p.models["silero-vad"]!.modelId, input: audioInput(i) })),
    ]);
    await worker.start();
    try {
      await waitFor("all confirmed", async () => worker.store.counts().confirmed === opened.length);
    } finally {
      await worker.stop();
    }
    const { fulfilled, skipped } = await fulfilmentCounts(p);
    for (const o of opened) {
      expect(requestIdOf(o.request)).to.equal(o.requestId);
      const f = fulfilled.get(o.requestId)!;
      expect(f.count).to.equal(1);
      expect(f.operator).to.equal(op.wallet.address);
      expect(f.outputHash).to.equal(await expectedOutput(o));
      expect(skipped.has(o.requestId)).to.equal(false);
    }
    const earnings = opened.reduce((a, o) => a + operatorShare(o.request), 0n);
    expect(await p.coordinator.getFunction("balanceOf")(op.wallet.address)).to.equal(earnings);
    const rows = new Worker(config, { logger: quiet });
    try {
      await rows.init();
      for (const o of opened) {
        const job = rows.store.get("0x" + o.requestId.toString(16).padStart(64, "0"))!;
        expect(job.state).to.equal("confirmed");
        expect(job.earnings).to.equal(operatorShare(o.request).toString());
        expect(keccak256(job.output!)).to.equal(await expectedOutput(o));
      }
      // Idempotent: a second pass over the same chain and store sends nothing.
      const nonce = await node.provider.getTransactionCount(op.wallet.address);
      const again = await rows.runOnce();
      expect(again.attested).to.equal(0);
      expect(again.submitted).to.equal(0);
      expect(await node.provider.getTransactionCount(op.wallet.address)).to.equal(nonce);
    } finally {
      await rows.stop();
    }
  });
});

describe("worker: two operators racing", function () {
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

  it("pays each open request exactly once; the loser marks it skipped", async function () {
    const requester = await fundRequester(p, node.account(6));
    const [a, b] = [await newOperator(p), await newOperator(p)];
    const wa = new Worker(await workerConfig(p, a, { batchSize: 3 }), { logger: quiet });
    const wb = new Worker(await workerConfig(p, b, { batchSize: 4 }), { logger: quiet });
    await Promise.all([wa.init(), wb.init()]);
    const opened = await openRequests(
      p,
      requester,
      Array.from({ length: 16 }, (_, i) => ({ modelId: p.models.iris!.modelId, input: irisInput(100 + i) })),
    );
    await Promise.all([wa.start(), wb.start()]);
    const settled = (w: Worker) => {
      const c = w.store.counts();
      return c.confirmed + c.skipped;
    };
    try {
      await waitFor(
        "both workers settled every request",
        async () => settled(wa) === opened.length && settled(wb) === opened.length,
      );
    } finally {
      await Promise.all([wa.stop(), wb.stop()]);
    }
    const { fulfilled } = await fulfilmentCounts(p);
    const ra = new Worker(wa.config, { logger: quiet });
    const rb = new Worker(wb.config, { logger: quiet });
    await Promise.all([ra.init(), rb.init()]);
    try {
      let paidA = 0n;
      let paidB = 0n;
      for (const o of opened) {
        const f = fulfilled.get(o.requestId)!;
        expect(f.count).to.equal(1);
        const key = "0x" + o.requestId.toString(16).padStart(64, "0");
        const [ja, jb] = [ra.store.get(key)!, rb.store.get(key)!];
        const winner = f.operator === a.wallet.address ? ja : jb;
        const loser = f.operator === a.wallet.address ? jb : ja;
        expect(winner.state).to.equal("confirmed");
        expect(loser.state).to.equal("skipped");
        expect(loser.error).to.match(/^already-fulfilled/);
        const pay = operatorShare(o.request);
        if (f.operator === a.wallet.address) paidA += pay;
        else paidB += pay;
      }
      expect(await p.coordinator.getFunction("balanceOf")(a.wallet.address)).to.equal(paidA);
      expect(await p.coordinator.getFunction("balanceOf")(b.wallet.address)).to.equal(paidB);
    } finally {
      await Promise.all([ra.stop(), rb.stop()]);
    }
  });
});
