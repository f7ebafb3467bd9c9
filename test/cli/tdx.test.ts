/**
 * `verity operator register-enclave --tdx` and the TDX evidence of `verity result verify`, against a
 * real `hardhat node` whose TeeVerifier uses a TdxAttestationVerifier pinned to a test PKI's root, with a
 * FIFO stand-in for configfs-tsm.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

import { expect } from "chai";
import type { Contract } from "ethers";

import { tdxReportData } from "@verity-ai/sdk/tdx";
import { tdxMeasurement } from "../../worker/attestation/evidence.ts";
import { Worker } from "../../worker/worker.ts";
import { ROOT, deployProtocol, fundRequester, openRequests, startNode } from "../helpers/node.ts";
import type { LocalNode, Protocol } from "../helpers/node.ts";
import { tdxVerifier } from "../helpers/tdx.ts";
import { quote, testPki, type TestPki } from "../attestation/tdx/pki.ts";
import { fakeTsm } from "../attestation/tdx/tsm.ts";
import { irisInput, newOperator, quiet, tmp, waitFor, workerConfig, type Operator } from "../worker/helpers.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe("verity CLI: TDX registration and evidence", function () {
  this.timeout(180_000);
  let node: LocalNode;
  let p: Protocol;
  let pki: TestPki;
  let v: Contract;
  let op: Operator;
  let deploymentFile: string;
  let dir: string;

  function cli(args: string[]): Promise<Run> {
    return new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        [
          "--disable-warning=ExperimentalWarning",
          "--import",
          "tsx",
          join(ROOT, "cli/main.ts"),
          "--rpc",
          node.url,
          "--deployment",
          deploymentFile,
          ...args,
        ],
        {
          cwd: ROOT,
          env: { ...process.env, VERITY_PRIVATE_KEY: op.wallet.privateKey, VERITY_ENCLAVE_KEY: op.enclave.privateKey },
        },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  before(async function () {
    node = await startNode();
    p = await deployProtocol(node);
    pki = testPki((await node.provider.getBlock("latest"))!.timestamp);
    v = await tdxVerifier(p, pki);
    op = await newOperator(p);
    dir = await tmp("cli-tdx");
    deploymentFile = join(dir, "deployment.json");
    const addr = (c: Contract) => c.getAddress();
    writeFileSync(
      deploymentFile,
      JSON.stringify({
        chainId: 31337,
        token: await addr(p.token),
        registry: await addr(p.registry),
        staking: await addr(p.staking),
        coordinator: await addr(p.coordinator),
        tee: await addr(p.tee),
        attestation: await addr(v),
      }),
    );
  });

  after(async function () {
    await node?.stop();
  });

  it("register-enclave --tdx: a quote through configfs, the chain's verdict printed; result verify shows the TDX evidence", async function () {
    const measurement = tdxMeasurement(quote(pki, { reportData: new Uint8Array(64) }));
    const tsm = await fakeTsm(pki);
    tsm.serveForever();
    try {
      const tsmArgs = ["--tdx", "--tsm-dir", tsm.base, "--tsm-entry", tsm.entry];
      // Governance has not approved the image yet: the verifier's reason, as a sentence.
      const refused = await cli(["operator", "register-enclave", ...tsmArgs]);
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.contain(`TdxMeasurementNotApproved(${measurement})`);
      await (await v.getFunction("setMeasurementApproval")(measurement, true)).wait();

      // A quote made elsewhere for another key is refused before anything is sent, naming the report data needed.
      const chainId = 31337n;
      const needed = tdxReportData(
        chainId,
        await v.getAddress(),
        await p.tee.getAddress(),
        op.wallet.address,
        op.enclave.address,
      );
      const wrongFile = join(dir, "wrong.quote");
      writeFileSync(wrongFile, quote(pki, { reportData: new Uint8Array(64) }));
      const wrong = await cli(["operator", "register-enclave", "--tdx", "--quote", wrongFile]);
      expect(wrong.code).to.equal(1);
      expect(wrong.stderr).to.contain(
        `make the quote inside the TD with report data 0x${Buffer.from(needed).toString("hex")}`,
      );

      const reg = await cli(["operator", "register-enclave", ...tsmArgs, "--json"]);
      expect(reg.code, reg.stderr).to.equal(0);
      const out = JSON.parse(reg.stdout);
      const expiry = pki.now + 86_400 * 30;
      expect(out).to.deep.include({
        operator: op.wallet.address,
        enclave: op.enclave.address,
        measurement,
        tcbStatus: "UpToDate",
        expiry,
      });
      const e = await p.tee.getFunction("getEnclave")(op.enclave.address);
      expect([e.operator, e.measurement, e.validUntil]).to.deep.equal([op.wallet.address, measurement, BigInt(expiry)]);

      // The node finds its key registered and current: it serves without registering again.
      const worker = new Worker(
        await workerConfig(p, op, {
          measurement: undefined,
          confirmations: 0,
          tee: { provider: "tdx-configfs", reportDir: tsm.base, reportEntry: tsm.entry },
        }),
        { logger: quiet },
      );
      const requester = await fundRequester(p, node.account(7));
      const [opened] = await openRequests(p, requester, [{ modelId: p.models.iris!.modelId, input: irisInput(2) }]);
      await worker.start();
      try {
        await waitFor("confirmed", async () => worker.store.counts().confirmed === 1);
      } finally {
        await worker.stop();
      }
      const regs = await p.tee.queryFilter(p.tee.filters.EnclaveRegistered!(op.wallet.address, op.enclave.address));
      expect(regs.length).to.equal(1);

      const verify = await cli(["result", "verify", opened!.requestId.toString()]);
      expect(verify.code, verify.stderr).to.equal(0);
      expect(verify.stdout).to.contain("VERIFIED (TEE)");
      expect(verify.stdout).to.contain(`TDX evidence of enclave ${op.enclave.address}`);
      expect(verify.stdout).to.contain(`measurement ${measurement}`);
      expect(verify.stdout).to.contain("TCB status UpToDate");
      expect(verify.stdout).to.contain("PCK CN=Test SGX PCK Certificate");
      expect(verify.stdout).to.contain("root CN=Test SGX Root CA");
      expect(verify.stdout).to.contain(`registration valid until ${new Date(expiry * 1000).toISOString()}`);
      expect(verify.stdout).to.contain("! trusted: the pinned root");
    } finally {
      await tsm.cleanup();
    }
  });
});
