/** `npm start -- --requests 4` as a smoke test: the whole network on the embedded chain, exit 0. */
import { spawn } from "node:child_process";
import { join } from "node:path";

import { expect } from "chai";

import { ROOT } from "../helpers/node.ts";

describe("npm start (smoke)", function () {
  this.timeout(300_000);

  it("serves 4 paid requests end to end, re-verifies them and exits 0", async function () {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        ["--disable-warning=ExperimentalWarning", "--import", "tsx", join(ROOT, "scripts/start.ts"), "--requests", "4"],
        { cwd: ROOT, env: { ...process.env, CI: "true" } },
      );
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (err += d));
      child.on("exit", (c) => resolve({ code: c ?? -1, stdout: out, stderr: err }));
    });
    expect(code, stderr + stdout).to.equal(0);
    for (let i = 1; i <= 9; i++) expect(stdout).to.match(new RegExp(`\\[${i}/9\\] .* ✔`));
    expect(stdout).to.contain("requests served and verified: 4/4");
    // The mix: public TEE (iris, silero), private-input TEE, and private-input ZK.
    expect(stdout.match(/✔ op[12] (enclave 0x|enclave [0-9a-f]+…|Groth16 proof)/g)?.length).to.equal(4);
    expect(stdout).to.contain("TEE (private input)");
    expect(stdout).to.contain("ZK (private input)");
    // The hospital flow: the insurer contract's ZK diagnosis request, the claim it approved, two fields disclosed.
    expect(stdout).to.match(/request 0x[0-9a-f]{8}… opened by the insurer contract for commitment 0x[0-9a-f]{10}…/);
    expect(stdout).to.match(
      /diagnosis: malignant \(0\), proved in ZK and re-verified off-chain; fulfillZk gas \d+ \(with the insurer's callback\)/,
    );
    expect(stdout).to.contain("insurer: claim approved on the verified diagnosis, 500.00 vUSD paid to the hospital");
    expect(stdout).to.match(
      /disclosed and checked on-chain by FieldDisclosureVerifier \(\d+ gas\): worst_radius = 25\.38 \(.+\), worst_area = 2019 \(.+\)/,
    );
    expect(stdout).to.contain(
      "stayed private (8 of 10 fields, never on-chain): worst_texture, worst_perimeter, worst_smoothness, worst_compactness, worst_concavity, worst_concave_points, worst_symmetry, worst_fractal_dimension",
    );
    // …and a range over a field that stays private, proved in ZK and checked on-chain against the request.
    expect(stdout).to.match(
      /proved in ZK without disclosing it: worst_concave_points ∈ \[0\.15, 1\] \(prove \d+\.\d s; checked on-chain against the request's commitment by FieldRangeVerifier\.proveRange, \d+ gas\): the verifier learns the field and the bounds, not the value/,
    );
  });

  it("refuses a bad --requests value, naming it", async function () {
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "scripts/start.ts"), "--requests", "zero"], {
        cwd: ROOT,
      });
      let err = "";
      child.stderr.on("data", (d) => (err += d));
      child.on("exit", (c) => resolve({ code: c ?? -1, stderr: err }));
    });
    expect(code).to.not.equal(0);
    expect(stderr).to.contain(`--requests must be a whole number from 1 to 1000, got "zero"`);
  });
});
