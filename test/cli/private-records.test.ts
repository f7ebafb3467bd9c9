/**
 * `verity request --private` for a model with a field record, in TEE and ZK modes, against a real
 * node and worker: the CLI finds the record layout by the version's weights hash (the bundled
 * manifest or circuit descriptor, or --manifest / --circuit), commits the field-tree root, sends the
 * input and salt to the operator's intake, and writes the record file; `verity result disclose` then
 * opens two fields of it and `verity result check-disclosure --request` checks them off-chain and with
 * a FieldDisclosureVerifier on chain against the request's inputHash.
 */
import { spawn } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { expect } from "chai";
import { ContractFactory, Wallet, hexlify, keccak256, parseEther, toBeHex, zeroPadValue, type Contract } from "ethers";
import type { InterfaceAbi } from "ethers";

import { deriveFieldSalts, encodeInput, fieldTree, zkSalt } from "@verity-ai/sdk";
import { Executor, ModelStore } from "../../worker/models/index.ts";
import { Worker } from "../../worker/worker.ts";
import {
  E18,
  MODELS_DIR,
  ROOT,
  deployProtocol,
  freePort,
  registerModel,
  startNode,
  type LocalNode,
  type Protocol,
} from "../helpers/node.ts";
import { newOperator, quiet, tmp, workerConfig } from "../worker/helpers.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** One patient's ten "worst" measurements as the fixed-point integers the model takes, and in units. */
const ENCODED = [25380, 1733, 18460, 20190, 16220, 66560, 711900, 265400, 4601, 11890];
const UNITS = ["25.38", "17.33", "184.6", "2019", "0.1622", "0.6656", "0.7119", "0.2654", "0.4601", "0.1189"];
const NAMES: string[] = JSON.parse(
  readFileSync(join(MODELS_DIR, "breast-cancer-mlp", "manifest.json"), "utf8"),
).input.fields.map((f: { name: string }) => f.name);

function artifact(path: string): { abi: InterfaceAbi; bytecode: string } {
  const name = path.split("/").pop()!;
  return JSON.parse(readFileSync(join(ROOT, "artifacts", "contracts", path + ".sol", name + ".json"), "utf8"));
}

describe("verity request --private for a model with a field record (TEE and ZK), then result disclose / check-disclosure", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let p: Protocol;
  let worker: Worker;
  let dir: string;
  let deploymentFile: string;
  let operatorUrl: string;
  let modelId: string;
  let expectedClass: string;
  let verifier: string;
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
  const json = async (args: string[]) => {
    const r = await cli([...args, "--json"]);
    expect(r.code, r.stderr).to.equal(0);
    return JSON.parse(r.stdout);
  };
  const request = (extra: string[]) =>
    json([
      "request",
      "--model",
      modelId,
      "--values",
      JSON.stringify(ENCODED),
      "--private",
      "--operator-url",
      operatorUrl,
      "--wait",
      "--wait-timeout",
      "90",
      ...extra,
    ]);

  before(async function () {
    node = await startNode();
    p = await deployProtocol(node, { zk: true });
    dir = await tmp("cli-private-records");
    const deploy = async (path: string, args: unknown[]) => {
      const a = artifact(path);
      const c = await new ContractFactory(a.abi, a.bytecode, p.admin).deploy(...args);
      await c.waitForDeployment();
      return c.getAddress();
    };
    const t3 = await deploy("generated/PoseidonT3", []);
    const t5 = await deploy("generated/PoseidonT5", []);
    verifier = await deploy("verifiers/FieldDisclosureVerifier", [t3, t5]);
    const addr = (c: Contract) => c.getAddress();
    deploymentFile = join(dir, "deployment.json");
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
        fieldDisclosure: verifier,
      }),
    );
    await node.rpc("hardhat_setBalance", [user.address, "0x" + parseEther("100").toString(16)]);
    await (await (p.token.connect(p.admin) as Contract).getFunction("mint")(user.address, 10_000n * E18)).wait();
    const op = await newOperator(p);
    const port = await freePort();
    worker = new Worker(await workerConfig(p, op, { confirmations: 0, intake: { port } }), { logger: quiet });
    await worker.start();
    operatorUrl = `http://127.0.0.1:${port}`;
    modelId = p.models["breast-cancer-mlp"]!.modelId;
    const executor = new Executor(await ModelStore.open(MODELS_DIR));
    const input = encodeInput("int32be-fixed-x10", ENCODED);
    expectedClass = BigInt(
      hexlify((await executor.run(p.models["breast-cancer-mlp"]!.weightsHash, input)).output),
    ).toString();
    await executor.close();
  });

  after(async function () {
    await worker?.stop();
    await node?.stop();
  });

  for (const mode of ["tee", "zk"] as const) {
    it(`${mode.toUpperCase()}: request --private commits the field tree and writes the record; two fields are disclosed and checked off-chain and on-chain`, async function () {
      const salt = "0x" + (mode === "tee" ? "3c" : "4d").repeat(32);
      const recordOut = join(dir, `${mode}-record.json`);
      // TEE finds the bundled manifest by weights hash; ZK is given its descriptor explicitly.
      const extra = mode === "zk" ? ["--mode", "zk", "--circuit", "circuits/breast-cancer-mlp/descriptor.json"] : [];
      const res = await request([...extra, "--salt", salt, "--record-out", recordOut]);
      expect(res.status).to.equal("Fulfilled");
      expect(res.decoded).to.equal(expectedClass);
      expect(res.record).to.equal(recordOut);
      // On-chain: only the field-tree root of the record, as a ZK request for it carries.
      const tree = fieldTree(ENCODED.map(BigInt), deriveFieldSalts(zkSalt(salt), 10));
      const commitment = zeroPadValue(toBeHex(tree.root), 32);
      expect(res.commitment).to.equal(commitment);
      const show = await json(["result", "show", res.requestId]);
      expect(show.request.inputHash).to.equal(commitment);
      expect(show.input).to.equal(undefined);

      // The record file: every field in its unit, the master salt, the intake salt; owner-only.
      const record = JSON.parse(readFileSync(recordOut, "utf8"));
      expect(record).to.deep.equal({
        model: "breast-cancer-mlp",
        requestId: res.requestId,
        mode: mode.toUpperCase(),
        commitment,
        values: Object.fromEntries(NAMES.map((n, i) => [n, UNITS[i]])),
        masterSalt: zkSalt(salt).toString(),
        salt,
      });
      expect(statSync(recordOut).mode & 0o777).to.equal(0o600);

      const disclosureFile = join(dir, `${mode}-disclosure.json`);
      const out = await json([
        "result",
        "disclose",
        "--record",
        recordOut,
        "--fields",
        "worst_perimeter,worst_concave_points",
        "--manifest",
        "models/breast-cancer-mlp",
        "--out",
        disclosureFile,
      ]);
      expect(out.commitment).to.equal(commitment);
      const checked = await json([
        "result",
        "check-disclosure",
        disclosureFile,
        "--request",
        res.requestId,
        "--manifest",
        "models/breast-cancer-mlp",
      ]);
      expect(checked.ok).to.equal(true);
      expect(checked.commitment).to.equal(commitment);
      expect(checked.offChain).to.deep.equal({ ok: true });
      expect(checked.onChain.ok).to.equal(true);
      expect(checked.disclosed.map((f: { name: string; value: string }) => [f.name, f.value])).to.deep.equal([
        ["worst_perimeter", "184.6"],
        ["worst_concave_points", "0.2654"],
      ]);
      expect(checked.private).to.have.length(8);

      // A changed value is refused by both checks, naming the field.
      const d = JSON.parse(readFileSync(disclosureFile, "utf8"));
      d.fields[0].value = "18461";
      const tampered = join(dir, `${mode}-tampered.json`);
      writeFileSync(tampered, JSON.stringify(d));
      const bad = await cli(["result", "check-disclosure", tampered, "--request", res.requestId]);
      expect(bad.code).to.equal(1);
      expect(bad.stderr).to.equal(
        "error: off-chain check: the value or the salt of field 2 is wrong: Poseidon(value, salt) is not its committed leaf\n" +
          `error: on-chain check (${verifier}): field 2's value or salt is wrong (they do not hash to the committed leaf): ` +
          `disclose the exact value and its salt (FieldDisclosureOpeningMismatch(2, ${tree.leaves[2]}))\n`,
      );
    });
  }

  it("refuses before paying when no record layout is found or the given one is another model's, naming the option", async function () {
    const before = await json(["balance", "show"]);
    // A model version whose manifest is nowhere here.
    const absent = await registerModel(
      p,
      "unlisted-diagnosis",
      keccak256("0x0abc"),
      "int32be-fixed-x10/uint256-argmax",
    );
    let r = await cli([
      "request",
      "--model",
      absent.modelId,
      "--values",
      JSON.stringify(ENCODED),
      "--private",
      "--operator-url",
      operatorUrl,
    ]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(
      new RegExp(
        `^error: no manifest for the model version's weightsHash ${absent.weightsHash} under .*models: pass --manifest <model folder> so the commitment follows the model's record layout\\n$`,
      ),
    );
    // --manifest of another model.
    r = await cli([
      "request",
      "--model",
      modelId,
      "--values",
      JSON.stringify(ENCODED),
      "--private",
      "--operator-url",
      operatorUrl,
      "--manifest",
      "models/iris",
    ]);
    expect(r.code).to.equal(1);
    const iris = JSON.parse(readFileSync(join(MODELS_DIR, "iris", "manifest.json"), "utf8")).weightsHash;
    expect(r.stderr).to.equal(
      `error: --manifest: models/iris/manifest.json is the manifest of weightsHash ${iris}, but the model version runs ${p.models["breast-cancer-mlp"]!.weightsHash}: give that version's manifest\n`,
    );
    // --circuit of another weights hash.
    const other = join(dir, "other-descriptor.json");
    const descriptor = JSON.parse(readFileSync(join(ROOT, "circuits", "breast-cancer-mlp", "descriptor.json"), "utf8"));
    descriptor.model.weightsHash = keccak256("0x0def");
    writeFileSync(other, JSON.stringify(descriptor));
    r = await cli([
      "request",
      "--model",
      modelId,
      "--mode",
      "zk",
      "--values",
      JSON.stringify(ENCODED),
      "--private",
      "--operator-url",
      operatorUrl,
      "--circuit",
      other,
    ]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(
      `error: --circuit: ${other} is the circuit of weightsHash ${keccak256("0x0def")}, but the model version runs ${p.models["breast-cancer-mlp"]!.weightsHash}: give that version's descriptor\n`,
    );
    // A record file in a folder that does not exist.
    r = await cli([
      "request",
      "--model",
      modelId,
      "--values",
      JSON.stringify(ENCODED),
      "--private",
      "--operator-url",
      operatorUrl,
      "--record-out",
      join(dir, "no-such-folder", "record.json"),
    ]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(
      `error: --record-out: the folder of ${join(dir, "no-such-folder", "record.json")} does not exist: create it or choose another file\n`,
    );
    // A value outside its field's range: refused with the field named, before paying.
    const big = [...ENCODED];
    big[0] = 2 ** 17;
    r = await cli([
      "request",
      "--model",
      modelId,
      "--values",
      JSON.stringify(big),
      "--private",
      "--operator-url",
      operatorUrl,
    ]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(
      `error: the input is not a valid record of breast-cancer-mlp (${join(ROOT, "models", "breast-cancer-mlp", "manifest.json")}): breast-cancer-mlp field 0 (worst_radius) = 131072 is outside the record's range [0, 2^17): encode value × 1000 as a non-negative integer below 131072\n`,
    );
    expect(await json(["balance", "show"])).to.deep.equal(before);
  });
});
