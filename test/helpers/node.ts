/**
 * A real `hardhat node` on 127.0.0.1 for worker tests and benchmarks: start it on a free port, wait
 * until it answers, deploy the protocol with ethers factories from artifacts/ (same wiring and
 * parameters as the Ignition modules in deploy/modules/, approved measurement from
 * deploy/parameters/localhost.json), register the bundled models, stake operators, stop it.
 * `deployProtocol(node, { zk: true })` adds ZK mode as deploy/modules/ZkVerifier.ts wires it: the ZkVerifier
 * (the coordinator's mode-2 verifier) and every bundled circuit's generated Groth16 verifier, approved,
 * with each model that has a circuit (iris, breast-cancer-mlp) registered for TEE | ZK and pinned to it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import {
  Contract,
  ContractFactory,
  FetchRequest,
  HDNodeWallet,
  JsonRpcProvider,
  Mnemonic,
  Network,
  NonceManager,
  Wallet,
  ZeroAddress,
  getBytes,
  type InterfaceAbi,
} from "ethers";

import { freePort } from "../../scripts/lib/ports.ts";
import {
  circuitSpec,
  parseManifest,
  recordSpecFromManifest,
  requestIdOf,
  requestParams,
  toRequest,
  type RecordSpec,
  type Request,
  type RequestParams,
  type ZkCircuitSpec,
} from "@verity-ai/sdk";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const MODELS_DIR = join(ROOT, "models");
export const CIRCUITS_DIR = join(ROOT, "circuits");
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";
export const E18 = 10n ** 18n;

const PARAMS = JSON.parse(readFileSync(join(ROOT, "deploy", "parameters", "localhost.json"), "utf8")) as {
  TeeVerifier: { approvedMeasurement: string };
};
/** The development attestation verifier's approved measurement (Ignition parameter). */
export const MEASUREMENT: string = PARAMS.TeeVerifier.approvedMeasurement;

export { freePort };

export interface LocalNode {
  url: string;
  port: number;
  provider: JsonRpcProvider;
  child: ChildProcess;
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** Hardhat account `i` (of the default mnemonic), connected to the node. */
  account(i: number): HDNodeWallet;
  stop(): Promise<void>;
}

export function provider(url: string, timeoutMs = 30_000): JsonRpcProvider {
  const req = new FetchRequest(url);
  req.timeout = timeoutMs;
  return new JsonRpcProvider(req, Network.from(31337n), { staticNetwork: true, cacheTimeout: -1, batchStallTime: 0 });
}

/**
 * Start a chain on 127.0.0.1 (a free port unless given) in a child process and wait for it to answer:
 *  - default: `hardhat node --hostname 127.0.0.1 --port <port>` (the CLI, which logs every call);
 *  - `embedded: true`: bench/lib/chain.ts, the config's `hardhat` network served with
 *    `hre.network.createServer` (automine, EDR logging off): the same EDR chain without the CLI's
 *    per-transaction logging, for benchmarks.
 */
export async function startNode(opts: { port?: number; embedded?: boolean; anvil?: string } = {}): Promise<LocalNode> {
  const port = opts.port ?? (await freePort());
  const args = opts.anvil
    ? ["--host", "127.0.0.1", "--port", String(port), "--silent", "--hardfork", "prague", "--accounts", "20"]
    : opts.embedded
      ? [
          "--disable-warning=ExperimentalWarning",
          "--import",
          "tsx",
          join(ROOT, "bench", "lib", "chain.ts"),
          String(port),
        ]
      : [
          join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js"),
          "node",
          "--hostname",
          "127.0.0.1",
          "--port",
          String(port),
        ];
  const child = spawn(opts.anvil ?? process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH ?? ""}` },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr!.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const p = provider(url);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`chain process exited (${child.exitCode}): ${output}`);
    try {
      await p.send("eth_chainId", []);
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`hardhat node did not answer on ${url}: ${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const mnemonic = Mnemonic.fromPhrase(HARDHAT_MNEMONIC);
  return {
    url,
    port,
    provider: p,
    child,
    rpc: (method, params = []) => p.send(method, params),
    account: (i) => HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${i}`).connect(p),
    stop: async () => {
      p.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

function artifact(path: string): { abi: InterfaceAbi; bytecode: string } {
  const name = path.split("/").pop()!;
  return JSON.parse(readFileSync(join(ROOT, "artifacts", "contracts", path + ".sol", name + ".json"), "utf8"));
}

/**
 * Deploy `path` from artifacts/ (e.g. "verifiers/TeeVerifier"), its libraries linked from
 * `libraries` (name → address).
 */
export async function deploy(
  signer: NonceManager,
  path: string,
  args: unknown[],
  libraries: Record<string, string> = {},
): Promise<Contract> {
  const a = artifact(path) as ReturnType<typeof artifact> & {
    linkReferences?: Record<string, Record<string, { start: number; length: number }[]>>;
  };
  let bytecode = a.bytecode;
  for (const libs of Object.values(a.linkReferences ?? {})) {
    for (const [name, refs] of Object.entries(libs)) {
      const address = libraries[name];
      if (address === undefined) throw new Error(`deploy ${path}: pass the address of library ${name}`);
      for (const { start, length } of refs) {
        const at = 2 + start * 2;
        bytecode = bytecode.slice(0, at) + address.slice(2).toLowerCase() + bytecode.slice(at + length * 2);
      }
    }
  }
  const c = await new ContractFactory(a.abi, bytecode, signer).deploy(...args);
  await c.waitForDeployment();
  return c as Contract;
}

/**
 * The field record models/<dir>/manifest.json declares (what a private TEE request for it commits:
 * `commitmentFor(Mode.TEE, input, salt, manifestRecord(dir))`), undefined for a raw-tensor model.
 */
export function manifestRecord(dir: string): RecordSpec | undefined {
  const file = join(MODELS_DIR, dir, "manifest.json");
  return recordSpecFromManifest(parseManifest(JSON.parse(readFileSync(file, "utf8")), `models/${dir}/manifest.json`));
}

export interface BundledModel {
  name: string;
  dir: string;
  weightsHash: string;
  encoding: string;
  modelId: string;
}

export interface Protocol {
  node: LocalNode;
  admin: NonceManager;
  treasury: string;
  modelOwner: NonceManager;
  token: Contract;
  registry: Contract;
  staking: Contract;
  coordinator: Contract;
  tee: Contract;
  attestation: Contract;
  /** ZK mode (deployProtocol with { zk: true }). */
  zk?: {
    verifier: Contract;
    /** The generated Groth16 verifier of each circuits/<dir>/descriptor.json, by model name ("iris-mlp", …). */
    generated: Record<string, Contract>;
  };
  models: Record<string, BundledModel>;
  price: bigint;
  royaltyBps: bigint;
  protocolFeeBps: bigint;
  minStake: bigint;
}

export const PRICE = 10n * E18;
export const MIN_STAKE = 1_000n * E18;
/** Above the coordinator's default maxTimeout (7 days) plus its evidence window (1 day). */
export const UNBONDING = 9n * 24n * 3600n;

function manifest(dir: string): {
  name: string;
  weightsHash: string;
  input: { encoding: string };
  output: { encoding: string };
} {
  return JSON.parse(readFileSync(join(MODELS_DIR, dir, "manifest.json"), "utf8"));
}

/** Deploy token, registry, staking, coordinator, dev attestation verifier and TEE verifier; register the bundled models. */
export async function deployProtocol(node: LocalNode, opts: { zk?: boolean } = {}): Promise<Protocol> {
  const admin = new NonceManager(node.account(0));
  const treasury = node.account(1).address;
  const modelOwner = new NonceManager(node.account(2));
  const adminAddr = node.account(0).address;
  const protocolFeeBps = 500n;
  const royaltyBps = 2_000n;

  const token = await deploy(admin, "token/VerityTestToken", [adminAddr, false]);
  const staking = await deploy(admin, "staking/OperatorStaking", [
    await token.getAddress(),
    adminAddr,
    treasury,
    MIN_STAKE,
    UNBONDING,
    5000n,
  ]);
  const registry = await deploy(admin, "registry/ModelRegistry", [adminAddr]);
  const coordinator = await deploy(admin, "inference/InferenceCoordinator", [
    await token.getAddress(),
    await registry.getAddress(),
    await staking.getAddress(),
    adminAddr,
    treasury,
    protocolFeeBps,
  ]);
  await (await coordinator.getFunction("setMissedDeadlinePenalty")(100n * E18)).wait();
  const slasher = await staking.getFunction("SLASHER_ROLE")();
  await (await staking.getFunction("grantRole")(slasher, await coordinator.getAddress())).wait();
  // The coordinator locks accepted jobs' penalties and keeps unbonding above maxTimeout + evidence window.
  const locker = await staking.getFunction("LOCKER_ROLE")();
  await (await staking.getFunction("grantRole")(locker, await coordinator.getAddress())).wait();
  await (await coordinator.getFunction("setTimeouts")(60n, 7n * 24n * 3600n)).wait();
  const attestation = await deploy(admin, "verifiers/DevApprovedMeasurementAttestationVerifier", [
    adminAddr,
    [MEASUREMENT],
    false,
  ]);
  const tee = await deploy(admin, "verifiers/TeeVerifier", [
    await coordinator.getAddress(),
    await staking.getAddress(),
    await attestation.getAddress(),
    adminAddr,
    1_000n * E18,
  ]);
  await (await staking.getFunction("grantRole")(slasher, await tee.getAddress())).wait();
  await (await coordinator.getFunction("setVerifier")(1, await tee.getAddress())).wait();
  let zk: Protocol["zk"];
  if (opts.zk) {
    const verifier = await deploy(admin, "verifiers/ZkVerifier", [await registry.getAddress()]);
    await (await coordinator.getFunction("setVerifier")(2, await verifier.getAddress())).wait();
    // Every generated circuit's verifier, approved by governance so a model version may pin it.
    const generated: Record<string, Contract> = {};
    for (const d of circuitDescriptors()) {
      generated[d.model.name] = await deploy(admin, `generated/${d.verifier.contract}`, []);
      await (
        await registry.getFunction("setZkVerifierApproval")(await generated[d.model.name]!.getAddress(), true)
      ).wait();
    }
    zk = { verifier, generated };
  }

  const p: Protocol = {
    node,
    admin,
    treasury,
    modelOwner,
    token,
    registry,
    staking,
    coordinator,
    tee,
    attestation,
    zk,
    models: {},
    price: PRICE,
    royaltyBps,
    protocolFeeBps,
    minStake: MIN_STAKE,
  };
  for (const dir of ["iris", "silero-vad", "breast-cancer-mlp"]) {
    const m = manifest(dir);
    const zkVerifier = zk?.generated[m.name];
    p.models[dir] = await registerModel(
      p,
      dir,
      m.weightsHash,
      `${m.input.encoding}/${m.output.encoding}`,
      zkVerifier !== undefined ? { modes: 0b110, zkVerifier: await zkVerifier.getAddress() } : {},
    );
  }
  return p;
}

/** The descriptors of the generated circuits (circuits/<name>/descriptor.json). */
export function circuitDescriptors(): (ZkCircuitSpec & { verifier: { contract: string } })[] {
  return readdirSync(CIRCUITS_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(CIRCUITS_DIR, e.name, "descriptor.json")))
    .map((e) => circuitSpec(JSON.parse(readFileSync(join(CIRCUITS_DIR, e.name, "descriptor.json"), "utf8"))))
    .map((d) => d as ZkCircuitSpec & { verifier: { contract: string } })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Register a model (TEE mode unless `modes` says otherwise) under `name` pinning `weightsHash`. */
export async function registerModel(
  p: Protocol,
  name: string,
  weightsHash: string,
  encoding = "int32be-milli-x4/uint256-argmax",
  opts: { modes?: number; zkVerifier?: string; uri?: string } = {},
): Promise<BundledModel> {
  const registry = p.registry.connect(p.modelOwner) as Contract;
  await (
    await registry.getFunction("registerModel")(name, p.price, p.royaltyBps, opts.modes ?? 0b10, {
      weightsHash,
      zkVerifier: opts.zkVerifier ?? ZeroAddress,
      uri: opts.uri ?? `verity://models/${name}`,
      runtime: "onnx",
      encoding,
    })
  ).wait();
  const modelId = (await p.registry.getFunction("modelIdOf")(await p.modelOwner.getAddress(), name)) as string;
  return { name, dir: join(MODELS_DIR, name), weightsHash, encoding, modelId };
}

/** Mint, approve and stake `minStake` for `operator`. */
export async function stakeOperator(p: Protocol, operator: Wallet | HDNodeWallet): Promise<void> {
  const admin = p.token.connect(p.admin) as Contract;
  await (await admin.getFunction("mint")(operator.address, p.minStake)).wait();
  const op = new NonceManager(operator);
  await (
    await (p.token.connect(op) as Contract).getFunction("approve")(await p.staking.getAddress(), p.minStake)
  ).wait();
  await (await (p.staking.connect(op) as Contract).getFunction("stake")(p.minStake)).wait();
}

/** Mint tokens to a requester and approve the coordinator. */
export async function fundRequester(
  p: Protocol,
  requester: Wallet | HDNodeWallet,
  amount = 1_000_000n * E18,
): Promise<NonceManager> {
  await (await (p.token.connect(p.admin) as Contract).getFunction("mint")(requester.address, amount)).wait();
  const nm = new NonceManager(requester);
  await (
    await (p.token.connect(nm) as Contract).getFunction("approve")(await p.coordinator.getAddress(), 2n ** 255n)
  ).wait();
  return nm;
}

export interface Opened {
  requestId: bigint;
  request: Request;
  input: string;
  blockNumber: number;
}

/** Open one request and read the pinned request back from the event. */
export async function openRequest(
  p: Protocol,
  from: NonceManager,
  params: Partial<RequestParams> & { modelId: string },
): Promise<Opened> {
  const c = p.coordinator.connect(from) as Contract;
  const tx = await c.getFunction("requestInference")(requestParams(params));
  const receipt = await tx.wait();
  for (const log of receipt.logs) {
    const parsed = p.coordinator.interface.parseLog(log);
    if (parsed?.name === "InferenceRequested") {
      const request = toRequest(parsed.args.request.toObject());
      return {
        requestId: requestIdOf(request),
        request,
        input: parsed.args.input as string,
        blockNumber: receipt.blockNumber,
      };
    }
  }
  throw new Error("InferenceRequested not emitted");
}

/** Open many requests without waiting for each (explicit nonces); returns them in order. */
export async function openRequests(
  p: Protocol,
  from: NonceManager,
  params: (Partial<RequestParams> & { modelId: string })[],
): Promise<Opened[]> {
  const c = p.coordinator.connect(from) as Contract;
  const txs = [];
  for (const prm of params) txs.push(await c.getFunction("requestInference")(requestParams(prm)));
  const out: Opened[] = [];
  for (const tx of txs) {
    const receipt = await tx.wait();
    for (const log of receipt.logs) {
      const parsed = p.coordinator.interface.parseLog(log);
      if (parsed?.name === "InferenceRequested") {
        const request = toRequest(parsed.args.request.toObject());
        out.push({
          requestId: requestIdOf(request),
          request,
          input: parsed.args.input as string,
          blockNumber: receipt.blockNumber,
        });
      }
    }
  }
  return out;
}

/** Count InferenceFulfilled and FulfillmentSkipped events per request id (hex key). */
export async function fulfilmentCounts(
  p: Protocol,
  fromBlock = 0,
): Promise<{
  fulfilled: Map<bigint, { count: number; operator: string; outputHash: string }>;
  skipped: Map<bigint, number>;
}> {
  const c = p.coordinator;
  const fulfilled = new Map<bigint, { count: number; operator: string; outputHash: string }>();
  const skipped = new Map<bigint, number>();
  for (const e of await c.queryFilter(c.filters.InferenceFulfilled!(), fromBlock, "latest")) {
    const args = (e as unknown as { args: { requestId: bigint; operator: string; outputHash: string } }).args;
    const prev = fulfilled.get(args.requestId);
    fulfilled.set(args.requestId, {
      count: (prev?.count ?? 0) + 1,
      operator: args.operator,
      outputHash: args.outputHash,
    });
  }
  for (const e of await c.queryFilter(c.filters.FulfillmentSkipped!(), fromBlock, "latest")) {
    const id = (e as unknown as { args: { requestId: bigint } }).args.requestId;
    skipped.set(id, (skipped.get(id) ?? 0) + 1);
  }
  return { fulfilled, skipped };
}

/** Deterministic iris-like measurements (cm) for request `i`. */
export function irisValues(i: number): number[] {
  const base = [
    [5.1, 3.5, 1.4, 0.2],
    [7.0, 3.2, 4.7, 1.4],
    [6.3, 3.3, 6.0, 2.5],
  ][i % 3]!;
  return base.map((v, k) => Math.round((v + ((i * 7 + k * 3) % 10) / 50) * 1000) / 1000);
}

/** Deterministic 512-sample audio frame in [-1, 1). */
export function audioFrame(seed: number): number[] {
  let s = seed >>> 0;
  const noise = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return Array.from({ length: 512 }, (_, i) => {
    const env = Math.sin((Math.PI * i) / 512);
    const voiced =
      seed % 2 === 0
        ? [1, 0.6, 0.4].reduce((a, amp, h) => a + amp * Math.sin((2 * Math.PI * 220 * (h + 1) * i) / 16000), 0)
        : 0;
    return Math.max(-1, Math.min(32767 / 32768, 0.3 * env * voiced + 0.02 * noise()));
  });
}

export function bytesOf(hex: string): Uint8Array {
  return getBytes(hex);
}

/**
 * Every place on the chain `needles` (hex, with or without 0x) could show up: each transaction's
 * calldata and each receipt log's topics and data, from block 0 to the head. Returns the hits.
 */
export async function scanChain(node: LocalNode, needles: readonly string[]): Promise<string[]> {
  const wanted = needles.map((n) => (n.startsWith("0x") ? n.slice(2) : n).toLowerCase());
  const head = Number(BigInt(await node.rpc<string>("eth_blockNumber")));
  const hits: string[] = [];
  for (let n = 0; n <= head; n++) {
    const block = await node.rpc<{ transactions: { hash: string; input: string }[] }>("eth_getBlockByNumber", [
      "0x" + n.toString(16),
      true,
    ]);
    for (const tx of block.transactions) {
      const receipt = await node.rpc<{ logs: { topics: string[]; data: string }[] }>("eth_getTransactionReceipt", [
        tx.hash,
      ]);
      const places = [
        { where: `tx ${tx.hash} calldata`, hex: tx.input },
        ...receipt.logs.map((l, i) => ({ where: `tx ${tx.hash} log ${i}`, hex: l.data + l.topics.join("") })),
      ];
      for (const { where, hex } of places) {
        const body = hex.toLowerCase().replace(/0x/g, "");
        for (const w of wanted) if (body.includes(w)) hits.push(`${w} in ${where}`);
      }
    }
  }
  return hits;
}

/** POST a raw body to the worker's HTTP server; the status and the parsed JSON answer. */
export async function postRaw(url: string, body: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed };
}
