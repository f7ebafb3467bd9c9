/**
 * Verity as an outside developer meets it: every workspace package is packed with `npm pack` and
 * installed from its tarball into a fresh project in a temp dir (`npm install --offline`, from the
 * cache that `npm ci` filled), which has never seen this repository. Then:
 * (a) a Hardhat 3 project compiles a consumer contract that imports `@verity-ai/contracts` with no
 *     remapping and unit-tests it against the package's test coordinator;
 * (b) a plain-Node ESM script imports `@verity-ai/sdk`, requests an inference on a local node served
 *     by the installed `verity-node` executable, waits for the result and re-verifies it;
 * (c) the installed `verity` CLI answers `--help` without loading onnxruntime.
 * The SDK's installed size, with its dependencies, is printed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, readdirSync, mkdirSync, writeFileSync, statSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";

import { expect } from "chai";
import { Wallet, type Contract } from "ethers";

import { MEASUREMENT, MODELS_DIR, ROOT, deployProtocol, fundRequester, startNode } from "../helpers/node.ts";
import type { LocalNode, Protocol } from "../helpers/node.ts";
import { newOperator, tmp } from "../worker/helpers.ts";

const PACKAGES = ["@verity-ai/contracts", "@verity-ai/sdk", "@verity-ai/node", "@verity-ai/cli"];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Our Node 22 first on PATH (and none of the repository's tools); no export condition of the
 * repository, so packages run their dist/.
 */
function outsideEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  // Nor the settings of the Hardhat process running this test (HARDHAT_* global options, e.g. its config).
  for (const k of Object.keys(env)) if (k.startsWith("npm_") || k.startsWith("HARDHAT_")) delete env[k];
  env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ""}`;
  return env;
}

function run(cmd: string, args: string[], cwd: string, env = outsideEnv()): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function ok(cmd: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await run(cmd, args, cwd, env);
  expect(r.code, `${cmd} ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).to.equal(0);
  return r.stdout;
}

type LockEntry = Record<string, unknown> & { version?: string };
const ROOT_LOCK = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
  packages: Record<string, LockEntry>;
};

/** The version our lockfile installed. */
function locked(name: string): string {
  const v = ROOT_LOCK.packages[`node_modules/${name}`]?.version;
  if (!v) throw new Error(`${name} is not in package-lock.json`);
  return v;
}

/**
 * A fresh project depending on `deps`, with a lockfile that pins every third-party package to the
 * version (and integrity) our own lockfile installed. \`npm ci\` caches tarballs but not the
 * registry's package documents, so an offline install can only resolve what a lockfile pins; the
 * project still imports nothing but the packages it depends on, and npm installs only what they reach.
 */
function outsideProject(dir: string, name: string, deps: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module", dependencies: deps }));
  const packages: Record<string, LockEntry> = { "": { name, dependencies: deps } };
  for (const [path, entry] of Object.entries(ROOT_LOCK.packages)) {
    if (!path.startsWith("node_modules/") || path.startsWith("node_modules/@verity-ai/")) continue;
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...rest } = entry;
    packages[path] = rest;
  }
  writeFileSync(join(dir, "package-lock.json"), JSON.stringify({ name, lockfileVersion: 3, requires: true, packages }));
  writeFileSync(join(dir, ".npmrc"), "onnxruntime-node-install=skip\n");
}

/** Installs offline from the npm cache (peers are listed explicitly, so npm need not resolve peer sets). */
const INSTALL = ["install", "--offline", "--no-audit", "--no-fund", "--legacy-peer-deps"];

function duBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) total += duBytes(p);
    else if (entry.isFile()) total += statSync(p).size;
  }
  return total;
}

const CONSUMER = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {InferenceConsumer} from "@verity-ai/contracts/consumer/InferenceConsumer.sol";
import {IInferenceCoordinator} from "@verity-ai/contracts/interfaces/IInferenceCoordinator.sol";
import {RequestParams} from "@verity-ai/contracts/libraries/VerityTypes.sol";

/// An outside dApp: asks a model, keeps the last answer, counts refunds.
contract Oracle is InferenceConsumer {
    bytes public lastOutput;
    uint256 public lastRequest;
    uint256 public refunds;

    constructor(IInferenceCoordinator coordinator_) InferenceConsumer(coordinator_) {}

    function ask(bytes32 modelId, bytes calldata input) external returns (uint256 id) {
        RequestParams memory p;
        p.modelId = modelId;
        p.mode = 1;
        p.callbackGasLimit = 200_000;
        p.timeout = 3600;
        p.input = input;
        id = _requestInference(p);
        lastRequest = id;
    }

    function _onInferenceResult(uint256, bytes calldata output) internal override {
        lastOutput = output;
    }

    function _onInferenceRefunded(uint256, uint256) internal override {
        refunds += 1;
    }
}
`;

const TEST_TOKEN = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

contract DollarForTests is ERC20 {
    constructor() ERC20("Dollar", "USD") {}
}
`;

const CONSUMER_TEST = `import { expect } from "chai";
import { network } from "hardhat";

describe("Oracle (an outside consumer) against the test coordinator", function () {
  it("gets the result of its own request, and hears of a refund", async function () {
    const { ethers } = await network.create();
    const token = await ethers.deployContract("DollarForTests");
    const coordinator = await ethers.deployContract("TestInferenceCoordinator", [await token.getAddress()]);
    const oracle = await ethers.deployContract("Oracle", [await coordinator.getAddress()]);
    const model = ethers.id("model");

    await (await oracle.ask(model, "0x01")).wait();
    const first = await oracle.lastRequest();
    await (await coordinator.deliverResult(first, "0xbeef")).wait();
    expect(await oracle.lastOutput()).to.equal("0xbeef");

    await (await oracle.ask(model, "0x02")).wait();
    const second = await oracle.lastRequest();
    expect(second).to.not.equal(first);
    await (await coordinator.refundRequest(second)).wait();
    expect(await oracle.refunds()).to.equal(1n);
  });
});
`;

const HARDHAT_CONFIG = `import { createRequire } from "node:module";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import hardhatMocha from "@nomicfoundation/hardhat-mocha";
import { defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);
export default defineConfig({
  plugins: [hardhatEthers, hardhatMocha],
  solidity: {
    version: require("solc/package.json").version,
    path: require.resolve("solc/soljson.js"),
    // The package's test coordinator gets an artifact of its own, to deploy in unit tests.
    npmFilesToBuild: ["@verity-ai/contracts/testing/TestInferenceCoordinator.sol"],
  },
});
`;

/** A dApp's script: plain Node, ESM, the SDK by its package name. */
const SDK_SCRIPT = `import { JsonRpcProvider, NonceManager, Wallet } from "ethers";
import { VerityClient, encodeInput, verifyResult, parseDeployment } from "@verity-ai/sdk";

const [rpc, deploymentJson, modelId] = process.argv.slice(2);
const provider = new JsonRpcProvider(rpc, undefined, { cacheTimeout: -1 });
const signer = new NonceManager(new Wallet(process.env.DAPP_KEY, provider));
const client = new VerityClient(parseDeployment(JSON.parse(deploymentJson)), signer);
const input = encodeInput("int32be-milli-x4", [5.1, 3.5, 1.4, 0.2]);
const { requestId } = await client.request({ modelId, input });
const view = await client.waitForResult(requestId, { timeoutMs: 90_000 });
const check = await verifyResult(client, requestId, view);
console.log(JSON.stringify({ requestId: requestId.toString(), status: view.status, ok: check.ok, output: check.output }));
`;

describe("packages, installed by an outside project", function () {
  this.timeout(600_000);
  let dir: string;
  let node: LocalNode | undefined;
  let worker: ChildProcess | undefined;

  before(async function () {
    dir = await tmp("outsider");
    const tarballs = join(dir, "tarballs");
    mkdirSync(tarballs);
    const packed = JSON.parse(
      await ok(
        "npm",
        ["pack", "--json", "--pack-destination", tarballs, ...PACKAGES.flatMap((p) => ["--workspace", p])],
        ROOT,
        // Inside the repository the build of each package runs with its own scripts.
        { ...process.env, PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH ?? ""}` },
      ),
    ) as { name: string; filename: string; files: { path: string }[] }[];
    expect(packed.map((p) => p.filename.replace(/-\d.*$/, ""))).to.deep.equal([
      "verity-ai-contracts",
      "verity-ai-sdk",
      "verity-ai-node",
      "verity-ai-cli",
    ]);
    const contractFiles = packed[0]!.files.map((f) => f.path);
    expect(contractFiles).to.include("consumer/InferenceConsumer.sol");
    expect(contractFiles).to.include("abi/InferenceCoordinator.json");
    expect(contractFiles.filter((f) => f.startsWith("mocks/") || f.startsWith("examples/"))).to.deep.equal([]);

    const project = join(dir, "dapp");
    const deps: Record<string, string> = Object.fromEntries(
      packed.map((p) => [p.name, `file:${join(tarballs, p.filename)}`]),
    );
    for (const name of [
      "ethers",
      "hardhat",
      "@nomicfoundation/edr-linux-x64-gnu",
      "@nomicfoundation/hardhat-ethers",
      "@nomicfoundation/hardhat-mocha",
      "mocha",
      "chai",
      "solc",
      "@openzeppelin/contracts",
    ])
      deps[name] = locked(name);
    outsideProject(project, "dapp", deps);
    await ok("npm", INSTALL, project);
  });

  after(async function () {
    worker?.kill("SIGTERM");
    await node?.stop();
  });

  it("compiles a consumer importing @verity-ai/contracts and unit-tests it against the test coordinator", async function () {
    const project = join(dir, "dapp");
    mkdirSync(join(project, "contracts"));
    mkdirSync(join(project, "test"));
    writeFileSync(join(project, "hardhat.config.ts"), HARDHAT_CONFIG);
    writeFileSync(join(project, "contracts", "Oracle.sol"), CONSUMER);
    writeFileSync(join(project, "contracts", "DollarForTests.sol"), TEST_TOKEN);
    writeFileSync(join(project, "test", "oracle.test.ts"), CONSUMER_TEST);
    const out = await ok(join(project, "node_modules", ".bin", "hardhat"), ["test", "mocha"], project);
    expect(out).to.match(/1 passing/);
  });

  it("runs the installed node, and a plain-Node script requests, waits for and re-verifies a result with the SDK", async function () {
    const project = join(dir, "dapp");
    node = await startNode();
    const p: Protocol = await deployProtocol(node);
    const op = await newOperator(p);
    const config = join(dir, "worker.json");
    writeFileSync(
      config,
      JSON.stringify({
        rpcUrl: node.url,
        deployment: { coordinator: await p.coordinator.getAddress(), tee: await p.tee.getAddress() },
        measurement: MEASUREMENT,
        modelsDir: MODELS_DIR,
        confirmations: 0, // this automining node makes a block only per transaction
        pollIntervalMs: 100,
        dbPath: join(dir, "worker.sqlite"),
        httpPort: 0,
        intake: { port: 0 }, // a free port: tests run nodes side by side
        logLevel: "warn",
        // The only operator serving here: no grace period before stepping in for the others.
        policy: { graceSec: 0 },
      }),
    );
    const bin = join(project, "node_modules", ".bin", "verity-node");
    expect(existsSync(bin)).to.equal(true);
    worker = spawn(bin, ["--config", config], {
      cwd: project,
      env: outsideEnv({ VERITY_OPERATOR_KEY: op.wallet.privateKey, VERITY_ENCLAVE_KEY: op.enclave.privateKey }),
      stdio: ["ignore", "inherit", "inherit"],
    });

    const dapp = Wallet.createRandom();
    await (await p.admin.sendTransaction({ to: dapp.address, value: 10n ** 19n })).wait();
    await fundRequester(p, dapp.connect(node.provider));
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
    writeFileSync(join(project, "request.mjs"), SDK_SCRIPT);
    const out = await ok(
      "node",
      ["request.mjs", node.url, JSON.stringify(deployment), p.models.iris.modelId],
      project,
      outsideEnv({ DAPP_KEY: dapp.privateKey }),
    );
    const result = JSON.parse(out.trim().split("\n").pop()!) as { status: string; ok: boolean; output: string };
    expect(result.status).to.equal("Fulfilled");
    expect(result.ok).to.equal(true);
    expect(BigInt(result.output)).to.equal(0n); // setosa
  });

  it("runs the installed CLI without loading onnxruntime, and prints the SDK's installed size", async function () {
    const project = join(dir, "dapp");
    const help = await ok(
      "node",
      [
        "--import",
        "data:text/javascript,import{registerHooks}from'node:module';registerHooks({resolve(s,c,n){if(s.includes('onnxruntime'))throw new Error('onnxruntime loaded by '+c.parentURL);return n(s,c)}})",
        join(project, "node_modules", ".bin", "verity"),
        "--help",
      ],
      project,
    );
    expect(help).to.match(/model owners,\s+operators,\s+dApps\s+and\s+integrators/);

    // The SDK alone, with its dependencies and its ethers peer, in a project of its own.
    const sdkOnly = join(dir, "sdk-only");
    const tarball = readdirSync(join(dir, "tarballs")).find((f) => f.startsWith("verity-ai-sdk-"))!;
    outsideProject(sdkOnly, "sdk-only", {
      "@verity-ai/sdk": `file:${join(dir, "tarballs", tarball)}`,
      ethers: locked("ethers"),
    });
    await ok("npm", INSTALL, sdkOnly);
    const mb = duBytes(join(sdkOnly, "node_modules")) / 1e6;
    const ethersMb = duBytes(join(sdkOnly, "node_modules", "ethers")) / 1e6;
    console.log(
      `      @verity-ai/sdk installed with its dependencies: ${mb.toFixed(1)} MB (of which ethers ${ethersMb.toFixed(1)} MB)`,
    );
    const imported = await ok(
      "node",
      ["-e", "import('@verity-ai/sdk').then((s) => console.log(typeof s.VerityClient))"],
      sdkOnly,
    );
    expect(imported.trim()).to.equal("function");
  });
});
