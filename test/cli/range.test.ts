/**
 * `verity result prove-range` / `verity result check-range` end to end on a real `hardhat node`: a
 * private request commits to a diagnosis record of ten fields; the requester proves that worst radius
 * lies in [20, 30] without revealing it; the proof is checked off-chain by the SDK and on-chain by a
 * FieldRangeD2Groth16Verifier; a false predicate and replays against another request, other bounds and
 * another field are refused with sentences that say why.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { expect } from "chai";
import { ContractFactory, Wallet, ZeroAddress, parseEther, toBeHex, zeroPadValue } from "ethers";
import type { Contract, InterfaceAbi } from "ethers";

import { Mode, fieldTree, randomSalts } from "@verity-ai/sdk";
import { ROOT, deployProtocol, fundRequester, openRequest, startNode } from "../helpers/node.ts";
import type { LocalNode, Opened, Protocol } from "../helpers/node.ts";
import { tmp } from "../worker/helpers.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const MANIFEST = join(ROOT, "models", "breast-cancer-mlp", "manifest.json");
const NAMES: string[] = JSON.parse(readFileSync(MANIFEST, "utf8")).input.fields.map((f: { name: string }) => f.name);
const UNITS = ["25.38", "17.33", "184.6", "2019", "0.1622", "0.6656", "0.7119", "0.2654", "0.4601", "0.1189"];
const ENCODED = [25380n, 1733n, 18460n, 20190n, 16220n, 66560n, 711900n, 265400n, 4601n, 11890n];
const SALTS = randomSalts(10);
const tree = fieldTree(ENCODED, SALTS);
const COMMITMENT = zeroPadValue(toBeHex(tree.root), 32);
const OTHER = zeroPadValue(toBeHex(fieldTree(ENCODED, randomSalts(10)).root), 32);
const hexId = (id: bigint) => `0x${id.toString(16).padStart(64, "0")}`;

function artifact(path: string): { abi: InterfaceAbi; bytecode: string } {
  const name = path.split("/").pop()!;
  return JSON.parse(readFileSync(join(ROOT, "artifacts", "contracts", path + ".sol", name + ".json"), "utf8"));
}

describe("verity result prove-range / check-range (against a local node)", function () {
  this.timeout(240_000);
  let node: LocalNode;
  let p: Protocol;
  let dir: string;
  let deploymentFile: string;
  let verifier: string;
  let recordFile: string;
  let proofFile: string;
  let mine: Opened;
  let other: Opened;

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
        { cwd: ROOT, env: { ...process.env, VERITY_PRIVATE_KEY: "" } },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }
  const prove = (requestId: bigint, field: string, min: string, max: string, out = proofFile) =>
    cli([
      "result",
      "prove-range",
      requestId.toString(),
      "--field",
      field,
      "--min",
      min,
      "--max",
      max,
      "--record",
      recordFile,
      "--out",
      out,
      "--json",
    ]);
  /** A copy of the proof file with `change` applied to its JSON. */
  const tampered = (name: string, change: (d: Record<string, unknown>) => void): string => {
    const d = JSON.parse(readFileSync(proofFile, "utf8")) as Record<string, unknown>;
    change(d);
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(d));
    return file;
  };

  before(async function () {
    node = await startNode();
    p = await deployProtocol(node);
    dir = await tmp("cli-range");
    const a = artifact("generated/FieldRangeD2Groth16Verifier");
    const c = await new ContractFactory(a.abi, a.bytecode, p.admin).deploy(await p.coordinator.getAddress());
    await c.waitForDeployment();
    verifier = await c.getAddress();
    const addr = (x: Contract) => x.getAddress();
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
        fieldRange: verifier,
      }),
    );
    recordFile = join(dir, "record.json");
    writeFileSync(
      recordFile,
      JSON.stringify({
        model: "breast-cancer-mlp",
        values: Object.fromEntries(NAMES.map((n, i) => [n, UNITS[i]])),
        salts: Object.fromEntries(NAMES.map((n, i) => [n, SALTS[i]!.toString()])),
      }),
    );
    proofFile = join(dir, "range.json");
    const requester = Wallet.createRandom().connect(node.provider);
    await node.rpc("hardhat_setBalance", [requester.address, "0x" + parseEther("10").toString(16)]);
    const from = await fundRequester(p, requester);
    const open = (inputCommitment: string) =>
      openRequest(p, from, {
        modelId: p.models["iris"]!.modelId,
        mode: Mode.TEE,
        operator: ZeroAddress,
        inputCommitment,
      });
    mine = await open(COMMITMENT);
    other = await open(OTHER);
  });

  after(async function () {
    await node?.stop();
  });

  it("prove-range writes a proof that worst radius lies in [20, 30] and reveals no value or salt", async function () {
    const r = await prove(mine.requestId, "worst_radius", "20", "30");
    expect(r.code, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out).to.include({
      request: hexId(mine.requestId),
      commitment: COMMITMENT,
      field: "worst_radius",
      min: "20",
      max: "30",
      out: proofFile,
    });
    const file = JSON.parse(readFileSync(proofFile, "utf8"));
    expect(file).to.deep.include({
      kind: "verity-field-range/1",
      model: "breast-cancer-mlp",
      request: hexId(mine.requestId),
      field: { index: 0, name: "worst_radius", unit: "image length unit (the source does not name it)", scale: 1000 },
      bounds: { min: "20", max: "30" },
      commitment: tree.root.toString(),
      fieldCount: 10,
      index: 0,
      min: "20000",
      max: "30000",
    });
    const text = readFileSync(proofFile, "utf8");
    expect(text).not.to.contain("25380");
    expect(text).not.to.contain(SALTS[0]!.toString());
  });

  it("check-range accepts it off-chain and on-chain (the deployment's verifier, the file's request)", async function () {
    const r = await cli(["result", "check-range", proofFile, "--json"]);
    expect(r.code, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out).to.deep.include({
      ok: true,
      request: hexId(mine.requestId),
      commitment: COMMITMENT,
      field: { index: 0, name: "worst_radius" },
      min: "20000",
      max: "30000",
      offChain: { ok: true },
      onChain: { ok: true, verifier },
    });
    const human = await cli(["result", "check-range", proofFile]);
    expect(human.stdout).to.equal(
      `range proof VALID: worst_radius (field 0) of request ${hexId(mine.requestId)} lies in [20, 30] image length unit (the source does not name it)\n` +
        `  checked off-chain and on-chain by ${verifier}; the value and every other field stay private\n`,
    );
  });

  it("prove-range refuses a false predicate, out-of-range bounds and a record that is not the request's", async function () {
    const f = await prove(mine.requestId, "worst_radius", "26", "30");
    expect(f.code).to.equal(1);
    const message = (r: Run) => (JSON.parse(r.stderr) as { error: { message: string } }).error.message;
    expect(message(f)).to.equal(
      "worst_radius of this record is not in [26, 30] image length unit (the source does not name it): a false predicate cannot be proved; choose bounds that hold",
    );
    const neg = await prove(mine.requestId, "worst_radius", "-1", "30");
    expect(message(neg)).to.equal(
      "--min -1 is outside worst_radius's range [0, 131.071] image length unit (the source does not name it) (the record encodes it in 17 bits): give a bound within it",
    );
    const wrong = await prove(other.requestId, "worst_radius", "20", "30", join(dir, "unused.json"));
    expect(message(wrong)).to.equal(
      `the record's commitment ${COMMITMENT} is not request ${hexId(other.requestId)}'s inputHash ${OTHER}: this record (or its salts) is not the one committed in that request`,
    );
  });

  it("check-range rejects the proof replayed for another request, other bounds and another field, on and off chain", async function () {
    const other_ = await cli(["result", "check-range", proofFile, "--request", other.requestId.toString(), "--json"]);
    expect(other_.code, other_.stderr).to.equal(1);
    expect(other_.stdout, other_.stderr).to.not.equal("");
    const o = JSON.parse(other_.stdout);
    expect(o.offChain.message).to.equal(
      `the proof is for commitment ${tree.root}, not ${BigInt(OTHER)}: check which request it belongs to`,
    );
    expect(o.onChain.error).to.deep.equal({
      name: "FieldRangeInvalidProof",
      args: [OTHER, "0", "20000", "30000"],
    });

    const wider = tampered("wider", (d) => (d.max = "31000"));
    const w = JSON.parse((await cli(["result", "check-range", wider, "--json"])).stdout);
    expect(w.ok).to.equal(false);
    expect(w.offChain.problem).to.equal("proof");
    expect(w.onChain.error).to.deep.equal({
      name: "FieldRangeInvalidProof",
      args: [COMMITMENT, "0", "20000", "31000"],
    });

    const field = tampered("field", (d) => (d.index = 3));
    const human = await cli(["result", "check-range", field]);
    expect(human.code).to.equal(1);
    expect(human.stderr).to.contain(
      `error: off-chain check: the proof does not show that field 3 (worst_radius) of commitment ${tree.root} lies in [20000, 30000]: it was made for another record, field or bounds\n`,
    );
    expect(human.stderr).to.contain(`error: on-chain check (${verifier}): `);
    expect(human.stderr).to.contain("FieldRangeInvalidProof");
  });
});
