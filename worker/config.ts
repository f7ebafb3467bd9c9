/**
 * Worker configuration: a JSON file plus environment variables, validated with zod at start.
 * Secrets (operator key, keystore password, enclave key) come only from the environment or an
 * encrypted keystore file, and are never logged (see `redactedConfig`).
 *
 * Environment: VERITY_RPC_URL, VERITY_OPERATOR_KEY, VERITY_OPERATOR_KEYSTORE,
 * VERITY_KEYSTORE_PASSWORD, VERITY_ENCLAVE_KEY, VERITY_DB_PATH, VERITY_MODELS_DIR, VERITY_HTTP_PORT,
 * VERITY_INTAKE_PORT, VERITY_LOG_FORMAT.
 *
 * Every object is strict: an unknown key (a misspelling such as `confirmation` or
 * `pollIntervallMs`) is refused with the nearest valid name, instead of silently using the default.
 */
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";

import { z } from "zod";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte address");
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex string");
const privateKey = z.string().regex(/^(0x)?[0-9a-fA-F]{64}$/, "must be a 32-byte hex private key");
const amount = z
  .union([z.string().regex(/^\d+$/, "must be an integer amount in token units"), z.number().int().nonnegative()])
  .transform((v) => BigInt(v));

/** Default port of the intake server (private inputs, job status). */
export const DEFAULT_INTAKE_PORT = 9480;

export const configSchema = z.strictObject({
  /** JSON-RPC endpoint of the chain (env VERITY_RPC_URL). */
  rpcUrl: z.string().url("must be an http(s) URL, e.g. http://127.0.0.1:8545"),
  /** Chain id expected at rpcUrl; checked at start when given. */
  chainId: z.number().int().positive().optional(),
  deployment: z.strictObject({
    coordinator: address,
    tee: address,
    /** Read from the coordinator when omitted. */
    staking: address.optional(),
    registry: address.optional(),
  }),
  /** Operator key: env VERITY_OPERATOR_KEY, or an encrypted JSON keystore + VERITY_KEYSTORE_PASSWORD. */
  operatorKey: privateKey.optional(),
  operatorKeystore: z.string().min(1).optional(),
  keystorePassword: z.string().optional(),
  /** Enclave signing key (with tee.provider "development-unattested" no real TEE holds it). Env VERITY_ENCLAVE_KEY. */
  enclaveKey: privateKey,
  /**
   * Code measurement registered with the enclave key. Required by the development provider; with
   * "tdx-configfs" it is read from the quote, and when given it must equal the quote's (a check that
   * the node runs the image you expect).
   */
  measurement: bytes32.optional(),
  /** Attestation report passed to registerEnclave by the development provider (its verifier ignores it). */
  attestationReport: z
    .string()
    .regex(/^0x([0-9a-fA-F]{2})*$/)
    .optional(),
  /** Where the enclave's attestation comes from (see worker/attestation/evidence.ts). */
  tee: z
    .strictObject({
      /**
       * "tdx-configfs": an Intel TDX quote from Linux configfs-tsm, binding the enclave key (real
       * attestation). "development-unattested": the configured measurement and report, unchecked by
       * any hardware; refused on chains other than 31337 and 1337.
       */
      provider: z.enum(["development-unattested", "tdx-configfs"]).default("development-unattested"),
      /** tdx-configfs: the configfs-tsm report directory (default /sys/kernel/config/tsm/report). */
      reportDir: z.string().min(1).optional(),
      /** tdx-configfs: an existing report entry under reportDir to use (default: a fresh entry per quote). */
      reportEntry: z.string().min(1).optional(),
      /** Re-attest (register the key again with a fresh quote) this many seconds before the registration expires. */
      reattestBeforeSec: z.number().int().min(60).default(86_400),
      /** Least seconds between two re-attestation attempts (each one reads a quote and calls the chain). */
      retrySec: z.number().int().min(1).default(300),
      /** Threads that sign TEE results beside the event loop; a batch is split evenly over them. */
      signingThreads: z.number().int().min(1).max(16).default(2),
    })
    .default({ provider: "development-unattested", reattestBeforeSec: 86_400, retrySec: 300, signingThreads: 2 }),
  /** Register the enclave on TeeVerifier at start when it is not registered yet. */
  registerEnclave: z.boolean().default(true),
  modelsDir: z.string().min(1),
  /** Fetching model files by their version's registry uri (worker/models/fetch.ts). */
  models: z
    .strictObject({
      /** At start, fetch the models policy.models names by weights hash that modelsDir lacks. */
      fetch: z.boolean().default(true),
      /** IPFS HTTP gateway for ipfs:// uris, e.g. "http://127.0.0.1:8080" (a local IPFS node). */
      ipfsGateway: z.string().url("must be an http(s) URL, e.g. http://127.0.0.1:8080").optional(),
      /** Hosts that may be fetched over plain http besides loopback. */
      allowHttpHosts: z.array(z.string().min(1)).default([]),
      /** Largest model file fetched, in bytes. */
      maxBytes: z
        .number()
        .int()
        .min(1)
        .default(256 * 1024 * 1024),
      /** Time allowed per download, in milliseconds. */
      timeoutMs: z.number().int().min(100).default(120_000),
    })
    .default({ fetch: true, allowHttpHosts: [], maxBytes: 256 * 1024 * 1024, timeoutMs: 120_000 }),
  confirmations: z.number().int().min(0).max(1000).default(1),
  /** 0 = run one pass and exit. */
  pollIntervalMs: z.number().int().min(0).default(1000),
  blockRange: z.number().int().min(1).max(100_000).default(2000),
  /** First block to scan when the database has no cursor yet. */
  startBlock: z.number().int().min(0).default(0),
  /** How far back to rescan when a reorg is detected. */
  reorgDepth: z.number().int().min(1).default(64),
  batchSize: z.number().int().min(1).max(1000).default(100),
  /** Transactions in flight at once, and model groups run in parallel. */
  concurrency: z.number().int().min(1).max(64).default(4),
  /**
   * Jobs taken into execution per pass. With a backlog, the results of one pass are sent while the
   * next pass executes and signs, so a few batches per pass keep the chain and the node busy at once
   * (bench:worker: ~1,000 results/s at 200–400, the whole backlog in one pass leaves them in turn).
   */
  maxJobsPerPass: z.number().int().min(1).default(300),
  dbPath: z.string().min(1),
  /**
   * Port of the node's operations server: GET /metrics and GET /healthz (keep it private). 0
   * disables it. The private-input intake has its own port (intake.port).
   */
  httpPort: z.number().int().min(0).max(65535).default(9464),
  httpHost: z.string().default("127.0.0.1"),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** "auto": one readable line per event on a terminal, JSON lines when piped; or force "pretty" / "json" (env VERITY_LOG_FORMAT). */
  logFormat: z.enum(["auto", "pretty", "json"]).default("auto"),
  policy: z
    .strictObject({
      /** Served models: weights hashes (0x…) or manifest names; empty = every model in modelsDir. */
      models: z.array(z.string().min(1)).default([]),
      /** Minimum fee (token units) per model weights hash or name; "*" is the default. */
      minFeePerModel: z.record(z.string(), amount).default({}),
      maxInputBytes: z.number().int().min(1).default(4096),
      /** Skip requests whose deadline is closer than this many seconds. */
      deadlineMarginSec: z.number().int().min(0).default(5),
      /**
       * Open requests are shared among the eligible operators by a ranking every node computes
       * alike; the operator ranked k serves a request only k × graceSec seconds after its block
       * (if those ahead have not). 0 = serve every open request at once (operators race).
       */
      graceSec: z.number().int().min(0).max(3600).default(15),
    })
    .default({ models: [], minFeePerModel: {}, maxInputBytes: 4096, deadlineMarginSec: 5, graceSec: 15 }),
  /** ZK mode: Groth16 proofs for models the worker holds a circuit for (circuits/, see worker/prover.ts). */
  zk: z
    .strictObject({
      /** Default: on when the circuit files (wasm, proving key) are present. */
      enabled: z.boolean().optional(),
      /** Folder of circuit artefacts (`<name>/<name>.wasm`, `<name>_final.zkey`); default: `circuits` beside modelsDir. */
      circuitsDir: z.string().min(1).optional(),
      /** Prover threads (worker_threads), each proving one request at a time. */
      threads: z.number().int().min(1).max(32).default(1),
      /** ZK results per fulfilBatch transaction (~300k gas each, vs ~25k for a TEE result). */
      batchSize: z.number().int().min(1).max(100).default(16),
      /** Start and warm the prover threads at start instead of with the first ZK request. */
      prestart: z.boolean().default(false),
    })
    .default({ threads: 1, batchSize: 16, prestart: false }),
  /**
   * The intake server (its own port, the one dApps and browsers reach): POST /intake/<requestId>
   * (private inputs), GET /jobs/<requestId> (job status), GET /healthz ({ ok, operator }).
   */
  intake: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Port of the intake server (env VERITY_INTAKE_PORT); 0 = a free port the system picks (logged). */
      port: z.number().int().min(0).max(65535).default(DEFAULT_INTAKE_PORT),
      host: z.string().default("127.0.0.1"),
      /**
       * Origins browsers may call the intake from, e.g. ["https://app.example.org"]; ["*"] = any
       * origin. Empty: no CORS headers, so browsers refuse cross-origin calls (scripts and servers work).
       */
      allowedOrigins: z
        .array(
          z
            .string()
            .regex(/^(\*|https?:\/\/[^/\s]+)\/?$/, 'must be "*" or an origin such as "https://app.example.org"'),
        )
        .default([]),
      /** Seconds a private input is kept after its job is final (confirmed, expired, ...), then deleted. */
      retainSec: z.number().int().min(0).default(3600),
    })
    .default({ enabled: true, port: DEFAULT_INTAKE_PORT, host: "127.0.0.1", allowedOrigins: [], retainSec: 3600 }),
  gas: z
    .strictObject({
      marginPercent: z.number().int().min(0).max(500).default(20),
      bumpPercent: z.number().int().min(10).max(500).default(20),
      stuckAfterMs: z.number().int().min(1000).default(60_000),
      /** Receipt attempts to make before declaring a send lost. */
      maxAttempts: z.number().int().min(1).default(5),
    })
    .default({ marginPercent: 20, bumpPercent: 20, stuckAfterMs: 60_000, maxAttempts: 5 }),
});

export type WorkerConfig = z.infer<typeof configSchema>;
export type WorkerConfigInput = z.input<typeof configSchema>;

export class ConfigError extends Error {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`invalid worker configuration:\n  - ${issues.join("\n  - ")}`);
    this.name = "ConfigError";
    this.issues = issues;
  }
}

const FIXES: Record<string, string> = {
  rpcUrl: "set rpcUrl in the config file or VERITY_RPC_URL",
  enclaveKey: "set VERITY_ENCLAVE_KEY (a 32-byte hex key)",
  operatorKey: "set VERITY_OPERATOR_KEY (a 32-byte hex key)",
  dbPath: 'set dbPath (e.g. "./data/worker.sqlite") or VERITY_DB_PATH',
  modelsDir: "set modelsDir to the folder holding <name>/manifest.json",
  deployment: "set deployment.coordinator and deployment.tee",
};

const ENV: Record<string, string> = {
  VERITY_RPC_URL: "rpcUrl",
  VERITY_OPERATOR_KEY: "operatorKey",
  VERITY_OPERATOR_KEYSTORE: "operatorKeystore",
  VERITY_KEYSTORE_PASSWORD: "keystorePassword",
  VERITY_ENCLAVE_KEY: "enclaveKey",
  VERITY_DB_PATH: "dbPath",
  VERITY_MODELS_DIR: "modelsDir",
  VERITY_LOG_FORMAT: "logFormat",
};

/** Settings renamed since an earlier version: the old name is refused with the new one. */
const RENAMED: Record<string, string> = {
  metricsPort: "httpPort (the port serves /metrics and /healthz; the private-input intake is on intake.port)",
  metricsHost: "httpHost",
};

/** Edit distance (insertions, deletions, substitutions; case-insensitive). */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length]!;
}

/** The object schema at `path` inside the config schema (defaults and optionals unwrapped). */
function objectAt(path: readonly string[]): z.ZodObject | undefined {
  const unwrap = (s: z.ZodType): z.ZodType => {
    let cur = s;
    while (cur instanceof z.ZodDefault || cur instanceof z.ZodOptional) cur = cur.unwrap() as z.ZodType;
    return cur;
  };
  let s: z.ZodType = configSchema;
  for (const k of path) {
    const o = unwrap(s);
    if (!(o instanceof z.ZodObject)) return undefined;
    const next = (o.shape as Record<string, z.ZodType>)[k];
    if (next === undefined) return undefined;
    s = next;
  }
  const o = unwrap(s);
  return o instanceof z.ZodObject ? o : undefined;
}

/** The nearest valid name for an unknown key, if one is close enough to be a misspelling. */
export function nearestSetting(path: readonly string[], key: string): string | undefined {
  const names = Object.keys(objectAt(path)?.shape ?? {});
  let best: { name: string; d: number } | undefined;
  for (const name of names) {
    const d = distance(key, name);
    if (best === undefined || d < best.d) best = { name, d };
  }
  return best !== undefined && best.d <= Math.max(2, Math.floor(key.length / 3)) ? best.name : undefined;
}

function unknownKey(path: readonly string[], key: string): string {
  const full = [...path, key].join(".");
  const renamed = path.length === 0 ? RENAMED[key] : undefined;
  if (renamed !== undefined) return `${full}: renamed (fix: use ${renamed})`;
  const near = nearestSetting(path, key);
  const prefix = path.length > 0 ? `${path.join(".")}.` : "";
  return near !== undefined
    ? `${full}: unknown setting (fix: did you mean "${prefix}${near}"?)`
    : `${full}: unknown setting (fix: remove it; valid here: ${Object.keys(objectAt(path)?.shape ?? {}).join(", ")})`;
}

/** Validate a config object (file JSON merged with env); throws ConfigError naming each bad setting. */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = {}, baseDir = process.cwd()): WorkerConfig {
  const merged: Record<string, unknown> = {
    ...(typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {}),
  };
  for (const [name, key] of Object.entries(ENV)) {
    const v = env[name];
    if (v !== undefined && v !== "") merged[key] = v;
  }
  if (env.VERITY_HTTP_PORT) merged.httpPort = Number(env.VERITY_HTTP_PORT);
  if (env.VERITY_INTAKE_PORT) {
    const intake = merged.intake;
    merged.intake = {
      ...(typeof intake === "object" && intake !== null ? intake : {}),
      port: Number(env.VERITY_INTAKE_PORT),
    };
  }
  const result = configSchema.safeParse(merged);
  // Checked here rather than in the schema so they are reported together with any other problem.
  const extra: string[] = [];
  if (merged.operatorKey === undefined && merged.operatorKeystore === undefined) {
    extra.push(
      "operatorKey: missing: set VERITY_OPERATOR_KEY, or operatorKeystore (VERITY_OPERATOR_KEYSTORE) with VERITY_KEYSTORE_PASSWORD",
    );
  }
  if (env.VERITY_METRICS_PORT)
    extra.push(
      "VERITY_METRICS_PORT: renamed (fix: use VERITY_HTTP_PORT: the port serves /metrics and /healthz; the private-input intake is on VERITY_INTAKE_PORT)",
    );
  const tee = (typeof merged.tee === "object" && merged.tee !== null ? merged.tee : {}) as Record<string, unknown>;
  const tdx = tee.provider === "tdx-configfs";
  if (!tdx && merged.measurement === undefined) {
    extra.push(
      'measurement: missing (fix: set measurement to the enclave code measurement approved on-chain, or attest for real with tee.provider "tdx-configfs")',
    );
  }
  if (tdx && merged.attestationReport !== undefined) {
    extra.push(
      'attestationReport: only the development provider takes a report from the config; with tee.provider "tdx-configfs" the node gets its quote from configfs-tsm (fix: remove attestationReport)',
    );
  }
  for (const k of ["reportDir", "reportEntry"]) {
    if (!tdx && tee[k] !== undefined)
      extra.push(`tee.${k}: only used by tee.provider "tdx-configfs" (fix: remove it, or set tee.provider)`);
  }
  if (merged.operatorKeystore !== undefined && merged.keystorePassword === undefined) {
    extra.push("keystorePassword: missing: set VERITY_KEYSTORE_PASSWORD to decrypt operatorKeystore");
  }
  if (
    result.success &&
    result.data.intake.enabled &&
    result.data.intake.port !== 0 &&
    result.data.intake.port === result.data.httpPort
  )
    extra.push(
      `intake.port: ${result.data.httpPort} is also httpPort (fix: give the intake its own port, e.g. ${DEFAULT_INTAKE_PORT}; /metrics stays on httpPort)`,
    );
  if (!result.success || extra.length > 0) {
    throw new ConfigError([
      ...(result.success ? [] : result.error.issues).flatMap((i) => {
        if (i.code === "unrecognized_keys") return i.keys.map((k) => unknownKey(i.path.map(String), k));
        const path = i.path.length > 0 ? i.path.join(".") : "(root)";
        const fix = FIXES[String(i.path[0])];
        const secret = /key|password/i.test(path);
        const msg = /received undefined/.test(i.message)
          ? "missing"
          : secret && i.code !== "custom"
            ? "is not a valid 32-byte hex key"
            : i.message;
        return `${path}: ${msg}${fix ? ` (fix: ${fix})` : ""}`;
      }),
      ...extra,
    ]);
  }
  const c = result.data!;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    ...c,
    modelsDir: abs(c.modelsDir),
    zk: { ...c.zk, circuitsDir: abs(c.zk.circuitsDir ?? join(c.modelsDir, "..", "circuits")) },
    dbPath: c.dbPath === ":memory:" ? c.dbPath : abs(c.dbPath),
    operatorKeystore: c.operatorKeystore === undefined ? undefined : abs(c.operatorKeystore),
  };
}

/** Read `path` (JSON) and the environment; relative paths in the file are relative to the file. */
export async function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): Promise<WorkerConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new ConfigError([
      `config file ${path}: ${(err as Error).message} (fix: pass --config <file> with valid JSON)`,
    ]);
  }
  return parseConfig(raw, env, dirname(resolve(path)));
}

/** The config without secrets, for logs. */
export function redactedConfig(c: WorkerConfig): Record<string, unknown> {
  const { operatorKey: _o, keystorePassword: _p, enclaveKey: _e, ...rest } = c;
  return {
    ...rest,
    operatorKey: c.operatorKey ? "[redacted]" : undefined,
    enclaveKey: c.tee.provider === "tdx-configfs" ? "[redacted]" : "[redacted: software development key]",
    policy: {
      ...c.policy,
      minFeePerModel: Object.fromEntries(Object.entries(c.policy.minFeePerModel).map(([k, v]) => [k, v.toString()])),
    },
  };
}
