/**
 * The SDK as a package: its generated files match the build, its protocol facts match the contracts,
 * its main entry bundles for a browser (no Node built-ins, no file reads) and loads nothing heavy.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

import { expect } from "chai";
import { build } from "esbuild";
import { Interface, ZeroAddress } from "ethers";
import { network } from "hardhat";

import {
  CALLBACK_RESERVE_GAS,
  InferenceCoordinatorAbi,
  Mode,
  PROTOCOL_ERRORS,
  REQUEST_LAYOUT,
  RequestStatus,
  callbackGasBudget,
  decodeRevert,
  ERROR_SENTENCES,
  explainRevert,
  splitFee,
} from "@verity-ai/sdk";
import { deployEnv } from "../helpers/coordinator.ts";

const ROOT = join(import.meta.dirname, "..", "..");

describe("@verity-ai/sdk as a package", function () {
  this.timeout(120_000);

  it("its generated ABIs, bindings and error table match the contracts as built (npm run generate)", function () {
    const r = spawnSync(process.execPath, [join(ROOT, "scripts", "generate.ts"), "--check"], { encoding: "utf8" });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/generated files match the build/);
  });

  it("reads the Request layout from the coordinator's ABI, field for field", function () {
    const event = InferenceCoordinatorAbi.find((i) => i.type === "event" && i.name === "InferenceRequested")!;
    const fields = (event.inputs as readonly { name: string; components?: readonly { name: string }[] }[]).find(
      (i) => i.name === "request",
    )!.components!;
    expect(REQUEST_LAYOUT.map(([name]) => name)).to.deep.equal(fields.map((f) => f.name));
  });

  it("states the coordinator's callback reserve, statuses, modes and fee split as the chain does", async function () {
    const d = await deployEnv(await network.create());
    expect(await d.coordinator.CALLBACK_RESERVE_GAS()).to.equal(CALLBACK_RESERVE_GAS);
    expect(callbackGasBudget({ callback: ZeroAddress, callbackGasLimit: 100_000n })).to.equal(0n);
    expect(callbackGasBudget({ callback: d.operator.address, callbackGasLimit: 63_000n })).to.equal(
      63_000n + 1_000n + CALLBACK_RESERVE_GAS,
    );
    expect(Mode).to.deep.equal({ TEE: 1, ZK: 2, OPTIMISTIC: 3 });
    expect(await d.coordinator.verifierOf(Mode.TEE)).to.equal(await d.tee.getAddress());
    expect(Object.keys(RequestStatus)).to.deep.equal(["None", "Open", "Fulfilled", "Refunded", "Accepted"]);
    // A royalty larger than what the protocol fee leaves is capped, as requestInference caps it.
    expect(splitFee(100n, 0n, 9_800n, 500n)).to.deep.equal({
      fee: 100n,
      protocolFee: 5n,
      royalty: 95n,
      operatorShare: 0n,
    });
  });

  it("decodes any protocol revert into its custom error and arguments", function () {
    expect(PROTOCOL_ERRORS.length).to.be.greaterThan(50);
    const data = new Interface([
      "error CoordinatorRequestExpired(uint256 requestId, uint256 deadline)",
    ]).encodeErrorResult("CoordinatorRequestExpired", [7n, 99n]);
    expect(decodeRevert(data)).to.deep.equal({
      name: "CoordinatorRequestExpired",
      args: [7n, 99n],
      text: "CoordinatorRequestExpired(7, 99)",
    });
    expect(decodeRevert({ info: { error: { data } } })?.name).to.equal("CoordinatorRequestExpired");
    expect(decodeRevert("0xdeadbeef")).to.equal(undefined);
  });

  it("bundles for a browser: no Node built-ins, and snarkjs only behind a dynamic import", async function () {
    const out = await build({
      entryPoints: [join(ROOT, "sdk", "src", "index.ts")],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      splitting: true,
      outdir: "out",
      external: ["ethers"],
      logLevel: "silent",
    });
    const main = out.outputFiles.find((f) => f.path.endsWith("index.js"))!;
    expect(main.text).to.not.match(/from\s*["']node:|require\(["']node:/);
    // snarkjs sits in its own chunk, fetched the first time a ZK proof is verified.
    expect(main.text).to.not.include("groth16_verify");
    expect(out.outputFiles.length).to.be.greaterThan(1);
    console.log(
      `      browser bundle: main ${(main.text.length / 1024).toFixed(0)} KiB (ethers external), ${out.outputFiles.length - 1} lazy chunk(s)`,
    );
  });
});

describe("error sentences", function () {
  it("every custom error of every shipped contract has a sentence that names the problem and a fix", function () {
    const names = PROTOCOL_ERRORS.map((e) => /^error (\w+)\(/.exec(e)![1]!);
    const missing = names.filter((n) => !(n in ERROR_SENTENCES));
    expect(missing, `errors without a sentence in sdk/src/sentences.ts: ${missing.join(", ")}`).to.deep.equal([]);
    const extra = Object.keys(ERROR_SENTENCES).filter((n) => !names.includes(n));
    expect(extra, `sentences for errors no contract declares: ${extra.join(", ")}`).to.deep.equal([]);
  });

  it("reads a revert as a sentence with amounts in the token's units", function () {
    const data = new Interface([
      "error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)",
    ]).encodeErrorResult("ERC20InsufficientBalance", [ZeroAddress, 0n, 2_000_000n]);
    expect(explainRevert(data, { symbol: "USDC", decimals: 6 })).to.equal(
      `${ZeroAddress} holds 0.0 USDC and needs 2.0 USDC: fund the wallet (on a local chain: "verity token mint")`,
    );
    expect(explainRevert("0x12345678")).to.equal(undefined);
  });
});
