/**
 * `npm run rehearsal`: a deployment to a "public" chain, played end to end on this machine, the way a
 * team with an RPC URL and funded keys would do it from the README:
 *
 *   - a `hardhat node` with a chain id that is not local (and a block a second) stands in for the chain;
 *   - a separately deployed 6-decimal ERC-20 stands in for the stablecoin;
 *   - a test PKI in Intel's formats stands in for Intel (root CA, PCK chain, QE, signed collateral), and a
 *     directory with a FIFO stands in for the TD guest's configfs-tsm;
 *   - the deployer key and RPC URL reach `npm run deploy -- --network custom --module production` only
 *     through Hardhat's configuration variables (environment variables of the same names);
 *   - the model owner registers through the CLI; the operator runs `verity worker init`, stakes, registers
 *     its enclave with a TDX quote and starts the node; a dApp requests through the CLI (with preflight),
 *     the result is verified off-chain, and one unserved request is refunded through the CLI.
 *
 * Nothing here uses a development contract: the production module refuses them off local chains.
 *
 *   npm run rehearsal [-- --summary-json <file>] [--keep]
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { Command } from "commander";
import {
  ContractFactory,
  HDNodeWallet,
  JsonRpcProvider,
  Mnemonic,
  NonceManager,
  Wallet,
  formatUnits,
  parseUnits,
} from "ethers";
import type { Contract } from "ethers";

import { ITdxAttestationVerifier__factory, InferenceCoordinator__factory, TeeVerifier__factory } from "@verity-ai/sdk";
import { crl, qeIdentity, quote, tcbInfo, testPki } from "../test/attestation/tdx/pki.ts";
import { fakeTsm } from "../test/attestation/tdx/tsm.ts";
import { freePort } from "./lib/ports.ts";
import { Steps, table } from "./lib/ui.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
/** The stand-in chain's id: not 31337/1337, so every local-only guard treats it as a public chain. */
export const REHEARSAL_CHAIN_ID = 271_828;
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";
const USD = 10n ** 6n;
/** Statuses of TDX TCB levels the rehearsal's governance accepts: UpToDate … OutOfDateConfigurationNeeded. */
const ACCEPTED_TCB_STATUSES = 0x3f;

const opts = new Command()
  .name("npm run rehearsal --")
  .description("Rehearse a production deployment and its use on a stand-in public chain on 127.0.0.1.")
  .option("--summary-json <file>", "also write the summary as JSON (tests read it)")
  .option("--keep", "keep the temporary folder (configs, keystore, logs) for inspection", false)
  .parse()
  .opts<{ summaryJson?: string; keep: boolean }>();

/** Processes to stop and folders to remove, whatever happens. */
const cleanups: (() => void | Promise<void>)[] = [];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a TypeScript entry point of the repository (the CLI, the deploy script) to completion. */
function runTs(script: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["--conditions=verity-source", "--disable-warning=ExperimentalWarning", "--import", "tsx", script, ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Fails with the command and what it printed when it did not exit 0. */
function ok(what: string, r: Run): string {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Starts `hardhat node` on the rehearsal network (chain id REHEARSAL_CHAIN_ID, a block a second). */
async function startChain(port: number): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js"),
      "node",
      "--network",
      "rehearsal",
      "--hostname",
      "127.0.0.1",
      "--port",
      String(port),
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  child.stdout!.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  child.stderr!.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  cleanups.push(() => void child.kill("SIGTERM"));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hardhat node exited (${child.exitCode}): ${log}`);
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (res.ok) return { url, child };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`hardhat node did not answer on ${url}: ${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A compiled contract of this repository as an ethers factory. */
function factory(source: string, name: string, signer: NonceManager): ContractFactory {
  const file = path.join(ROOT, "artifacts", "contracts", source, `${name}.json`);
  const artifact = JSON.parse(readFileSync(file, "utf8")) as { abi: []; bytecode: string };
  return new ContractFactory(artifact.abi, artifact.bytecode, signer);
}

async function main() {
  const steps = new Steps(9);
  const started = Date.now();
  const work = mkdtempSync(path.join(tmpdir(), "verity-rehearsal-"));
  if (!opts.keep) cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  const summary: Record<string, unknown> = { chainId: REHEARSAL_CHAIN_ID };

  const chain = await steps.run(
    "Start a stand-in public chain (hardhat node, chain id 271828, a block a second)",
    async () => {
      ok(
        "hardhat build",
        await runTs(path.join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js"), ["build", "--quiet"], {}),
      );
      return startChain(await freePort());
    },
    (c) => c.url,
  );
  const provider = new JsonRpcProvider(chain.url, undefined, { cacheTimeout: -1, pollingInterval: 250 });
  cleanups.push(() => provider.destroy());
  const roles = hardhatAccounts(provider);
  const { deployer, issuer, treasury, governance, modelOwner, dapp, relayer } = roles;

  // 1. The stablecoin stand-in, deployed by its "issuer" before Verity exists.
  const usd = await steps.run(
    "Deploy a 6-decimal ERC-20 (the stablecoin stand-in)",
    async () => {
      const c = (await (
        await factory("mocks/SixDecimalTestToken.sol", "SixDecimalTestToken", issuer).deploy()
      ).waitForDeployment()) as unknown as Contract;
      return c;
    },
    (c) => `USD6 at ${c.target as string}`,
  );
  const usdAddress = await usd.getAddress();

  // 2. The production deployment, its secrets only in configuration variables.
  const block = await provider.getBlock("latest");
  const pki = testPki(block!.timestamp);
  const deploymentId = `rehearsal-${chain.url.split(":").pop()}`;
  const deploymentDir = path.join(ROOT, "deploy", "deployments", deploymentId);
  cleanups.push(() => rmSync(deploymentDir, { recursive: true, force: true }));
  const deploymentFile = await steps.run(
    "Deploy Verity with the production module (npm run deploy -- --network custom --module production)",
    async () => {
      const template = JSON.parse(
        readFileSync(path.join(ROOT, "deploy/parameters/production.template.json"), "utf8"),
      ) as { Production: Record<string, string> };
      const parameters = {
        Production: {
          ...template.Production,
          paymentToken: usdAddress,
          treasury: treasury.address,
          // The multisig stand-in: it gets the operational roles now and the admin role once it accepts.
          governance: governance.address,
          // The test PKI's root stands in for Intel's (the template pins Intel's real one).
          intelRootCertificate: "0x" + Buffer.from(pki.root.cert).toString("hex"),
          acceptedTcbStatuses: `${ACCEPTED_TCB_STATUSES}n`,
          // Short enough for the refund below to come due within the rehearsal.
          minTimeout: "10n",
        },
      };
      const file = path.join(work, "production.json");
      writeFileSync(file, JSON.stringify(parameters, null, 2));
      ok(
        "npm run deploy",
        await runTs(
          path.join(ROOT, "scripts/deploy.ts"),
          ["--network", "custom", "--module", "production", "--parameters", file, "--deployment-id", deploymentId],
          { VERITY_RPC_URL: chain.url, VERITY_DEPLOYER_KEY: deployer.privateKey },
        ),
      );
      return path.join(deploymentDir, "verity.json");
    },
    (f) => path.relative(ROOT, f),
  );
  const deployment = JSON.parse(readFileSync(deploymentFile, "utf8")) as Record<string, string | number>;
  summary.deployment = deployment;
  summary.deploymentId = deploymentId;

  const cli = (args: string[], env: Record<string, string>) =>
    runTs(path.join(ROOT, "cli/main.ts"), ["--rpc", chain.url, "--deployment", deploymentFile, ...args], env);
  const cliJson = async (what: string, args: string[], env: Record<string, string>) =>
    JSON.parse(ok(what, await cli([...args, "--json"], env))) as Record<string, unknown>;

  // 3. Collateral relayed by anyone; governance (which holds the measurement role from the deployment on,
  // and accepts the admin role after the 1-day delay) approves the guest image's measurement.
  const attestation = ITdxAttestationVerifier__factory.connect(deployment.attestation as string, relayer);
  const measurement = await steps.run(
    "Push TDX collateral (CRLs, TCB info, QE identity) and approve the guest measurement",
    async () => {
      const day = 86_400;
      await (await attestation.pushCrl(crl(pki.root, pki.now - 60, pki.now + day * 30), "0x")).wait();
      await (await attestation.pushCrl(crl(pki.ca, pki.now - 60, pki.now + day * 30), pki.ca.cert)).wait();
      const t = tcbInfo(pki);
      await (await attestation.pushTcbInfo(t.body, t.signature, pki.signer.cert)).wait();
      const q = qeIdentity(pki);
      await (await attestation.pushQeIdentity(q.body, q.signature, pki.signer.cert)).wait();
      // The measurement of the guest image the operator runs, as any quote from it carries it.
      const m = (await attestation.verifyQuote(quote(pki, { reportData: new Uint8Array(64) }))).measurement;
      await (await attestation.connect(governance).setMeasurementApproval(m, true)).wait();
      return m;
    },
    (m) => m,
  );

  // 4. The model owner registers the iris model through the CLI, priced in the stablecoin's units.
  const modelId = await steps.run(
    "Register the iris model through the CLI at 0.25 USD6 per call",
    async () => {
      const reg = await cliJson(
        "verity model register",
        [
          "model",
          "register",
          "--name",
          "iris",
          "--price",
          "0.25",
          "--royalty-bps",
          "1000",
          "--modes",
          "tee",
          "--manifest",
          "models/iris",
        ],
        { VERITY_PRIVATE_KEY: modelOwner.privateKey },
      );
      return reg.modelId as string;
    },
    (id) => id,
  );
  summary.modelId = modelId;

  // 5. The operator: worker init with a fresh encrypted key, funds, stake, enclave registration.
  const password = "rehearsal-" + Math.random().toString(36).slice(2);
  const workerConfig = path.join(work, "operator", "worker.json");
  const httpPort = await freePort();
  const enclave = Wallet.createRandom();
  // The TD guest's configfs-tsm: quotes over whatever report data the node writes, signed through the test PKI.
  const tsm = await fakeTsm(pki);
  tsm.serveForever();
  cleanups.push(() => tsm.cleanup());
  const operator = await steps.run(
    "Operator: verity worker init --tee tdx-configfs, then stake 500 USD6 through the CLI",
    async () => {
      const init = await cliJson(
        "verity worker init",
        [
          "worker",
          "init",
          "--new-key",
          "--tee",
          "tdx-configfs",
          "--tsm-dir",
          tsm.base,
          "--tsm-entry",
          tsm.entry,
          "--measurement",
          measurement,
          "--out",
          workerConfig,
          "--models-dir",
          path.join(ROOT, "models"),
          "--http-port",
          String(httpPort),
          "--intake-port",
          String(await freePort()),
        ],
        { VERITY_KEYSTORE_PASSWORD: password },
      );
      const address = init.operator as string;
      const keystore = path.join(path.dirname(workerConfig), "operator.keystore.json");
      await (await relayer.sendTransaction({ to: address, value: parseUnits("1", 18) })).wait();
      await (await (usd.connect(issuer) as Contract).getFunction("mint")(address, 1_000n * USD)).wait();
      const opEnv = { VERITY_KEYSTORE: keystore, VERITY_KEYSTORE_PASSWORD: password };
      const staked = await cliJson("verity operator stake", ["operator", "stake", "500"], opEnv);
      if (BigInt(staked.staked as string) !== 500n * USD) throw new Error(`staked ${staked.staked}, expected 500 USD6`);
      return { address, keystore, env: opEnv };
    },
    (o) => `operator ${o.address}`,
  );
  summary.operator = operator.address;
  summary.enclave = enclave.address;
  summary.measurement = measurement;

  // 6. The node, started as an operator would.
  const node = await steps.run(
    "Operator: verity worker start (the node registers its enclave key with a TDX quote binding it)",
    async () => {
      const child = spawn(
        process.execPath,
        [
          "--conditions=verity-source",
          "--disable-warning=ExperimentalWarning",
          "--import",
          import.meta.resolve("tsx"),
          path.join(ROOT, "cli/main.ts"),
          "worker",
          "start",
          "--config",
          workerConfig,
        ],
        {
          cwd: path.dirname(workerConfig),
          env: { ...process.env, ...operator.env, VERITY_ENCLAVE_KEY: enclave.privateKey },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let log = "";
      child.stdout!.on("data", (d: Buffer) => (log += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
      cleanups.push(() => void child.kill("SIGKILL"));
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`the node exited (${child.exitCode}):\n${log.slice(-4000)}`);
        try {
          if ((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).ok) break;
        } catch {
          // not up yet
        }
        if (Date.now() > deadline) throw new Error(`the node did not become healthy:\n${log.slice(-4000)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      // Registered by the node itself: the quote's report data binds this key, operator, chain and verifier.
      const tee = TeeVerifier__factory.connect(deployment.tee as string, provider);
      for (;;) {
        const e = await tee.getEnclave(enclave.address);
        if (e.active && e.operator === operator.address) break;
        if (child.exitCode !== null) throw new Error(`the node exited (${child.exitCode}):\n${log.slice(-4000)}`);
        if (Date.now() > deadline) throw new Error(`the node did not register its enclave:\n${log.slice(-4000)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      return { child, log: () => log };
    },
    () => `healthy on 127.0.0.1:${httpPort}, enclave ${enclave.address} registered (${tsm.served()} quote)`,
  );

  // 7. A dApp pays for an inference through the CLI and verifies the result.
  await (await relayer.sendTransaction({ to: dapp.address, value: parseUnits("1", 18) })).wait();
  await (await (usd.connect(issuer) as Contract).getFunction("mint")(dapp.address, 10n * USD)).wait();
  const dappEnv = { VERITY_PRIVATE_KEY: dapp.privateKey };
  const served = await steps.run(
    "dApp: verity request --wait (preflight, pay 0.25 USD6), then verity result verify",
    async () => {
      const res = await cliJson(
        "verity request",
        ["request", "--model", modelId, "--values", "[6.3,3.3,6.0,2.5]", "--wait", "--wait-timeout", "120"],
        dappEnv,
      );
      const verified = await cliJson("verity result verify", ["result", "verify", res.requestId as string], dappEnv);
      if (res.status !== "Fulfilled" || verified.ok !== true)
        throw new Error(`the request was not served and verified: ${JSON.stringify({ res, verified })}`);
      return { res, verified };
    },
    ({ res, verified }) =>
      `request ${(res.requestId as string).slice(0, 10)}… ${res.status}, output ${res.decoded}, ${verified.ok ? "VERIFIED" : "NOT VERIFIED"}`,
  );
  summary.served = served;

  // 8. The node stops; a second request goes unserved and is refunded through the CLI once due.
  const refunded = await steps.run(
    "dApp: a request nobody serves (node stopped), refunded through the CLI after its 10 s timeout",
    async (progress) => {
      node.child.kill("SIGTERM");
      await new Promise((r) => node.child.once("exit", r));
      const before = (await usd.getFunction("balanceOf")(dapp.address)) as bigint;
      const req = await cliJson(
        "verity request",
        ["request", "--model", modelId, "--values", "[5.1,3.5,1.4,0.2]", "--timeout", "10"],
        dappEnv,
      );
      const paid = before - ((await usd.getFunction("balanceOf")(dapp.address)) as bigint);
      const coordinator = InferenceCoordinator__factory.connect(deployment.coordinator as string, provider);
      // Refundable once the chain's clock passes the deadline (a block a second on this chain).
      const deadline = Number(req.deadline);
      for (;;) {
        const now = (await provider.getBlock("latest"))!.timestamp;
        if (now > deadline) break;
        progress(`waiting for the deadline (${deadline - now} s)`);
        await new Promise((r) => setTimeout(r, 1_000));
      }
      const refund = JSON.parse(
        ok("verity request refund", await cli(["request", "refund", req.requestId as string, "--json"], dappEnv)),
      ) as Record<string, string>;
      const balance = await coordinator.balanceOf(dapp.address);
      // The escrow is back in the dApp's coordinator balance: withdraw it to the wallet through the CLI.
      const withdrawn = await cliJson(
        "verity balance withdraw",
        ["balance", "withdraw", formatUnits(balance, 6)],
        dappEnv,
      );
      const after = (await usd.getFunction("balanceOf")(dapp.address)) as bigint;
      return {
        requestId: req.requestId as string,
        paid,
        refund,
        balance,
        withdrawn,
        walletBefore: before,
        walletAfter: after,
      };
    },
    (r) =>
      `paid ${formatUnits(r.paid, 6)} USD6, refunded ${formatUnits(BigInt(r.refund.amount!), 6)}, wallet back to ${formatUnits(r.walletAfter, 6)}`,
  );
  summary.refunded = refunded;

  const coordinator = InferenceCoordinator__factory.connect(deployment.coordinator as string, provider);
  const [earned, royalties] = await Promise.all([
    coordinator.balanceOf(operator.address),
    coordinator.royaltiesOf(modelId),
  ]);
  summary.payments = { operatorBalance: earned, royalties };
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  console.log(
    "\n" +
      table(
        ["what", "result"],
        [
          ["chain", `${chain.url} (chain id ${REHEARSAL_CHAIN_ID}, stand-in for a public chain)`],
          ["payment token", `USD6 ${usdAddress} (6 decimals, deployed separately)`],
          ["deployment", `production module, record ${path.relative(ROOT, deploymentFile)} (removed after)`],
          ["TEE attestation", `TDX quote via configfs-tsm stand-in, measurement ${measurement.slice(0, 18)}…`],
          ["served request", `${served.res.requestId}`],
          ["refunded request", `${refunded.requestId}`],
          [
            "who was paid",
            `operator ${formatUnits(earned, 6)} USD6 (coordinator balance), model owner ${formatUnits(royalties, 6)} USD6 royalty`,
          ],
        ],
      ) +
      `\n\nrehearsal passed in ${secs} s`,
  );
  if (opts.summaryJson)
    writeFileSync(
      opts.summaryJson,
      JSON.stringify(summary, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2),
    );
}

/** The stand-in chain's funded accounts (Hardhat's default mnemonic), by role; the dApp gets a fresh key. */
function hardhatAccounts(provider: JsonRpcProvider) {
  const mnemonic = Mnemonic.fromPhrase(HARDHAT_MNEMONIC);
  const key = (i: number) => HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${i}`).connect(provider);
  const signer = (i: number) => {
    const wallet = key(i);
    return Object.assign(new NonceManager(wallet), { privateKey: wallet.privateKey, address: wallet.address });
  };
  return {
    deployer: signer(0),
    issuer: signer(1),
    treasury: signer(2),
    modelOwner: signer(3),
    relayer: signer(4),
    governance: signer(5),
    dapp: Wallet.createRandom(),
  };
}

async function cleanup() {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch {
      // best effort: keep stopping the rest
    }
  }
}

main().then(
  async () => {
    await cleanup();
    process.exit(0);
  },
  async (e: unknown) => {
    console.error(`\nrehearsal failed: ${e instanceof Error ? e.message : String(e)}`);
    await cleanup();
    process.exit(1);
  },
);
