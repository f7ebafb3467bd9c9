/**
 * `npm start`: the whole network on an embedded chain. Starts an in-process chain served on
 * 127.0.0.1, deploys everything with the Ignition modules, registers the bundled models, stakes two
 * operators, starts their workers (which register their enclaves), sends paid requests from a dApp,
 * waits for verified results, re-verifies each one off-chain and prints a table and a summary. Then
 * the hospital flow: a private diagnosis under ZK opened by the DiagnosisInsurer example contract,
 * the verified diagnosis approving the claim, and two chosen fields of the record disclosed and
 * checked on-chain by FieldDisclosureVerifier.
 *
 *   npm start -- [--requests N] [--serve]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { Command, InvalidArgumentError } from "commander";
import {
  Contract,
  ContractFactory,
  JsonRpcProvider,
  NonceManager,
  Wallet,
  formatUnits,
  parseUnits,
  toBeHex,
  type InterfaceAbi,
} from "ethers";
import hre from "hardhat";
import { pino } from "pino";

import ZkVerifierModule from "../deploy/modules/ZkVerifier.ts";
import {
  checkFieldDisclosure,
  commitmentFor,
  decodeOutput,
  discloseFields,
  fieldTree,
  proveFieldRange,
  rangeProofWords,
  recordFromBytes,
  recordSalts,
  encodeInput,
  Mode,
  newSalt,
  sendPrivateInput,
  verifyResult,
  VerityClient,
  type Deployment,
  operatorShare,
  toRequest,
} from "@verity-ai/sdk";
import { NPM_START_DEPLOYMENT_ID, loadIgnitionDeployment, writeDeploymentRecord } from "@verity-ai/sdk/node";
import { DEFAULT_INTAKE_PORT, Worker, parseConfig } from "@verity-ai/node";
import { readBundledModels, readCircuitDescriptors, registerBundledModel } from "./lib/bundled.ts";
import type { BundledCircuit, BundledModel } from "./lib/bundled.ts";
import { encodeFields, loadDataset } from "./diagnosis/data.ts";
import { demoInputs } from "./lib/inputs.ts";
import type { DemoKind } from "./lib/inputs.ts";
import { freePort } from "./lib/ports.ts";
import { Steps, table } from "./lib/ui.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const E18 = 10n ** 18n;
const PARAMS = JSON.parse(readFileSync(path.join(ROOT, "deploy/parameters/localhost.json"), "utf8"));
const MEASUREMENT: string = PARAMS.TeeVerifier.approvedMeasurement;

const positiveInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new InvalidArgumentError(`${name} must be a whole number from 1 to 1000, got "${v}"`);
  return n;
};

const program = new Command()
  .name("npm start --")
  .description("Run the Verity network on an embedded chain and serve paid, verified inference requests.")
  .option("--requests <n>", "how many requests the example dApp sends", positiveInt("--requests"), 8)
  .option("--serve", "keep the chain on 127.0.0.1:8545 and the workers running until Ctrl-C", false)
  .option(
    "--port <port>",
    "port of the embedded chain (default: 8545 with --serve, else a free one)",
    positiveInt("--port"),
  )
  .parse();
const opts = program.opts<{ requests: number; serve: boolean; port?: number }>();

const steps = new Steps(9);
// Expected races between the two workers are logged as warnings; the demo shows errors only.
const quiet = pino({ level: process.env.VERITY_LOG_LEVEL ?? "error" });
const workers: Worker[] = [];
const intakeUrls: string[] = [];
let closeServer: (() => Promise<void>) | undefined;
const cleanups: Array<() => void> = [];
const dataDir = mkdtempSync(path.join(tmpdir(), "verity-start-"));

async function shutdown(code: number): Promise<never> {
  for (const w of workers) await w.stop().catch(() => undefined);
  await closeServer?.().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
  for (const c of cleanups) c();
  process.exit(code);
}

async function main() {
  // 1. Compile (cached after the first run).
  await steps.run("Compiling contracts", async () => {
    await hre.tasks.getTask("build").run({ quiet: true, noTests: true });
    return "artifacts and TypeChain types ready";
  });

  // 2. Embedded chain served on 127.0.0.1.
  const port = opts.port ?? (opts.serve ? 8545 : 0);
  const rpcUrl = await steps.run("Starting the embedded chain", async () => {
    const server = await hre.network.createServer("embedded", "127.0.0.1", port);
    const { port: bound } = await server.listen();
    closeServer = () => server.close();
    return `http://127.0.0.1:${bound}`;
  });
  const provider = new JsonRpcProvider(rpcUrl, undefined, {
    cacheTimeout: -1,
    staticNetwork: true,
    pollingInterval: 100,
  });
  const chainId = Number((await provider.getNetwork()).chainId);
  // --serve keeps its deployment in a folder of its own (a user's `ignition deploy` to the served chain
  // writes chain-<id>, so neither overwrites the other); otherwise a throwaway folder removed at exit.
  const deploymentId = opts.serve ? NPM_START_DEPLOYMENT_ID : `npm-start-${process.pid}`;
  if (!opts.serve)
    cleanups.push(() => rmSync(path.join(ROOT, "deploy/deployments", deploymentId), { recursive: true, force: true }));

  // 3. Deploy with Ignition (the deployment folder of this fresh chain is replaced).
  const deployment: Deployment = await steps.run(
    "Deploying Verity with Ignition",
    async () => {
      const dir = path.join(ROOT, "deploy/deployments", deploymentId);
      rmSync(dir, { recursive: true, force: true });
      const startBlock = await provider.getBlockNumber();
      const conn = await hre.network.connect({ network: "localhost", override: { url: rpcUrl } });
      const parameters = path.join(ROOT, "deploy/parameters/localhost.json");
      await conn.ignition.deploy(ZkVerifierModule, { parameters, deploymentId, displayUi: false });
      const d = { ...loadIgnitionDeployment(chainId, ROOT, deploymentId), startBlock };
      writeDeploymentRecord(dir, d);
      return d;
    },
    (d) => `coordinator ${d.coordinator}`,
  );

  const admin = new NonceManager(await provider.getSigner(0));
  const adminClient = new VerityClient(deployment, admin);
  /** Gas money for `address`, and `tokens` of the test token when it needs any. */
  const fund = async (address: string, tokens: bigint) => {
    await provider.send("hardhat_setBalance", [address, toBeHex(10n * E18)]);
    if (tokens > 0n) await (await adminClient.token.mint(address, tokens)).wait();
  };

  // 4. Model owner registers the bundled models.
  const owner = new Wallet(Wallet.createRandom().privateKey, provider);
  const models = readBundledModels(path.join(ROOT, "models"));
  const circuits = readCircuitDescriptors(path.join(ROOT, "circuits"));
  const circuitOf = (m: BundledModel): BundledCircuit | undefined =>
    circuits.find((c) => c.model.weightsHash.toLowerCase() === m.weightsHash.toLowerCase());
  // A model with a circuit has a ZK twin: its version pins the circuit's generated Groth16 verifier.
  const zkVerifierOf = (m: BundledModel): string | undefined => {
    const circuit = circuitOf(m);
    return circuit && deployment.zkVerifiers?.[circuit.verifier.contract];
  };
  const modelIds = new Map<string, string>();
  await steps.run("Registering the bundled models", async () => {
    await fund(owner.address, 0n);
    const ownerClient = new VerityClient(deployment, new NonceManager(owner));
    for (const m of models) {
      const zkVerifier = zkVerifierOf(m);
      const terms = {
        price: parseUnits("2", 18),
        royaltyBps: 1_000,
        modes: (1 << Mode.TEE) | (zkVerifier ? 1 << Mode.ZK : 0),
        zkVerifier,
      };
      modelIds.set(m.name, await registerBundledModel(ownerClient.registry, m, terms));
    }
    return models.map((m) => `${m.name} (${m.weightsHash.slice(0, 10)}…)`).join(", ");
  });

  // 5. Two operators stake.
  const operators = [0, 1].map(() => ({
    wallet: new Wallet(Wallet.createRandom().privateKey, provider),
    enclave: Wallet.createRandom(),
  }));
  await steps.run("Staking two operators", async () => {
    const minStake = BigInt(PARAMS.OperatorStaking.minStake.replace(/n$/, ""));
    for (const op of operators) {
      await fund(op.wallet.address, minStake);
      const c = new VerityClient(deployment, new NonceManager(op.wallet));
      await (await c.token.approve(deployment.staking, minStake)).wait();
      await (await c.staking.stake(minStake)).wait();
    }
    return `${formatUnits(minStake, 18)} vUSD each`;
  });

  // 6. Their workers start and register their (development, software) enclave keys.
  await steps.run("Starting two workers", async () => {
    for (const [i, op] of operators.entries()) {
      const config = parseConfig({
        rpcUrl,
        chainId,
        deployment: {
          coordinator: deployment.coordinator,
          tee: deployment.tee,
          staking: deployment.staking,
          registry: deployment.registry,
        },
        operatorKey: op.wallet.privateKey,
        enclaveKey: op.enclave.privateKey,
        measurement: MEASUREMENT,
        modelsDir: path.join(ROOT, "models"),
        dbPath: path.join(dataDir, `worker-${i}.sqlite`),
        confirmations: 1,
        pollIntervalMs: 200,
        batchSize: 20,
        // /metrics and /healthz on httpPort; private inputs and job status on intake.port.
        httpPort: opts.serve ? 9464 + i : await freePort(),
        intake: { port: opts.serve ? DEFAULT_INTAKE_PORT + i : 0 },
        logLevel: "error",
      });
      const worker = new Worker(config, { logger: quiet.child({ worker: i }) });
      await worker.start();
      workers.push(worker);
      intakeUrls.push(worker.intakeUrl()!);
    }
    return operators.map((o) => o.wallet.address.slice(0, 10) + "…").join(", ");
  });

  // 7. A dApp sends paid requests and waits for verified results.
  const dapp = new Wallet(Wallet.createRandom().privateKey, provider);
  await fund(dapp.address, 1_000n * E18);
  const dappClient = new VerityClient(deployment, new NonceManager(dapp));
  await dappClient.deposit(100n * E18);
  // The demo's private ZK requests: the iris-encoded model (its inputs come from the iris data set), if it has a circuit.
  const zkModel = models.find((m) => m.inputEncoding === "int32be-milli-x4" && zkVerifierOf(m))?.name;
  const inputs = demoInputs(models, opts.requests, zkModel);
  const sent: Array<{
    kind: DemoKind;
    model: BundledModel;
    id: bigint;
    sentAt: number;
    fee: bigint;
    royalty: bigint;
    protocolFee: bigint;
    block: number;
  }> = [];
  await steps.run(`Sending ${opts.requests} paid requests`, async (progress) => {
    for (const [i, x] of inputs.entries()) {
      let target = -1;
      let params: { input: string | Uint8Array; inputCommitment?: string; mode?: number; operator?: string } = {
        input: x.input,
      };
      const salt = newSalt();
      if (x.kind !== "public") {
        // Private input: only a commitment on-chain; the input goes to the assigned operator's intake.
        target = i % operators.length;
        const mode = x.kind === "zk" ? Mode.ZK : Mode.TEE;
        params = {
          input: "0x",
          // A model with a field record commits its field tree in either mode: its circuit's in ZK, its
          // manifest's in TEE (raw-tensor models: keccak256(input, salt)).
          inputCommitment: await commitmentFor(
            mode,
            x.input,
            salt,
            mode === Mode.ZK ? circuitOf(x.model) : x.model.record,
          ),
          mode,
          operator: operators[target]!.wallet.address,
        };
      }
      const { requestId, request, receipt } = await dappClient.request({
        modelId: modelIds.get(x.model.name)!,
        timeout: 600,
        ...params,
      });
      if (target >= 0) await sendPrivateInput(intakeUrls[target]!, requestId, x.input, salt);
      sent.push({
        kind: x.kind,
        model: x.model,
        id: requestId,
        sentAt: Date.now(),
        fee: request.fee,
        royalty: request.royalty,
        protocolFee: request.protocolFee,
        block: receipt.blockNumber,
      });
      progress(`${i + 1}/${inputs.length} sent`);
    }
    return `${sent.length} requests, ${formatUnits(
      sent.reduce((a, s) => a + s.fee, 0n),
      18,
    )} vUSD in escrow`;
  });

  const rows: string[][] = [];
  let verified = 0;
  let totals = { operator: 0n, royalty: 0n, protocol: 0n, gas: 0n };
  // The hospital flow's diagnosis is paid from the insurer's balance: its fee split is counted too.
  await steps.run("Waiting for verified results", async (progress) => {
    let done = 0;
    await Promise.all(
      sent.map(async (s, index) => {
        const view = await dappClient.waitForResult(s.id, { timeoutMs: 120_000, pollMs: 100, fromBlock: s.block });
        const latency = Date.now() - s.sentAt;
        const check = await verifyResult(dappClient, s.id, view);
        if (check.ok) verified++;
        const receipt = await provider.getTransactionReceipt(view.fulfilment!.txHash);
        const inTx = receipt!.logs.filter(
          (l) => l.topics[0] === dappClient.coordinator.interface.getEvent("InferenceFulfilled")!.topicHash,
        ).length;
        const gas = receipt!.gasUsed / BigInt(Math.max(inTx, 1));
        const share = operatorShare(s);
        totals = {
          operator: totals.operator + share,
          royalty: totals.royalty + s.royalty,
          protocol: totals.protocol + s.protocolFee,
          gas: totals.gas + gas,
        };
        const value = decodeOutput(s.model.outputEncoding, check.output!);
        const shown = s.model.labels
          ? `${s.model.labels[Number(value)]} (${value})`
          : `p=${(Number(value) / 1e6).toFixed(3)}`;
        const opIndex = operators.findIndex((o) => o.wallet.address === view.fulfilment!.operator);
        rows[index] = [
          `0x${s.id.toString(16).slice(0, 8)}…`,
          s.model.name,
          s.kind === "public" ? check.mode : `${check.mode} (private input)`,
          shown,
          `${check.ok ? "✔" : "✘"} op${opIndex + 1} ` +
            (check.mode === "ZK" ? "Groth16 proof" : `enclave ${view.fulfilment!.verifierRecord.slice(26, 34)}…`),
          `${latency} ms`,
          gas.toString(),
          `${fmt(share)} / ${fmt(s.royalty)} / ${fmt(s.protocolFee)}`,
        ];
        progress(`${++done}/${sent.length} verified`);
      }),
    );
    return `${verified}/${sent.length} re-verified off-chain`;
  });

  console.log();
  console.log(
    table(
      ["request", "model", "mode", "output", "verified by", "latency", "gas", "fee split op/royalty/protocol (vUSD)"],
      rows,
    ),
  );
  console.log();
  const perOp = await Promise.all(operators.map((o) => dappClient.coordinator.balanceOf(o.wallet.address)));
  // Royalties accrue per model; the owner claims them into its coordinator balance.
  const earning = [...modelIds.values()];
  const accrued = (await Promise.all(earning.map((id) => dappClient.coordinator.royaltiesOf(id)))).reduce(
    (a, b) => a + b,
    0n,
  );
  if (accrued !== totals.royalty) throw new Error(`royalties accrued ${accrued} ≠ ${totals.royalty} paid`);
  const claimed = accrued === 0n ? 0n : (await new VerityClient(deployment, owner).claimRoyalties(earning)).total;
  console.log("Summary");
  console.log(`  requests served and verified: ${verified}/${sent.length}`);
  console.log(
    `  paid to operators: ${fmt(totals.operator)} vUSD (${perOp.map((b, i) => `op${i + 1} ${fmt(b)}`).join(", ")})`,
  );
  console.log(
    `  royalties claimed by the model owner: ${fmt(claimed)} vUSD; protocol fees: ${fmt(totals.protocol)} vUSD`,
  );
  console.log(`  average fulfil gas per result: ${sent.length ? totals.gas / BigInt(sent.length) : 0n}`);
  if (verified !== sent.length) throw new Error(`only ${verified} of ${sent.length} results re-verified`);

  // 9. The hospital flow.
  const diagnosisModel = models.find((m) => m.name === "breast-cancer-mlp");
  const diagnosisCircuit = diagnosisModel && circuitOf(diagnosisModel);
  if (!diagnosisModel || !diagnosisCircuit)
    throw new Error("models/breast-cancer-mlp or its circuit (circuits/breast-cancer-mlp) is missing: restore them");
  const hospital = await steps.run(
    "Hospital flow: private diagnosis under ZK, insurer claim, field disclosure",
    () =>
      hospitalFlow(diagnosisModel, diagnosisCircuit, {
        provider,
        deployment,
        fund,
        modelId: modelIds.get(diagnosisModel.name)!,
        operator: operators[0]!.wallet.address,
      }),
    () => "claim approved on a verified diagnosis, 2 fields disclosed, 1 range proved in ZK",
  );
  console.log();
  console.log("Hospital flow");
  for (const line of hospital) console.log(`  ${line}`);

  if (opts.serve) {
    console.log(
      `\nServing on ${rpcUrl} (chain ${chainId}). Deployment: deploy/deployments/${NPM_START_DEPLOYMENT_ID}/verity.json`,
    );
    for (const [k, v] of Object.entries(deployment)) console.log(`  ${k.padEnd(12)} ${v}`);
    console.log(
      `  worker metrics: http://127.0.0.1:9464/metrics and :9465; intakes (private inputs, GET /jobs/<id>): ${intakeUrls.join(", ")}; press Ctrl-C to stop.`,
    );
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
  }
}

/** Deploys a contract from its Hardhat artifact, signed by `signer`. */
async function deployArtifact(name: string, signer: NonceManager, args: unknown[]): Promise<Contract> {
  const a = await hre.artifacts.readArtifact(name);
  const c = await new ContractFactory(a.abi as InterfaceAbi, a.bytecode, signer).deploy(...args);
  await c.waitForDeployment();
  return c as Contract;
}

/**
 * A hospital insured by the DiagnosisInsurer example opens a claim for a patient record: the insurer
 * contract makes the ZK request with only the record's commitment, the hospital sends the record to the
 * assigned operator's intake, the verified diagnosis (malignant) approves the claim and the payout is
 * collected. The hospital then discloses two chosen fields (values, salts, Merkle paths), checked off
 * chain by the SDK and on chain by FieldDisclosureVerifier through the insurer. Last, it proves in zero
 * knowledge that a field it keeps private lies in a range (FieldRangeVerifier, circuits/field-range).
 * Returns summary lines.
 */
async function hospitalFlow(
  model: BundledModel,
  circuit: BundledCircuit,
  ctx: {
    provider: JsonRpcProvider;
    deployment: Deployment;
    fund: (address: string, tokens: bigint) => Promise<void>;
    modelId: string;
    /** The operator the diagnosis request names (its worker's intake is intakeUrls[0]). */
    operator: string;
  },
): Promise<string[]> {
  const { provider, deployment, fund, modelId, operator } = ctx;
  const insurerOwner = new NonceManager(new Wallet(Wallet.createRandom().privateKey, provider));
  const hospitalWallet = new Wallet(Wallet.createRandom().privateKey, provider);
  const hospital = new NonceManager(hospitalWallet);
  const payout = 500n * E18;
  await fund(await insurerOwner.getAddress(), 1_000n * E18);
  await fund(hospitalWallet.address, 0n);

  const t3 = await deployArtifact("PoseidonT3", insurerOwner, []);
  const t5 = await deployArtifact("PoseidonT5", insurerOwner, []);
  const disclosure = await deployArtifact("FieldDisclosureVerifier", insurerOwner, [
    await t3.getAddress(),
    await t5.getAddress(),
  ]);
  const insurer = await deployArtifact("DiagnosisInsurer", insurerOwner, [
    deployment.coordinator,
    deployment.token,
    await disclosure.getAddress(),
    modelId,
    circuit.commitment.fieldCount,
    payout,
    await insurerOwner.getAddress(),
  ]);
  const insurerAddress = await insurer.getAddress();
  const ownerClient = new VerityClient(deployment, insurerOwner);
  await (await ownerClient.token.approve(insurerAddress, 100n * E18)).wait();
  await (await insurer.getFunction("fundCoordinator")(100n * E18)).wait();
  await (await ownerClient.token.transfer(insurerAddress, payout)).wait(); // the payout reserve
  await (await insurer.getFunction("setInsured")(hospitalWallet.address, true)).wait();

  // The patient record: dataset row 0 (a malignant mass), as the model's fixed-point input bytes.
  const data = loadDataset(ROOT);
  const input = encodeInput(model.inputEncoding, encodeFields(data.rows[0]!));
  const salt = newSalt();
  const commitment = await commitmentFor(Mode.ZK, input, salt, circuit);
  const asHospital = insurer.connect(hospital) as Contract;
  const receipt = await (await asHospital.getFunction("openClaim")(commitment, operator)).wait();
  const client = new VerityClient(deployment, hospital);
  const opened = receipt.logs
    .map((l: { topics: string[]; data: string }) => client.coordinator.interface.parseLog(l))
    .find((e: { name: string } | null) => e?.name === "InferenceRequested");
  const requestId = opened.args.requestId as bigint;
  await sendPrivateInput(intakeUrls[0]!, requestId, input, salt);
  const view = await client.waitForResult(requestId, {
    timeoutMs: 120_000,
    pollMs: 100,
    fromBlock: receipt.blockNumber,
  });
  // The SDK carries every bundled circuit's verification key (DEFAULT_VKEYS): no key to pass.
  const check = await verifyResult(client, requestId, view);
  if (!check.ok) throw new Error(`the diagnosis result did not re-verify off-chain: ${JSON.stringify(check.checks)}`);
  const fulfilReceipt = await provider.getTransactionReceipt(view.fulfilment!.txHash);
  const diagnosis = Number(decodeOutput(model.outputEncoding, check.output!));
  const claim = (await insurer.getFunction("claimOf")(requestId)) as { status: bigint };
  const approved = claim.status === 2n;
  if (!approved) throw new Error(`the insurer did not approve the claim on a ${model.labels?.[diagnosis]} diagnosis`);
  const before = await client.token.balanceOf(hospitalWallet.address);
  await (await asHospital.getFunction("collect")(requestId)).wait();
  const paid = (await client.token.balanceOf(hospitalWallet.address)) - before;

  // Disclose two chosen fields: worst radius and worst area.
  const chosen = ["worst_radius", "worst_area"].map((n) => circuit.input.fields.findIndex((f) => f.name === n));
  const values = recordFromBytes(circuit, input);
  const salts = recordSalts(circuit, salt);
  const d = discloseFields(fieldTree(values, salts), values, salts, chosen);
  const opened2 = checkFieldDisclosure(BigInt(commitment), d, {
    fieldCount: circuit.commitment.fieldCount,
    fields: circuit.input.fields,
  });
  const tx = await asHospital.getFunction("discloseFields")(
    requestId,
    d.fields.map((f) => ({ ...f })),
  );
  const discloseReceipt = await tx.wait();
  const shown = [...opened2].map(([i, v]) => {
    const f = circuit.input.fields[i]!;
    return `${f.name} = ${Number(v) / f.scale}${f.unit && f.unit !== "dimensionless" ? ` (${f.unit})` : ""}`;
  });
  const hidden = circuit.input.fields.filter((_, i) => !opened2.has(i)).map((f) => f.name);

  // Prove, without disclosing it, that worst concave points lies in [0.15, 1] (a marker of malignancy).
  const k = circuit.input.fields.findIndex((f) => f.name === "worst_concave_points");
  const kf = circuit.input.fields[k]!;
  const tree = fieldTree(values, salts);
  const [min, max] = [0.15, 1].map((b) => BigInt(Math.round(b * kf.scale))) as [bigint, bigint];
  const rangeDir = path.join(ROOT, "circuits", "field-range", `d${tree.depth}`);
  const t0 = performance.now();
  const range = await proveFieldRange({
    tree,
    values,
    salts,
    index: k,
    min,
    max,
    wasm: path.join(rangeDir, `field-range-d${tree.depth}.wasm`),
    zkey: path.join(rangeDir, `field-range-d${tree.depth}_final.zkey`),
    name: kf.name,
  });
  const proveMs = performance.now() - t0;
  const rangeVerifier = await deployArtifact(`FieldRangeD${tree.depth}Groth16Verifier`, insurerOwner, [
    deployment.coordinator,
  ]);
  const rangeReceipt = await (
    await (rangeVerifier.connect(hospital) as Contract).getFunction("proveRange")(
      toRequest(opened.args.request.toObject()),
      circuit.commitment.fieldCount,
      k,
      min,
      max,
      rangeProofWords(range.proof),
    )
  ).wait();
  return [
    `request 0x${requestId.toString(16).slice(0, 8)}… opened by the insurer contract for commitment ${commitment.slice(0, 12)}… (the record's field-tree root)`,
    `diagnosis: ${model.labels?.[diagnosis] ?? diagnosis} (${diagnosis}), proved in ZK and re-verified off-chain; fulfillZk gas ${fulfilReceipt!.gasUsed} (with the insurer's callback)`,
    `insurer: claim approved on the verified diagnosis, ${fmt(paid)} vUSD paid to the hospital`,
    `disclosed and checked on-chain by FieldDisclosureVerifier (${discloseReceipt.gasUsed} gas): ${shown.join(", ")}`,
    `stayed private (${hidden.length} of ${circuit.input.fields.length} fields, never on-chain): ${hidden.join(", ")}`,
    `proved in ZK without disclosing it: ${kf.name} ∈ [0.15, 1] (prove ${(proveMs / 1000).toFixed(1)} s; checked on-chain against the request's commitment by FieldRangeVerifier.proveRange, ${rangeReceipt.gasUsed} gas): the verifier learns the field and the bounds, not the value`,
  ];
}

function fmt(v: bigint): string {
  return Number(formatUnits(v, 18)).toFixed(2);
}

main()
  .then(() => shutdown(0))
  .catch(async (err) => {
    console.error(`\n✘ ${steps.current ?? "start"} failed: ${(err as Error).message}`);
    if (process.env.VERITY_DEBUG) console.error(err);
    await shutdown(1);
  });
