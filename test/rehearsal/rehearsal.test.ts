/**
 * `npm run rehearsal` end to end: a production deployment on a stand-in public chain (chain id 271828,
 * a 6-decimal ERC-20, a test PKI for Intel, a configfs-tsm stand-in), used through the CLI.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";

import { splitFee } from "@verity-ai/sdk";

const ROOT = join(import.meta.dirname, "..", "..");

describe("npm run rehearsal: a production deployment used through the CLI on a stand-in public chain", function () {
  this.timeout(300_000);

  it("deploys with the production module, serves and verifies a paid request, refunds an unserved one", async function () {
    const dir = mkdtempSync(join(tmpdir(), "verity-rehearsal-test-"));
    try {
      const file = join(dir, "summary.json");
      const run = await new Promise<{ code: number; out: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            "--conditions=verity-source",
            "--disable-warning=ExperimentalWarning",
            "--import",
            "tsx",
            join(ROOT, "scripts/rehearsal.ts"),
            "--summary-json",
            file,
          ],
          { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
        );
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        child.on("exit", (code) => resolve({ code: code ?? -1, out }));
      });
      expect(run.code, run.out).to.equal(0);
      expect(run.out).to.match(/rehearsal passed in \d+ s/);
      const s = JSON.parse(readFileSync(file, "utf8"));

      // The production module on a chain that is not local, with the separately deployed 6-decimal token.
      expect(s.chainId).to.equal(271828);
      expect(s.deployment.chainId).to.equal(271828);
      expect(s.deployment.startBlock).to.be.greaterThan(0);
      expect(s.deployment.abiVersion).to.match(/^0x[0-9a-f]{16}$/);
      // The record is the rehearsal's own and is removed afterwards: nothing is left in deploy/deployments.
      expect(existsSync(join(ROOT, "deploy", "deployments", s.deploymentId))).to.equal(false);

      // Served through the TDX-registered enclave and re-verified off-chain.
      expect(s.served.res.status).to.equal("Fulfilled");
      expect(s.served.res.operator).to.equal(s.operator);
      expect(s.served.verified.ok).to.equal(true);
      expect(s.served.verified.mode).to.equal("TEE");
      // The evidence behind it: the enclave the node registered itself with a TDX quote, re-verified off-chain
      // against the test PKI's chain and the collateral pushed on-chain.
      const tdx = s.served.verified.tdx;
      expect(tdx.enclave).to.equal(s.enclave);
      expect(tdx.measurement).to.equal(s.measurement);
      expect(tdx.tcbStatus).to.equal("UpToDate");
      expect(tdx.expired).to.equal(false);
      expect(tdx.chain.map((c: { subject: string }) => c.subject)).to.deep.equal([
        "CN=Test SGX PCK Certificate",
        "CN=Test SGX PCK Platform CA",
        "CN=Test SGX Root CA",
      ]);

      // "0.25" read with the token's 6 decimals: 250,000 units paid, the same returned by the refund.
      expect(s.refunded.paid).to.equal("250000");
      expect(s.refunded.refund.amount).to.equal("250000");
      expect(s.refunded.refund.slashed).to.equal("0");
      expect(s.refunded.walletBefore).to.equal("9750000");
      expect(s.refunded.walletAfter).to.equal("9750000");

      // The served request's fee split: the operator's share in its balance, the owner's royalty accrued.
      const split = splitFee(250_000n, 0n, 1_000n, 300n);
      expect(s.payments.operatorBalance).to.equal(split.operatorShare.toString());
      expect(s.payments.royalties).to.equal(split.royalty.toString());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
