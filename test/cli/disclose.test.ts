/**
 * `verity result disclose` / `verity result check-disclosure` end to end: a record of the diagnosis
 * model's ten fields is committed, two fields are disclosed, and the disclosure is checked off-chain
 * by the SDK and on-chain by a FieldDisclosureVerifier (with its generated Poseidon contracts) on a
 * real `hardhat node`; every tampering is rejected by both with the sentence naming the field.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { expect } from "chai";
import { ContractFactory, Wallet, ZeroAddress, parseEther, toBeHex, zeroPadValue } from "ethers";
import type { Contract, InterfaceAbi } from "ethers";

import { Mode, deriveFieldSalts, fieldTree, randomSalts } from "@verity-ai/sdk";
import { ROOT, deployProtocol, fundRequester, openRequest, startNode } from "../helpers/node.ts";
import type { LocalNode, Protocol } from "../helpers/node.ts";
import { tmp } from "../worker/helpers.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const MANIFEST = join(ROOT, "models", "breast-cancer-mlp", "manifest.json");
const NAMES: string[] = JSON.parse(readFileSync(MANIFEST, "utf8")).input.fields.map((f: { name: string }) => f.name);
/** One patient's ten "worst" measurements, in the manifest's units, and as the fixed-point integers committed. */
const UNITS = ["25.38", "17.33", "184.6", "2019", "0.1622", "0.6656", "0.7119", "0.2654", "0.4601", "0.1189"];
const ENCODED = [25380n, 1733n, 18460n, 20190n, 16220n, 66560n, 711900n, 265400n, 4601n, 11890n];
const SALTS = randomSalts(10);
const tree = fieldTree(ENCODED, SALTS);
const COMMITMENT = zeroPadValue(toBeHex(tree.root), 32);

function artifact(path: string): { abi: InterfaceAbi; bytecode: string } {
  const name = path.split("/").pop()!;
  return JSON.parse(readFileSync(join(ROOT, "artifacts", "contracts", path + ".sol", name + ".json"), "utf8"));
}

describe("verity result disclose / check-disclosure (against a local node)", function () {
  this.timeout(240_000);
  let node: LocalNode;
  let p: Protocol;
  let dir: string;
  let deploymentFile: string;
  let verifier: string;
  let recordFile: string;
  let disclosureFile: string;

  /** Runs `verity` against the node and `deployment` (none: no chain at all, off-chain only). */
  function cli(args: string[], deployment: string | null = deploymentFile): Promise<Run> {
    return new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        [
          "--disable-warning=ExperimentalWarning",
          "--import",
          "tsx",
          join(ROOT, "cli/main.ts"),
          ...(deployment === null ? [] : ["--rpc", node.url, "--deployment", deployment]),
          ...args,
        ],
        { cwd: ROOT, env: { ...process.env, VERITY_PRIVATE_KEY: "" } },
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
  /** A copy of the disclosure file with `change` applied to its JSON, written beside it. */
  const tampered = (name: string, change: (d: DisclosureJson) => void): string => {
    const d = JSON.parse(readFileSync(disclosureFile, "utf8")) as DisclosureJson;
    change(d);
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(d));
    return file;
  };
  const check = (file: string, extra: string[] = []) =>
    cli(["result", "check-disclosure", file, "--commitment", COMMITMENT, "--verifier", verifier, ...extra]);

  before(async function () {
    node = await startNode();
    p = await deployProtocol(node);
    dir = await tmp("cli-disclose");
    const admin = p.admin;
    const deploy = async (path: string, args: unknown[]) => {
      const a = artifact(path);
      const c = await new ContractFactory(a.abi, a.bytecode, admin).deploy(...args);
      await c.waitForDeployment();
      return c.getAddress();
    };
    const t3 = await deploy("generated/PoseidonT3", []);
    const t5 = await deploy("generated/PoseidonT5", []);
    verifier = await deploy("verifiers/FieldDisclosureVerifier", [t3, t5]);
    const addr = (c: Contract) => c.getAddress();
    const deployment = {
      chainId: 31337,
      token: await addr(p.token),
      registry: await addr(p.registry),
      staking: await addr(p.staking),
      coordinator: await addr(p.coordinator),
      tee: await addr(p.tee),
      attestation: await addr(p.attestation),
    };
    deploymentFile = join(dir, "deployment.json");
    writeFileSync(deploymentFile, JSON.stringify(deployment));
    writeFileSync(join(dir, "with-verifier.json"), JSON.stringify({ ...deployment, fieldDisclosure: verifier }));
    recordFile = join(dir, "record.json");
    writeFileSync(
      recordFile,
      JSON.stringify({
        model: "breast-cancer-mlp",
        values: Object.fromEntries(NAMES.map((n, i) => [n, UNITS[i]])),
        salts: Object.fromEntries(NAMES.map((n, i) => [n, SALTS[i]!.toString()])),
      }),
    );
    disclosureFile = join(dir, "disclosure.json");
  });

  after(async function () {
    await node?.stop();
  });

  it("disclose writes the chosen fields (names, units, values, salts, paths) under the record's tree root", async function () {
    const out = await json([
      "result",
      "disclose",
      "--record",
      recordFile,
      "--fields",
      "worst_perimeter,7",
      "--manifest",
      "models/breast-cancer-mlp",
      "--out",
      disclosureFile,
    ]);
    expect(out).to.deep.equal({
      commitment: COMMITMENT,
      fieldCount: 10,
      disclosed: ["worst_perimeter", "worst_concave_points"],
      out: disclosureFile,
    });
    const d = JSON.parse(readFileSync(disclosureFile, "utf8")) as DisclosureJson;
    expect(d.model).to.equal("breast-cancer-mlp");
    expect(d.commitment).to.equal(tree.root.toString());
    expect(d.fieldCount).to.equal(10);
    expect(d.fields.map((f) => [f.index, f.name, f.unit, f.scale, f.value, f.salt])).to.deep.equal([
      [2, "worst_perimeter", "image length unit (the source does not name it)", 100, "18460", SALTS[2]!.toString()],
      [7, "worst_concave_points", "dimensionless", 1000000, "265400", SALTS[7]!.toString()],
    ]);
    expect(d.fields.map((f) => f.leaf)).to.deep.equal([tree.leaves[2]!.toString(), tree.leaves[7]!.toString()]);
    // Ten fields: a 4-ary tree of depth 2, three siblings per level.
    for (const f of d.fields) expect(f.path.map((l) => l.length)).to.deep.equal([3, 3]);
  });

  it("disclose refuses a record it cannot commit exactly, naming the field and the fix", async function () {
    const bad = join(dir, "bad-record.json");
    const record = JSON.parse(readFileSync(recordFile, "utf8"));
    writeFileSync(bad, JSON.stringify({ ...record, values: { ...record.values, worst_radius: "25.3805" } }));
    let r = await cli([
      "result",
      "disclose",
      "--record",
      bad,
      "--fields",
      "0",
      "--manifest",
      "models/breast-cancer-mlp",
    ]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(
      "error: the record's value 25.3805 of worst_radius has more decimals than its scale 1000 allows: give it to at most 3 decimals, as committed\n",
    );
    r = await cli([
      "result",
      "disclose",
      "--record",
      recordFile,
      "--fields",
      "worst_radius,tumour_size",
      "--manifest",
      "models/breast-cancer-mlp",
    ]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(
      `error: --fields: "tumour_size" is not a field of this model: use a name or an index from 0 to 9 (${NAMES.join(", ")})\n`,
    );
    const { worst_area: _dropped, ...fewer } = record.salts;
    writeFileSync(bad, JSON.stringify({ ...record, salts: fewer }));
    r = await cli(["result", "disclose", "--record", bad, "--fields", "0", "--manifest", "models/breast-cancer-mlp"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal("error: --record: the salt of worst_area is missing: give one salt per field\n");
  });

  it("disclose derives the salts from a master salt when the record gives one", async function () {
    const master = randomSalts(1)[0]!;
    const file = join(dir, "master-record.json");
    const record = JSON.parse(readFileSync(recordFile, "utf8"));
    writeFileSync(file, JSON.stringify({ model: record.model, values: record.values, masterSalt: master.toString() }));
    const d = (await json([
      "result",
      "disclose",
      "--record",
      file,
      "--fields",
      "worst_radius",
      "--manifest",
      "models/breast-cancer-mlp",
    ])) as DisclosureJson;
    const salts = deriveFieldSalts(master, 10);
    expect(d.commitment).to.equal(fieldTree(ENCODED, salts).root.toString());
    expect(d.fields.map((f) => [f.index, f.value, f.salt])).to.deep.equal([[0, "25380", salts[0]!.toString()]]);
    writeFileSync(file, JSON.stringify({ ...record, masterSalt: master.toString() }));
    const r = await cli([
      "result",
      "disclose",
      "--record",
      file,
      "--fields",
      "0",
      "--manifest",
      "models/breast-cancer-mlp",
    ]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(
      `error: --record: ${file} gives both "salts" and "masterSalt": keep the one the commitment was made with\n`,
    );
  });

  it("check-disclosure passes off-chain and on-chain and says what stayed private", async function () {
    const r = await check(disclosureFile, ["--manifest", "models/breast-cancer-mlp"]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(
      [
        `disclosure VALID for commitment ${COMMITMENT}: checked off-chain and on-chain by ${verifier}`,
        "  disclosed worst_perimeter = 184.6 image length unit (the source does not name it)",
        "  disclosed worst_concave_points = 0.2654 dimensionless",
        `  private: 8 of 10 fields stay hidden (${NAMES.filter((_, i) => i !== 2 && i !== 7).join(", ")})`,
        "",
      ].join("\n"),
    );
  });

  it("check-disclosure --json: the verdict, what was disclosed in units, and what stayed private", async function () {
    const out = await json([
      "result",
      "check-disclosure",
      disclosureFile,
      "--commitment",
      COMMITMENT,
      "--verifier",
      verifier,
      "--manifest",
      "models/breast-cancer-mlp",
    ]);
    expect(out).to.deep.equal({
      ok: true,
      commitment: COMMITMENT,
      model: "breast-cancer-mlp",
      fieldCount: 10,
      offChain: { ok: true },
      onChain: { ok: true, verifier },
      disclosed: [
        {
          index: 2,
          name: "worst_perimeter",
          unit: "image length unit (the source does not name it)",
          encoded: "18460",
          value: "184.6",
        },
        { index: 7, name: "worst_concave_points", unit: "dimensionless", encoded: "265400", value: "0.2654" },
      ],
      private: NAMES.filter((_, i) => i !== 2 && i !== 7),
    });
  });

  it("check-disclosure without a chain checks off-chain only", async function () {
    const r = await cli(["result", "check-disclosure", disclosureFile, "--commitment", tree.root.toString()], null);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.split("\n").slice(0, 3)).to.deep.equal([
      `disclosure VALID for commitment ${COMMITMENT}: checked off-chain`,
      "  disclosed worst_perimeter = 184.6 image length unit (the source does not name it)",
      "  disclosed worst_concave_points = 0.2654 dimensionless",
    ]);
    const out = JSON.parse(
      (await cli(["result", "check-disclosure", disclosureFile, "--commitment", COMMITMENT, "--json"], null)).stdout,
    );
    expect([out.ok, out.offChain, out.onChain]).to.deep.equal([true, { ok: true }, null]);
    const bad = await cli(
      ["result", "check-disclosure", disclosureFile, "--commitment", (1n << 256n).toString()],
      null,
    );
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.equal(
      `error: --commitment must be a 32-byte value in 0x-hex or decimal, got "${1n << 256n}"\n`,
    );
  });

  it("check-disclosure takes the verifier from the deployment and the commitment from a request", async function () {
    const requester = Wallet.createRandom().connect(node.provider);
    await node.rpc("hardhat_setBalance", [requester.address, "0x" + parseEther("10").toString(16)]);
    const from = await fundRequester(p, requester);
    // A private request: only the record's commitment goes on chain.
    const opened = await openRequest(p, from, {
      modelId: p.models["iris"]!.modelId,
      mode: Mode.TEE,
      operator: ZeroAddress,
      inputCommitment: COMMITMENT,
    });
    expect(opened.request.inputHash).to.equal(COMMITMENT);
    const r = await cli(
      ["result", "check-disclosure", disclosureFile, "--request", opened.requestId.toString(), "--json"],
      join(dir, "with-verifier.json"),
    );
    expect(r.code, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out.request).to.equal(`0x${opened.requestId.toString(16).padStart(64, "0")}`);
    expect(out.commitment).to.equal(COMMITMENT);
    expect(out.onChain).to.deep.equal({ ok: true, verifier });
    // Without --manifest, the names are the disclosure file's.
    expect(out.disclosed.map((f: { name: string }) => f.name)).to.deep.equal([
      "worst_perimeter",
      "worst_concave_points",
    ]);
  });

  describe("every tampering is rejected off-chain and on-chain, naming the field", function () {
    it("a wrong value", async function () {
      const file = tampered("value", (d) => (d.fields[0]!.value = "18461"));
      const r = await check(file, ["--manifest", "models/breast-cancer-mlp"]);
      expect(r.code).to.equal(1);
      expect(r.stdout).to.equal("");
      expect(r.stderr).to.equal(
        [
          "error: off-chain check: the value or the salt of field 2 (worst_perimeter) is wrong: Poseidon(value, salt) is not its committed leaf",
          `error: on-chain check (${verifier}): field 2's value or salt is wrong (they do not hash to the committed leaf): disclose the exact value and its salt (FieldDisclosureOpeningMismatch(2, ${tree.leaves[2]}))`,
          "",
        ].join("\n"),
      );
    });

    it("a value outside the field's range (off-chain, with the manifest's bit widths)", async function () {
      const file = tampered("range", (d) => (d.fields[0]!.value = (1n << 16n).toString()));
      const r = await check(file, ["--manifest", "models/breast-cancer-mlp"]);
      expect(r.code).to.equal(1);
      expect(r.stderr.split("\n")[0]).to.equal(
        "error: off-chain check: the value 65536 of field 2 (worst_perimeter) is outside its range [0, 2^16)",
      );
    });

    it("a wrong salt", async function () {
      const file = tampered("salt", (d) => (d.fields[1]!.salt = (SALTS[7]! + 1n).toString()));
      const r = await check(file);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.equal(
        [
          "error: off-chain check: the value or the salt of field 7 is wrong: Poseidon(value, salt) is not its committed leaf",
          `error: on-chain check (${verifier}): field 7's value or salt is wrong (they do not hash to the committed leaf): disclose the exact value and its salt (FieldDisclosureOpeningMismatch(7, ${tree.leaves[7]}))`,
          "",
        ].join("\n"),
      );
    });

    it("a wrong index", async function () {
      const file = tampered("index", (d) => (d.fields[0]!.index = 3));
      const r = await check(file);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.equal(
        [
          "error: off-chain check: field 3's opening and path are those of field 2: the index is wrong",
          `error: on-chain check (${verifier}): the opening given for field 3 is the one of field 2: disclose it under index 2 (FieldDisclosureWrongIndex(3, 2))`,
          "",
        ].join("\n"),
      );
    });

    it("a wrong path", async function () {
      const file = tampered(
        "path",
        (d) => (d.fields[1]!.path[1]![0] = (BigInt(d.fields[1]!.path[1]![0]!) + 1n).toString()),
      );
      const r = await check(file, ["--manifest", "models/breast-cancer-mlp"]);
      expect(r.code).to.equal(1);
      const lines = r.stderr.split("\n");
      expect(lines[0]).to.equal(
        "error: off-chain check: the Merkle path of field 7 (worst_concave_points) does not lead to the commitment",
      );
      expect(lines[1]).to.match(
        new RegExp(
          `^error: on-chain check \\(${verifier}\\): field 7's path leads to 0x[0-9a-f]{64}, not the commitment ${COMMITMENT}: the path \\(or the commitment\\) is wrong \\(FieldDisclosurePathMismatch\\(7, 0x[0-9a-f]{64}, ${COMMITMENT}\\)\\)$`,
        ),
      );
    });

    it("a path of the wrong length (a record layout of another size)", async function () {
      const file = tampered("shape", (d) => (d.fieldCount = 17));
      let r = await check(file, ["--manifest", "models/breast-cancer-mlp"]);
      expect(r.code).to.equal(1);
      expect(r.stderr.split("\n")[0]).to.equal(
        "error: off-chain check: the disclosure says 17 fields, the circuit has 10: it is for another record layout",
      );
      r = await check(file);
      expect(r.stderr).to.equal(
        [
          "error: off-chain check: the path of field 2 must have 3 levels of 3 siblings",
          `error: on-chain check (${verifier}): field 2's path has 2 levels, the tree has 3: build the path with discloseFields (FieldDisclosurePathLength(2, 2, 3))`,
          "",
        ].join("\n"),
      );
    });

    it("another commitment", async function () {
      const other = zeroPadValue(toBeHex(fieldTree(ENCODED, randomSalts(10)).root), 32);
      const r = await cli([
        "result",
        "check-disclosure",
        disclosureFile,
        "--commitment",
        other,
        "--verifier",
        verifier,
        "--json",
      ]);
      expect(r.code).to.equal(1);
      const out = JSON.parse(r.stdout);
      expect(out.ok).to.equal(false);
      expect(out.commitment).to.equal(other);
      expect(out.offChain).to.deep.equal({
        ok: false,
        problem: "shape",
        message: `the disclosure is for commitment ${tree.root}, not ${BigInt(other)}: check which request it belongs to`,
      });
      expect(out.onChain.ok).to.equal(false);
      expect(out.onChain.error.name).to.equal("FieldDisclosurePathMismatch");
      expect(out.onChain.error.args).to.deep.equal(["2", COMMITMENT, other]);
      expect(out.disclosed).to.deep.equal([]);
      expect(out.private).to.deep.equal([]);
    });
  });

  it("check-disclosure needs exactly one commitment source and a verifier that exists", async function () {
    const r = await cli(["result", "check-disclosure", disclosureFile]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(
      "error: give the commitment to check against: either --commitment <0x…> or --request <requestId>, not both\n",
    );
    const nobody = Wallet.createRandom().address;
    const v = await cli([
      "result",
      "check-disclosure",
      disclosureFile,
      "--commitment",
      COMMITMENT,
      "--verifier",
      nobody,
    ]);
    expect(v.code).to.equal(1);
    expect(v.stderr).to.equal(
      `error: no contract is deployed at ${nobody} on this chain: give the FieldDisclosureVerifier's address (--verifier, or "fieldDisclosure" in the deployment)\n`,
    );
  });
});

interface DisclosureJson {
  model: string;
  commitment: string;
  fieldCount: number;
  fields: {
    index: number;
    name: string;
    unit: string;
    scale: number;
    value: string;
    salt: string;
    leaf: string;
    path: string[][];
  }[];
}
