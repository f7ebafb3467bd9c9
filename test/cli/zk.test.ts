/**
 * The `verity` CLI in ZK mode against a real `hardhat node` with a worker proving: for each bundled
 * circuit (iris and the diagnosis model, both from `npm run zk:setup`), `request --mode zk --private`
 * commits to the record with the circuit the SDK finds from the version's weights hash, the worker
 * proves it, and `result verify` re-checks the Groth16 proof off-chain with no key passed.
 */
import { spawn } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { expect } from "chai";
import { ContractFactory, Wallet, getBytes, hexlify, keccak256, parseEther, toUtf8Bytes } from "ethers";
import type { Contract, InterfaceAbi } from "ethers";

import { bundledCircuit, encodeInput, recordCommitment, zkSalt } from "@verity-ai/sdk";
import { encodeFields, loadDataset } from "../../scripts/diagnosis/data.ts";
import { Worker } from "../../worker/worker.ts";
import { E18, ROOT, deployProtocol, freePort, registerModel, startNode } from "../helpers/node.ts";
import type { LocalNode, Protocol } from "../helpers/node.ts";
import { newOperator, quiet, tmp, workerConfig } from "../worker/helpers.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe("verity CLI in ZK mode (against a local node with a proving worker)", function () {
  this.timeout(240_000);
  let node: LocalNode;
  let p: Protocol;
  let worker: Worker;
  let deploymentFile: string;
  let intakePort: number;
  const user = Wallet.createRandom();

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
        { cwd: ROOT, env: { ...process.env, VERITY_PRIVATE_KEY: user.privateKey } },
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
    p = await deployProtocol(node, { zk: true });
    deploymentFile = join(await tmp("cli-zk"), "deployment.json");
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
        attestation: await addr(p.attestation),
        zk: await addr(p.zk!.verifier),
      }),
    );
    await node.rpc("hardhat_setBalance", [user.address, "0x" + parseEther("100").toString(16)]);
    await (await (p.token.connect(p.admin) as Contract).getFunction("mint")(user.address, 10_000n * E18)).wait();
    intakePort = await freePort();
    worker = new Worker(
      await workerConfig(p, await newOperator(p), { confirmations: 0, intake: { port: intakePort } }),
      { logger: quiet },
    );
    await worker.start();
    const deposit = await cli(["balance", "deposit", "100"]);
    expect(deposit.code, deposit.stderr).to.equal(0);
  });

  after(async function () {
    await worker?.stop();
    await node?.stop();
  });

  it("request --mode zk refuses, before paying, a version whose circuit is not bundled with the SDK", async function () {
    // A ZK version with a verifier for weights no bundled circuit proves (a test verifier, approved).
    const weightsHash = keccak256(toUtf8Bytes("a model set up elsewhere"));
    const a = JSON.parse(
      readFileSync(join(ROOT, "artifacts/contracts/mocks/CoordinatorTestMocks.sol/AcceptAllVerifier.json"), "utf8"),
    ) as { abi: InterfaceAbi; bytecode: string };
    const verifier = (await (
      await new ContractFactory(a.abi, a.bytecode, p.admin).deploy(2)
    ).waitForDeployment()) as Contract;
    await (await verifier.getFunction("setWeightsHash")(weightsHash)).wait();
    await (await (p.registry.connect(p.admin) as Contract).getFunction("setZkVerifierApproval")(verifier, true)).wait();
    const model = await registerModel(p, "elsewhere", weightsHash, "int32be-milli-x4/uint256-argmax", {
      modes: 0b110,
      zkVerifier: await verifier.getAddress(),
    });
    const before = await (p.coordinator as Contract).getFunction("balanceOf")(user.address);
    const r = await cli([
      "request",
      "--model",
      model.modelId,
      "--mode",
      "zk",
      "--values",
      "[6.3,3.3,6.0,2.5]",
      "--private",
      "--operator-url",
      `http://127.0.0.1:${intakePort}`,
    ]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain(
      `version 1 (weights ${weightsHash}) has no circuit bundled with @verity-ai/sdk: ZK requests go to a bundled circuit's model (npm run zk:setup, then npm run generate), or pass --circuit <descriptor.json> for a circuit set up elsewhere`,
    );
    expect(await (p.coordinator as Contract).getFunction("balanceOf")(user.address)).to.equal(before);
  });

  it("request --mode zk commits with the circuit bundled with the SDK before circuits/ on disk: an input outside its record names it, before paying", async function () {
    const model = p.models.iris!;
    const circuit = bundledCircuit(model.weightsHash)!;
    const values = [70, 3.3, 6.0, 2.5]; // 70 cm = 70000 milli-cm, outside the 16-bit field
    const input = hexlify(getBytes(encodeInput(circuit.input.encoding, values)));
    let why = "";
    try {
      recordCommitment(circuit, input, "0x" + "3c".repeat(32));
    } catch (err) {
      why = (err as Error).message;
    }
    expect(why).to.contain("sepal_length");
    const before = await (p.coordinator as Contract).getFunction("balanceOf")(user.address);
    const r = await cli([
      "request",
      "--model",
      model.modelId,
      "--mode",
      "zk",
      "--values",
      JSON.stringify(values),
      "--private",
      "--operator-url",
      `http://127.0.0.1:${intakePort}`,
      "--salt",
      "0x" + "3c".repeat(32),
    ]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.equal(
      `error: the input is not a valid record of iris-mlp (the iris-mlp circuit bundled with @verity-ai/sdk): ${why}\n`,
    );
    expect(await (p.coordinator as Contract).getFunction("balanceOf")(user.address)).to.equal(before);
  });

  const cases = [
    { dir: "iris", values: [6.3, 3.3, 6.0, 2.5], decoded: "2" }, // virginica
    { dir: "breast-cancer-mlp", values: () => encodeFields(loadDataset(ROOT).rows[0]!), decoded: "0" }, // malignant
  ];
  for (const c of cases) {
    it(`${c.dir}: request --mode zk --private commits on the circuit's field tree; result verify re-checks the proof with no key passed`, async function () {
      const model = p.models[c.dir]!;
      const values = typeof c.values === "function" ? c.values() : c.values;
      const salt = "0x" + "3c".repeat(32);
      const recordOut = join(await tmp("cli-zk-record"), `${c.dir}-record.json`);
      const r = await cli([
        "request",
        "--model",
        model.modelId,
        "--mode",
        "zk",
        "--values",
        JSON.stringify(values),
        "--private",
        "--operator-url",
        `http://127.0.0.1:${intakePort}`,
        "--salt",
        salt,
        "--record-out",
        recordOut,
        "--wait",
        "--wait-timeout",
        "90",
        "--json",
      ]);
      expect(r.code, r.stderr).to.equal(0);
      const res = JSON.parse(r.stdout) as { requestId: string; status: string; decoded: string; record: string };
      expect(res.status).to.equal("Fulfilled");
      expect(res.decoded).to.equal(c.decoded);

      // The commitment on-chain is the field-tree root of the circuit found by the weights hash.
      const show = await cli(["result", "show", res.requestId, "--json"]);
      expect(show.code, show.stderr).to.equal(0);
      const shown = JSON.parse(show.stdout) as { request: { inputHash: string; weightsHash: string } };
      const circuit = bundledCircuit(shown.request.weightsHash)!;
      const encoding = circuit.input.encoding;
      const input = hexlify(getBytes(encodeInput(encoding, values)));
      expect(shown.request.inputHash).to.equal(recordCommitment(circuit, input, salt));
      // The record file `result disclose` reads: the circuit's record, owner-only.
      expect(res.record).to.equal(recordOut);
      const record = JSON.parse(readFileSync(recordOut, "utf8")) as Record<string, unknown>;
      expect(record).to.deep.include({
        model: circuit.name,
        requestId: res.requestId,
        mode: "ZK",
        commitment: shown.request.inputHash,
        masterSalt: zkSalt(salt).toString(),
        salt,
      });
      expect(Object.keys(record.values as object)).to.deep.equal(circuit.input.fields.map((f) => f.name));
      expect(statSync(recordOut).mode & 0o777).to.equal(0o600);

      const verify = await cli(["result", "verify", res.requestId]);
      expect(verify.code, verify.stdout + verify.stderr).to.equal(0);
      expect(verify.stdout).to.contain("VERIFIED (ZK)");
      expect(verify.stdout).to.contain(`✔ proof: Groth16 proof verifies for class ${c.decoded}`);
      expect(verify.stdout).to.contain(`✔ zk-verifier: version 1 pins Groth16 verifier`);
    });
  }
});
