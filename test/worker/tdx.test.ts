import { rejects } from "node:assert/strict";

import { expect } from "chai";
import { ZeroAddress, keccak256 } from "ethers";

import { Worker } from "../../worker/worker.ts";
import { DevelopmentAttestation, tdxMeasurement } from "../../worker/attestation/evidence.ts";
import { parseConfig } from "../../worker/config.ts";
import { operatorShare } from "@verity-ai/sdk";
import {
  deployProtocol,
  fulfilmentCounts,
  fundRequester,
  openRequests,
  startNode,
  type LocalNode,
  type Protocol,
} from "../helpers/node.ts";
import { crl, qeIdentity, quote, tcbInfo, testPki } from "../attestation/tdx/pki.ts";
import { tdxVerifier } from "../helpers/tdx.ts";
import { fakeTsm } from "../attestation/tdx/tsm.ts";
import { irisInput, newOperator, quiet, waitFor, workerConfig } from "./helpers.ts";

describe("worker: TDX attestation through configfs-tsm", function () {
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

  it("registers its enclave key with a quote from configfs, serves, and is paid; the chain verified the quote", async function () {
    const now = (await node.provider.getBlock("latest"))!.timestamp;
    const pki = testPki(now);
    const v = await tdxVerifier(p, pki);
    const measurement = tdxMeasurement(quote(pki, { reportData: new Uint8Array(64) }));
    await (await v.getFunction("setMeasurementApproval")(measurement, true)).wait();
    const requester = await fundRequester(p, node.account(6));
    const op = await newOperator(p);
    const tsm = await fakeTsm(pki);
    tsm.serveForever();
    const config = await workerConfig(p, op, {
      measurement: undefined,
      tee: { provider: "tdx-configfs", reportDir: tsm.base, reportEntry: tsm.entry, retrySec: 1 },
    });
    const worker = new Worker(config, { logger: quiet });
    try {
      const opened = await openRequests(
        p,
        requester,
        Array.from({ length: 3 }, (_, i) => ({ modelId: p.models.iris!.modelId, input: irisInput(i) })),
      );
      await worker.start();
      await waitFor("all confirmed", async () => worker.store.counts().confirmed === opened.length);
      // Registered by the node itself, with the quote's measurement and its collateral's expiry.
      expect(tsm.served()).to.equal(1);
      const e = await p.tee.getFunction("getEnclave")(op.enclave.address);
      expect([e.operator, e.active, e.measurement]).to.deep.equal([op.wallet.address, true, measurement]);
      expect(e.validUntil).to.equal(BigInt(pki.now + 86_400 * 30));
      expect(worker.health().problems).to.deep.equal([]);
      const { fulfilled } = await fulfilmentCounts(p);
      for (const o of opened) expect(fulfilled.get(o.requestId)!.operator).to.equal(op.wallet.address);
      expect(await p.coordinator.getFunction("balanceOf")(op.wallet.address)).to.equal(
        opened.reduce((a, o) => a + operatorShare(o.request), 0n),
      );
      // The registration transaction carried the quote: anyone can re-verify it.
      const logs = await p.tee.queryFilter(p.tee.filters.EnclaveRegistered!(op.wallet.address, op.enclave.address));
      expect(logs.length).to.equal(1);
      const tx = await node.provider.getTransaction(logs[0]!.transactionHash);
      const report = p.tee.interface.parseTransaction(tx!)!.args[2] as string;
      expect(keccak256(report)).to.not.equal(keccak256("0x"));
      expect(tdxMeasurement(Buffer.from(report.slice(2), "hex"))).to.equal(measurement);

      // Intel's collateral is renewed; the registration nears its expiry: the node re-attests by itself.
      const expiry = Number(e.validUntil);
      await node.rpc("evm_setNextBlockTimestamp", [expiry - 3600]);
      await node.rpc("evm_mine", []);
      const later = { ...pki, now: expiry - 3600 };
      const month = 86_400 * 30;
      const f = (name: string) => v.getFunction(name);
      await (await f("pushCrl")(crl(pki.root, later.now, later.now + month), "0x")).wait();
      await (await f("pushCrl")(crl(pki.ca, later.now, later.now + month), pki.ca.cert)).wait();
      const t = tcbInfo(later);
      await (await f("pushTcbInfo")(t.body, t.signature, pki.signer.cert)).wait();
      const q = qeIdentity(later);
      await (await f("pushQeIdentity")(q.body, q.signature, pki.signer.cert)).wait();
      const renewed = BigInt(later.now + month);
      await waitFor(
        "re-attested",
        async () => (await p.tee.getFunction("getEnclave")(op.enclave.address)).validUntil === renewed,
      );
      // Registered twice, each time with a fresh quote (a read before the new collateral was pushed
      // would hold no longer than the registration, so the node did not send it).
      const regs = await p.tee.queryFilter(p.tee.filters.EnclaveRegistered!(op.wallet.address, op.enclave.address));
      expect(regs.map((l) => (l as unknown as { args: { validUntil: bigint } }).args.validUntil)).to.deep.equal([
        BigInt(expiry),
        renewed,
      ]);
      const more = await openRequests(p, requester, [{ modelId: p.models.iris!.modelId, input: irisInput(7) }]);
      await waitFor("served after re-attesting", async () => worker.store.counts().confirmed === opened.length + 1);
      expect((await fulfilmentCounts(p)).fulfilled.get(more[0]!.requestId)!.operator).to.equal(op.wallet.address);
    } finally {
      await worker.stop();
      await tsm.cleanup();
    }
  });
});

describe("worker: attestation settings", function () {
  it("refuses the development provider on a chain that is not local, with the fix", async function () {
    const dev = new DevelopmentAttestation("0x" + "11".repeat(32));
    const binding = { tee: ZeroAddress, verifier: ZeroAddress, operator: ZeroAddress, enclaveKey: ZeroAddress };
    await rejects(dev.evidence({ ...binding, chainId: 11155111n }), {
      name: "AttestationError",
      message:
        /chain 11155111 is not a local chain .* Fix: run the node in an Intel TDX guest with tee.provider "tdx-configfs"/,
    });
    expect(await dev.evidence({ ...binding, chainId: 31337n })).to.deep.equal({
      measurement: "0x" + "11".repeat(32),
      report: "0x",
    });
  });

  it("needs a measurement for the development provider, and no report for tdx-configfs", function () {
    const base = {
      rpcUrl: "http://127.0.0.1:8545",
      deployment: { coordinator: ZeroAddress, tee: ZeroAddress },
      operatorKey: "0x" + "22".repeat(32),
      enclaveKey: "0x" + "33".repeat(32),
      modelsDir: "models",
      dbPath: ":memory:",
    };
    expect(() => parseConfig(base)).to.throw(/measurement: missing \(fix: set measurement/);
    expect(() => parseConfig({ ...base, tee: { provider: "tdx-configfs" }, attestationReport: "0x00" })).to.throw(
      /attestationReport: only the development provider .* \(fix: remove attestationReport\)/,
    );
    expect(() => parseConfig({ ...base, measurement: "0x" + "11".repeat(32), tee: { reportDir: "/x" } })).to.throw(
      /tee.reportDir: only used by tee.provider "tdx-configfs"/,
    );
    const c = parseConfig({ ...base, tee: { provider: "tdx-configfs" } });
    expect(c.tee).to.deep.equal({
      provider: "tdx-configfs",
      reattestBeforeSec: 86_400,
      retrySec: 300,
      signingThreads: 2,
    });
    // Today's configs (no tee section) keep the development provider.
    expect(parseConfig({ ...base, measurement: "0x" + "11".repeat(32) }).tee.provider).to.equal(
      "development-unattested",
    );
  });
});
