/**
 * Worker throughput benchmark: `npm run bench:worker` (node bench/worker.ts [--requests N]).
 *
 * Starts a chain on a free 127.0.0.1 port in a child process: by default Foundry's anvil from the
 * `@foundry-rs/anvil-linux-amd64` npm package (a standalone Ethereum node, as operators run against);
 * CHAIN=embedded serves Hardhat's EDR instead (bench/lib/chain.ts, `hre.network.createServer`), and
 * CHAIN=cli the `hardhat node` CLI. EDR spends ~1.4 ms of CPU executing each fulfilled result, so on
 * 2 cores it caps the figure by itself; anvil ~0.25 ms, so its figure is the node's. Then it deploys
 * the protocol, registers the bundled iris
 * model, stakes one operator, then PRE-LOADS N public-input TEE requests: automine is switched off,
 * the requests are signed locally and sent from 8 requester accounts, and mined in a few full blocks
 * (evm_mine). Automine is then switched back on (every worker transaction is mined at once) and one
 * in-process Worker runs until every request is confirmed. Results go to bench/results/worker.json
 * (anvil) or worker-edr.json (CHAIN=embedded) / worker-cli.json.
 *
 *  - seconds / throughputPerSec: worker start → last result confirmed (backlog drain rate).
 *  - latencyP50Ms / P95Ms: per request, from the later of (request mined, worker started) — always the
 *    worker start, since every request was mined before — to the worker seeing its result's receipt
 *    (result mined). latencyFromSeen*: from the worker first seeing the request instead.
 *  - env: BATCH (batchSize, 100), MAX_JOBS (jobs executed per pass, the node's default 300), CONCURRENCY (4), CHAIN,
 *    CONFIRMATIONS (0: with automine a receipt only gets a block on top from the next transaction).
 *  - --racing K [--grace S]: K nodes (one operator each) on the same open requests; writes
 *    bench/results/worker-racing-K-graceS.json with the share of fulfil gas spent on results the
 *    chain skipped because another node was first (S = 0: they race; S > 0: they share by ranking).
 *  - lost / duplicates: from the chain's InferenceFulfilled / FulfillmentSkipped events.
 *  - breakdown: wall time inside the worker by step (events RPC, inference, signing, simulation RPC,
 *    send RPC, receipt RPC, database).
 *  - PROFILE=<file>: writes a V8 CPU profile of the bench process over the drain (worker start → last result).
 */
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { join } from "node:path";

import { Wallet, hexlify, parseEther } from "ethers";
import { pino } from "pino";

import { encodeInput, requestParams } from "@verity-ai/sdk";
import {
  MEASUREMENT,
  MODELS_DIR,
  ROOT,
  deployProtocol,
  fulfilmentCounts,
  fundRequester,
  irisValues,
  startNode,
  stakeOperator,
} from "../test/helpers/node.ts";
import { Worker, parseConfig } from "@verity-ai/node";

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const N = Number(arg("--requests") ?? 1000);
/** --racing K: K operators' nodes serve the same open requests (wasted-gas share); 0 = one node. */
const RACING = Number(arg("--racing") ?? 0);
/** policy.graceSec of the racing nodes: 0 = they race, > 0 = they share by the ranking. */
const GRACE = Number(arg("--grace") ?? 15);
const REQUESTERS = 8;

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

const CHAIN = process.env.CHAIN ?? "anvil";

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux). */
function chainCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[11], fields[12] = utime, stime (fields 14 and 15 of proc(5)), in clock ticks (100 per second)
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}
const node = await startNode(
  CHAIN === "anvil"
    ? { anvil: process.env.ANVIL_BIN ?? join(ROOT, "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil") }
    : { embedded: CHAIN !== "cli" },
);
try {
  const p = await deployProtocol(node);
  const iris = p.models.iris!;
  const operators = Array.from({ length: Math.max(1, RACING) }, () => Wallet.createRandom().connect(node.provider));
  for (const operator of operators) {
    await (await p.admin.sendTransaction({ to: operator.address, value: parseEther("1000") })).wait();
    await stakeOperator(p, operator);
  }
  const operator = operators[0]!;
  const requesters = [];
  for (let i = 0; i < REQUESTERS; i++) {
    const w = node.account(10 + i);
    await fundRequester(p, w);
    requesters.push(w);
  }

  // ---- pre-load N requests (automine off, locally signed, mined in full blocks)
  const coordinator = await p.coordinator.getAddress();
  const sample = p.coordinator.interface.encodeFunctionData("requestInference", [
    requestParams({ modelId: iris.modelId, input: hexlify(encodeInput("int32be-milli-x4", irisValues(0))) }),
  ]);
  const gasLimit =
    ((await node.provider.estimateGas({ from: requesters[0]!.address, to: coordinator, data: sample })) * 13n) / 10n;
  const fee = await node.provider.getFeeData();
  await node.rpc("evm_setAutomine", [false]);
  const t0 = performance.now();
  await Promise.all(
    requesters.map(async (w, r) => {
      let nonce = await node.provider.getTransactionCount(w.address, "pending");
      for (let i = r; i < N; i += REQUESTERS) {
        const data = p.coordinator.interface.encodeFunctionData("requestInference", [
          requestParams({ modelId: iris.modelId, input: hexlify(encodeInput("int32be-milli-x4", irisValues(i))) }),
        ]);
        const raw = await w.signTransaction({
          type: 2,
          chainId: 31337n,
          nonce: nonce++,
          to: coordinator,
          data,
          gasLimit,
          maxFeePerGas: fee.maxFeePerGas! * 4n,
          maxPriorityFeePerGas: fee.maxPriorityFeePerGas!,
        });
        await node.rpc("eth_sendRawTransaction", [raw]);
      }
    }),
  );
  let blocks = 0;
  while (
    Number(
      (await node.rpc<{ transactions: unknown[] }>("eth_getBlockByNumber", ["pending", false])).transactions.length,
    ) > 0
  ) {
    await node.rpc("evm_mine", []);
    blocks++;
  }
  await node.rpc("evm_setAutomine", [true]);
  await node.rpc("evm_mine", []); // one block on top, so `confirmations: 1` sees the last requests
  const loadSeconds = (performance.now() - t0) / 1000;
  const startBlock = 0;
  console.log(`pre-loaded ${N} requests in ${blocks} blocks (${loadSeconds.toFixed(1)} s)`);

  // ---- run one worker until all are confirmed (or, with --racing K, K workers until each settled all)
  const dir = join(ROOT, "cache", "bench-worker");
  await mkdir(dir, { recursive: true });
  const configFor = async (key: string, i: number) =>
    parseConfig({
      rpcUrl: node.url,
      deployment: { coordinator, tee: await p.tee.getAddress() },
      operatorKey: key,
      enclaveKey: Wallet.createRandom().privateKey,
      measurement: MEASUREMENT,
      modelsDir: MODELS_DIR,
      // Automine: a block is mined only with a transaction, so a receipt would wait for the next
      // batch to get a block on top; with 0 the scan reads to the head and receipts are final at once.
      confirmations: Number(process.env.CONFIRMATIONS ?? 0),
      pollIntervalMs: 100,
      blockRange: 5000,
      batchSize: Number(process.env.BATCH ?? 100),
      concurrency: Number(process.env.CONCURRENCY ?? 4),
      // The node's default (300): three batches executed and signed per pass while the previous
      // pass's batches are simulated and mined.
      ...(process.env.MAX_JOBS === undefined ? {} : { maxJobsPerPass: Number(process.env.MAX_JOBS) }),
      dbPath: join(dir, `jobs-${Date.now()}-${i}.sqlite`),
      httpPort: 0,
      intake: { port: 0 }, // one per worker, each on a free port
      logLevel: "warn",
      policy: { graceSec: RACING > 0 ? GRACE : 0 },
    });
  const workers = [];
  for (const [i, op] of operators.entries())
    workers.push(new Worker(await configFor(op.privateKey, i), { logger: pino({ level: "warn" }) }));
  const worker = workers[0]!;
  const config = worker.config;
  await Promise.all(workers.map((w) => w.init()));
  // PROFILE=<file.cpuprofile>: a V8 CPU profile of this process over the drain only (not the pre-load).
  const profiler = process.env.PROFILE ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post("Profiler.enable");
    await profiler.post("Profiler.start");
  }
  const chainCpu0 = chainCpuMs(node.child.pid);
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  const w0Wall = Date.now();
  await Promise.all(workers.map((w) => w.start()));
  const settled = (w: Worker) => {
    const c = w.store.counts();
    return c.confirmed + c.failed + c.skipped;
  };
  while (workers.some((w) => settled(w) < N)) await new Promise((r) => setTimeout(r, 10));
  const seconds = (performance.now() - w0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const nodeCpuMs = Math.round((cpu.user + cpu.system) / 1000);
  const chainCpu = Math.round(chainCpuMs(node.child.pid) - chainCpu0);
  if (profiler) {
    const { profile } = await profiler.post("Profiler.stop");
    await writeFile(process.env.PROFILE!, JSON.stringify(profile));
    profiler.disconnect();
  }
  const s = {
    ...worker.parts.receipts.stats,
    txs: worker.parts.txs.stats.txs,
    unsimulated: worker.parts.submit.stats.unsimulated,
  };
  const gasAll = workers.reduce((a, w) => a + w.parts.receipts.stats.gasUsed, 0n);
  const wastedAll = workers.reduce((a, w) => a + w.parts.receipts.stats.wastedGas, 0n);
  const servedBy = workers.map((w) => w.store.counts().confirmed);
  await Promise.all(workers.map((w) => w.stop()));
  if (RACING > 0) {
    const { fulfilled, skipped } = await fulfilmentCounts(p, 0);
    const result = {
      requests: N,
      nodes: RACING,
      graceSec: GRACE,
      seconds: Number(seconds.toFixed(3)),
      servedBy,
      fulfilled: [...fulfilled.values()].reduce((a, f) => a + f.count, 0),
      skippedOnChain: [...skipped.values()].reduce((a, n) => a + n, 0),
      gasUsed: gasAll.toString(),
      wastedGas: wastedAll.toString(),
      // Gas of results the chain skipped (another node was first), as a share of all fulfil gas.
      wastedGasShare: Number(((Number(wastedAll) / Number(gasAll)) * 100).toFixed(1)),
      setup: `${RACING} nodes, one operator each, started together on ${N} pre-loaded open requests; policy.graceSec ${GRACE} (0 = race); batchSize ${config.batchSize}; automine`,
    };
    await mkdir(join(ROOT, "bench", "results"), { recursive: true });
    await writeFile(
      join(ROOT, "bench", "results", `worker-racing-${RACING}-grace${GRACE}.json`),
      JSON.stringify(result, null, 2) + "\n",
    );
    console.log(JSON.stringify(result, null, 2));
    process.exit(0);
  }

  const reader = new Worker(config, { logger: pino({ level: "silent" }) });
  await reader.init();
  const jobs = reader.store.all();
  await reader.stop();
  // Every request was mined before the worker started: latency runs from the later of (request
  // mined, worker started) = worker start to the worker seeing the result's receipt (mined).
  const latencies = jobs.filter((j) => j.confirmedAt !== null).map((j) => j.confirmedAt! - w0Wall);
  const seenLatencies = jobs.filter((j) => j.confirmedAt !== null).map((j) => j.confirmedAt! - j.seenAt);
  const { fulfilled, skipped } = await fulfilmentCounts(p, startBlock);
  const ids = new Set(jobs.map((j) => BigInt(j.requestId)));
  let lost = N - ids.size;
  let duplicates = 0;
  for (const id of ids) {
    const f = fulfilled.get(id);
    if (f === undefined) lost++;
    else if (f.count > 1) duplicates += f.count - 1;
    duplicates += skipped.get(id) ?? 0;
  }
  const b = worker.breakdown;
  const result = {
    requests: N,
    confirmed: jobs.filter((j) => j.state === "confirmed").length,
    seconds: Number(seconds.toFixed(3)),
    throughputPerSec: Number((N / seconds).toFixed(1)),
    latencyP50Ms: pct(latencies, 0.5),
    latencyP95Ms: pct(latencies, 0.95),
    gasPerResult: s.results > 0 ? Number(s.gasUsed / BigInt(s.results)) : null,
    transactions: s.txs,
    // Batches sent without an eth_call simulation (the gas model trusted their mode: stages/gas.ts).
    unsimulatedBatches: s.unsimulated,
    lost,
    duplicates,
    latencyFromSeenP50Ms: pct(seenLatencies, 0.5),
    latencyFromSeenP95Ms: pct(seenLatencies, 0.95),
    // Wall time inside the worker by step. Steps overlap (the previous batches are simulated and
    // mined while the next ones are signed), so the parts add up to more than `seconds`.
    breakdown: {
      eventsMs: Math.round(b.eventsMs),
      inferenceMs: Math.round(b.inferenceMs),
      inputDecodeMs: Math.round(b.decodeMs),
      signingMs: Math.round(b.signingMs),
      // fee/nonce reads + eth_call of each batch (+ one eth_estimateGas before the first receipt)
      simulateRpcMs: Math.round(b.simulateMs),
      // eth_sendRawTransaction with automine: the chain executes and mines the batch before answering
      sendRpcMs: Math.round(b.sendMs),
      receiptRpcMs: Math.round(b.receiptMs),
      databaseMs: Math.round(b.dbMs),
      // per result: its transaction broadcast -> its receipt seen by the worker
      chainMsPerResult: s.results > 0 ? Math.round(b.chainMs / s.results) : null,
      passes: b.passes,
    },
    // CPU time over the drain (user + system): the bench process (the worker and this loop) and
    // the chain's process. On 2 cores the two together bound the rate.
    cpu: { nodeMs: nodeCpuMs, chainMs: chainCpu },
    setup:
      `${CHAIN === "cli" ? "`hardhat node` CLI (EDR, logging on)" : CHAIN === "anvil" ? "Foundry anvil 1.7.1 (npm @foundry-rs/anvil-linux-amd64, --silent, prague)" : "EDR chain served by hre.network.createServer in a child process (bench/lib/chain.ts: no contract decoder, logging off)"}, ` +
      `127.0.0.1, automine (one block per transaction); ${N} public-input TEE requests (iris) pre-loaded before the worker ` +
      `starts (automine off, ${blocks} blocks); one in-process worker: batchSize ${config.batchSize}, ` +
      `maxJobsPerPass ${config.maxJobsPerPass}, up to ${config.concurrency} transactions in flight, confirmations ${config.confirmations}; ` +
      `batches simulated (eth_call) until one of their mode went through cleanly, then sent on the learnt gas model; throughput = N / (worker start -> last result mined); ` +
      `latency = worker start (all requests already mined) -> result receipt seen`,
    setupDetail: {
      chain: CHAIN,
      batchSize: config.batchSize,
      maxJobsPerPass: config.maxJobsPerPass,
      concurrency: config.concurrency,
      confirmations: config.confirmations,
      preloadBlocks: blocks,
      preloadSeconds: Number(loadSeconds.toFixed(1)),
      model: "iris-mlp " + iris.weightsHash,
      machine: `${(await import("node:os")).cpus().length} CPU, node ${process.version}`,
    },
  };
  await mkdir(join(ROOT, "bench", "results"), { recursive: true });
  const file = CHAIN === "anvil" ? "worker.json" : CHAIN === "cli" ? "worker-cli.json" : "worker-edr.json";
  await writeFile(join(ROOT, "bench", "results", file), JSON.stringify(result, null, 2) + "\n");
  console.log(JSON.stringify(result, null, 2));
} finally {
  await node.stop();
}
