/**
 * At start, fetch the models policy.models names by weights hash that the models folder does not
 * hold yet: the version's uri comes from the registry's VersionPublished event (indexed by
 * weightsHash). A refused or unreachable file is logged, counted in verity_model_fetches_total and
 * returned, so the jobs of that model fail with the reason instead of a bare "unknown model".
 */
import { Interface, zeroPadValue, type JsonRpcProvider, type Log } from "ethers";
import type { Logger } from "pino";

import type { Metrics } from "../metrics.ts";
import { ModelFetchError, type ModelFetcher } from "./fetch.ts";
import type { ModelStore } from "./store.ts";

const registryEvents = new Interface([
  "event VersionPublished(bytes32 indexed modelId, uint32 indexed version, bytes32 indexed weightsHash, address zkVerifier, string uri, string runtime, string encoding)",
]);
const T_PUBLISHED = registryEvents.getEvent("VersionPublished")!.topicHash;

/** Why a model could not be made available: machine code and a sentence. */
export interface Unavailable {
  readonly code: string;
  readonly detail: string;
}

export async function provisionModels(o: {
  provider: JsonRpcProvider;
  registry: string;
  fromBlock: number;
  /** Blocks per eth_getLogs query (the node's `blockRange`): public RPCs refuse wide ranges. */
  blockRange: number;
  hashes: readonly string[];
  store: ModelStore;
  fetcher: ModelFetcher;
  metrics: Metrics;
  log: Logger;
}): Promise<Map<string, Unavailable>> {
  const refused = new Map<string, Unavailable>();
  const missing = [...new Set(o.hashes.map((h) => h.toLowerCase()))].filter((h) => !o.store.has(h));
  if (missing.length === 0) return refused;
  // One scan for every missing model (an OR over the weights-hash topic), in blockRange windows.
  const published = new Map<string, Log[]>(missing.map((h) => [h, []]));
  const head = await o.provider.getBlockNumber();
  for (let lo = o.fromBlock; lo <= head; lo += o.blockRange) {
    const hi = Math.min(lo + o.blockRange - 1, head);
    const logs = await o.provider.getLogs({
      address: o.registry,
      topics: [T_PUBLISHED, null, null, missing.map((h) => zeroPadValue(h, 32))],
      fromBlock: lo,
      toBlock: hi,
    });
    for (const log of logs) published.get(log.topics[3]!.toLowerCase())?.push(log);
  }
  for (const hash of missing) {
    const logs = published.get(hash)!;
    if (logs.length === 0) {
      const detail = `model ${hash} is in policy.models but neither in modelsDir nor published on registry ${o.registry}: check the hash, or place the model folder in modelsDir`;
      o.metrics.modelFetches.inc({ outcome: "unpublished" });
      o.log.warn({ weightsHash: hash }, detail);
      refused.set(hash, { code: "model-unpublished", detail });
      continue;
    }
    // Newest version first; any uri whose bytes hash to the pinned hash will do.
    let first: ModelFetchError | undefined;
    for (const log of [...logs].reverse()) {
      const ev = registryEvents.parseLog(log)!;
      const version = {
        weightsHash: hash,
        uri: ev.args.uri as string,
        runtime: ev.args.runtime as string,
        encoding: ev.args.encoding as string,
      };
      try {
        const { dir, manifest } = await o.fetcher.fetch(version);
        await o.store.add(dir);
        o.metrics.modelFetches.inc({ outcome: "fetched" });
        o.log.info({ weightsHash: hash, uri: version.uri, dir, name: manifest.name }, "model fetched and verified");
        first = undefined;
        break;
      } catch (err) {
        if (!(err instanceof ModelFetchError)) throw err;
        o.metrics.modelFetches.inc({ outcome: err.code });
        const level = err.code === "hash-mismatch" || err.code === "manifest-mismatch" ? "error" : "warn";
        o.log[level]({ weightsHash: hash, uri: version.uri, reason: err.code }, err.message);
        first ??= err;
      }
    }
    if (first !== undefined)
      refused.set(hash, {
        code: first.code === "hash-mismatch" ? "model-hash-mismatch" : `model-${first.code}`,
        detail: first.message,
      });
  }
  return refused;
}
