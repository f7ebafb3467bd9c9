/**
 * The composition root: builds every part of the node from its configuration and wires the
 * pipeline stages together. Nothing else constructs a stage. A setting that does not work (an RPC
 * that does not answer, a models folder that is not there, a database that cannot be written)
 * fails here with a ConfigError naming the setting and the fix.
 */
import { accessSync, constants, statSync } from "node:fs";
import { dirname } from "node:path";

import { FetchRequest, JsonRpcProvider, Network, type Wallet } from "ethers";
import type { Logger } from "pino";

import { Attester } from "./attester.ts";
import { NodeFetchJsonRpcProvider, providerRpc, shortError, type Rpc } from "./chain/rpc.ts";
import { TransactionSender, type Journal } from "./chain/transactions.ts";
import { ConfigError, type WorkerConfig } from "./config.ts";
import { EventSource, coordinatorInterface } from "./events.ts";
import { Intake } from "./intake.ts";
import { loadOperator } from "./keys.ts";
import type { Metrics } from "./metrics.ts";
import { Executor, ModelStore } from "./models/index.ts";
import { ModelFetcher } from "./models/fetch.ts";
import { provisionModels } from "./models/provision.ts";
import { ProverPool, availableCircuits } from "./prover.ts";
import { ExecuteStage } from "./stages/execute.ts";
import { GasModel } from "./stages/gas.ts";
import { InputsStage } from "./stages/inputs.ts";
import { ReceiptStage } from "./stages/receipts.ts";
import { SubmitStage } from "./stages/submit.ts";
import { OperatorSet } from "./stages/ranking.ts";
import { SyncStage } from "./stages/sync.ts";
import { JobStore } from "./store.ts";

export interface Parts {
  provider: JsonRpcProvider;
  rpc: Rpc;
  chainId: bigint;
  operator: Wallet;
  staking: string;
  models: ModelStore;
  executor: Executor;
  attester: Attester;
  store: JobStore;
  events: EventSource;
  provers: Map<string, ProverPool>;
  txs: TransactionSender;
  gas: GasModel;
  sync: SyncStage;
  inputs: InputsStage;
  execute: ExecuteStage;
  submit: SubmitStage;
  receipts: ReceiptStage;
  intake: Intake;
}

const setting = (name: string, problem: string, fix: string) => new ConfigError([`${name}: ${problem} (fix: ${fix})`]);

/** The chain id at rpcUrl, or a ConfigError saying rpcUrl does not lead to an Ethereum JSON-RPC endpoint. */
async function probeChain(c: WorkerConfig, req: FetchRequest): Promise<bigint> {
  const probe = new JsonRpcProvider(req, undefined, { staticNetwork: true, cacheTimeout: -1 });
  try {
    const id = await probe.send("eth_chainId", []);
    if (typeof id !== "string" || !/^0x[0-9a-fA-F]+$/.test(id))
      throw setting(
        "rpcUrl",
        `${c.rpcUrl} answered eth_chainId with ${JSON.stringify(id)}`,
        "point rpcUrl at an Ethereum JSON-RPC endpoint",
      );
    return BigInt(id);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw setting(
      "rpcUrl",
      `no Ethereum JSON-RPC endpoint answers at ${c.rpcUrl} (${shortError(err)})`,
      "start the chain node, or set rpcUrl / VERITY_RPC_URL to a reachable JSON-RPC URL",
    );
  } finally {
    probe.destroy();
  }
}

function checkModelsDir(dir: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw setting("modelsDir", `${dir} does not exist`, "set modelsDir to the folder holding <name>/manifest.json");
  }
  if (!isDir)
    throw setting("modelsDir", `${dir} is not a folder`, "set modelsDir to the folder holding <name>/manifest.json");
}

function openStore(path: string): JobStore {
  try {
    if (path !== ":memory:") {
      const dir = dirname(path);
      try {
        accessSync(dir, constants.W_OK);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      }
    }
    return new JobStore(path);
  } catch (err) {
    throw setting(
      "dbPath",
      `cannot open the job database ${path} for writing (${(err as Error).message})`,
      "set dbPath / VERITY_DB_PATH to a file in a folder this user can write",
    );
  }
}

export interface Hooks {
  /** Per-request RPC timeout (ms). */
  rpcTimeoutMs: number;
  /** Current time in unix seconds (the later of the local clock and the chain's). */
  clock: () => number;
  /** Start the next pass now (a ZK proof was made, a private input arrived). */
  wake: () => void;
}

export async function compose(c: WorkerConfig, log: Logger, metrics: Metrics, hooks: Hooks): Promise<Parts> {
  const { rpcTimeoutMs, clock, wake } = hooks;
  checkModelsDir(c.modelsDir);
  const req = new FetchRequest(c.rpcUrl);
  req.timeout = rpcTimeoutMs;
  const chainId = await probeChain(c, req);
  if (c.chainId !== undefined && BigInt(c.chainId) !== chainId)
    throw setting(
      "chainId",
      `the RPC at ${c.rpcUrl} serves chain ${chainId}, the config says ${c.chainId}`,
      "fix chainId or rpcUrl",
    );
  const provider = new NodeFetchJsonRpcProvider(c.rpcUrl, Network.from(chainId), {
    timeoutMs: rpcTimeoutMs,
    staticNetwork: true,
    cacheTimeout: -1,
    batchMaxCount: 100,
    // ethers waits 10 ms by default to batch calls; calls made in the same tick are still batched.
    batchStallTime: 0,
  });
  const rpc = providerRpc(provider);
  const opened: { close(): void }[] = [];
  try {
    const operator = await loadOperator(c, provider);

    const code = await provider.getCode(c.deployment.coordinator);
    if (code === "0x")
      throw setting(
        "deployment.coordinator",
        `no contract at ${c.deployment.coordinator} on chain ${chainId}`,
        "set deployment.coordinator to the InferenceCoordinator's address on this chain",
      );
    const staking =
      c.deployment.staking ??
      (coordinatorInterface.decodeFunctionResult(
        "staking",
        await provider.call({ to: c.deployment.coordinator, data: coordinatorInterface.encodeFunctionData("staking") }),
      )[0] as string);

    const models = await ModelStore.open(c.modelsDir);
    const listed = c.policy.models.filter((m) => /^0x[0-9a-fA-F]{64}$/.test(m));
    const unavailable =
      c.models.fetch && listed.some((h) => !models.has(h))
        ? await provisionModels({
            provider,
            registry:
              c.deployment.registry ??
              (coordinatorInterface.decodeFunctionResult(
                "registry",
                await provider.call({
                  to: c.deployment.coordinator,
                  data: coordinatorInterface.encodeFunctionData("registry"),
                }),
              )[0] as string),
            fromBlock: c.startBlock,
            blockRange: c.blockRange,
            hashes: listed,
            store: models,
            fetcher: new ModelFetcher({ modelsDir: c.modelsDir, ...c.models }),
            metrics,
            log,
          })
        : new Map();
    const executor = new Executor(models);
    const attester = new Attester(
      c.enclaveKey,
      chainId,
      c.deployment.coordinator,
      operator.address,
      c.tee.signingThreads,
    );
    const store = openStore(c.dbPath);
    opened.push(store);
    const events = new EventSource(
      provider,
      store,
      {
        coordinator: c.deployment.coordinator,
        confirmations: c.confirmations,
        blockRange: c.blockRange,
        startBlock: c.startBlock,
        reorgDepth: c.reorgDepth,
        staking: c.policy.graceSec > 0 ? staking : undefined,
      },
      log,
    );
    const circuits = availableCircuits(c.zk.circuitsDir!);
    const zkOn = c.zk.enabled ?? circuits.length > 0;
    if (c.zk.enabled === true && circuits.length === 0)
      throw setting(
        "zk.enabled",
        `no circuit files found in ${c.zk.circuitsDir} (<name>/descriptor.json with its wasm and zkey, from npm run zk:setup)`,
        "set zk.circuitsDir to the folder holding them, or set zk.enabled to false",
      );
    const provers = new Map(
      zkOn ? circuits.map((k) => [k.weightsHash, new ProverPool(k, c.zk.threads, log, c.zk.prestart)]) : [],
    );
    if (c.zk.prestart) for (const p of provers.values()) p.start();

    const journal: Journal = {
      record: (txs) => store.markSubmitted(txs),
      pending: () => store.pendingTxHeads(),
      raw: (hash) => store.txRaw(hash),
      pendingCount: () => store.pendingTxCount(),
      setState: (hashes, state) => store.setTxState(hashes, state),
    };
    const txs = new TransactionSender({ rpc, wallet: operator, chainId, journal, fees: c.gas, log });
    const gas = new GasModel(c.gas.marginPercent);
    const execute = new ExecuteStage({
      store,
      models,
      executor,
      attester,
      policy: c.policy,
      operator: operator.address,
      metrics,
      log,
      concurrency: c.concurrency,
      provers,
      onAttested: () => wake(),
      clock,
      unavailable,
    });
    const parts: Parts = {
      provider,
      rpc,
      chainId,
      operator,
      staking,
      models,
      executor,
      attester,
      store,
      events,
      provers,
      txs,
      gas,
      execute,
      sync: new SyncStage({
        operators:
          c.policy.graceSec > 0 ? new OperatorSet({ store, rpc, staking, me: operator.address, log }) : undefined,
        graceSec: c.policy.graceSec,
        clock,
        rpc,
        store,
        events,
        coordinator: c.deployment.coordinator,
        operator: operator.address,
        reorgDepth: c.reorgDepth,
        metrics,
        log,
      }),
      inputs: new InputsStage({
        store,
        execute,
        deadlineMarginSec: c.policy.deadlineMarginSec,
        retainSec: c.intake.retainSec,
        log,
      }),
      submit: new SubmitStage({
        rpc,
        store,
        txs,
        gas,
        coordinator: c.deployment.coordinator,
        batchSize: c.batchSize,
        zkBatchSize: c.zk.batchSize,
        concurrency: c.concurrency,
        maxAttempts: c.gas.maxAttempts,
        metrics,
        log,
      }),
      receipts: new ReceiptStage({
        store,
        txs,
        gas,
        coordinator: c.deployment.coordinator,
        confirmations: c.confirmations,
        metrics,
        log,
      }),
      intake: new Intake({
        store,
        events,
        provider,
        execute,
        coordinator: c.deployment.coordinator,
        operator: operator.address,
        maxInputBytes: c.policy.maxInputBytes,
        deadlineMarginSec: c.policy.deadlineMarginSec,
        clock,
        wake: () => wake(),
        metrics,
        log,
      }),
    };
    return parts;
  } catch (err) {
    for (const o of opened) o.close();
    provider.destroy();
    throw err;
  }
}
