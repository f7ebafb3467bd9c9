import { readFileSync } from "node:fs";

import { InvalidArgumentError } from "commander";
import type { Command } from "commander";
import { JsonRpcProvider, NonceManager, Wallet, formatUnits, getAddress, isHexString, parseUnits } from "ethers";
import type { Signer } from "ethers";

import { Mode, VerityClient } from "@verity-ai/sdk";
import { findLocalDeployment, loadDeploymentFile } from "@verity-ai/sdk/node";

/** Global options every command accepts. */
export interface GlobalOptions {
  network?: string;
  rpc?: string;
  deployment?: string;
  json?: boolean;
}

/**
 * Network names, as in hardhat.config.ts: the local node's fixed URL, or the environment variable holding
 * a public chain's RPC URL (the same names Hardhat's configuration variables use; a test keeps them equal).
 */
export const NETWORKS: Record<string, { url: string } | { env: string }> = {
  localhost: { url: "http://127.0.0.1:8545" },
  sepolia: { env: "SEPOLIA_RPC_URL" },
  baseSepolia: { env: "BASE_SEPOLIA_RPC_URL" },
  optimismSepolia: { env: "OPTIMISM_SEPOLIA_RPC_URL" },
  arbitrumSepolia: { env: "ARBITRUM_SEPOLIA_RPC_URL" },
  custom: { env: "VERITY_RPC_URL" },
};

/** The RPC URL of a named network, or a sentence saying what to set. */
function networkUrl(name: string): string {
  const n = NETWORKS[name];
  if (!n)
    throw new CliError(
      `unknown --network "${name}": use one of ${Object.keys(NETWORKS).join(", ")}, or --rpc <url> with --deployment <file>`,
    );
  if ("url" in n) return n.url;
  const url = process.env[n.env];
  if (!url)
    throw new CliError(
      `--network ${name} reads its RPC URL from ${n.env}: set it (export ${n.env}=https://…), or pass --rpc <url>`,
    );
  return url;
}

/** An error the CLI prints as one line, naming the bad argument and the fix. */
export class CliError extends Error {}

export interface Context {
  client: VerityClient;
  provider: JsonRpcProvider;
  signer?: Signer;
  address?: string;
  json: boolean;
}

/** The last connection made, so an error can show amounts in the payment token's units. */
export let lastContext: Context | undefined;

/** Connects to the chain and the deployment named by the global options, with the key from the environment. */
export async function connect(cmd: Command, needSigner: boolean): Promise<Context> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  if (g.network && g.rpc) throw new CliError("give either --network or --rpc, not both");
  const url = g.rpc ?? networkUrl(g.network ?? "localhost");
  const provider = new JsonRpcProvider(url, undefined, { cacheTimeout: -1 });
  let chainId: number;
  try {
    chainId = Number((await provider.getNetwork()).chainId);
  } catch {
    provider.destroy();
    throw new CliError(`no chain answers at ${url}: start one (e.g. "npm start -- --serve") or pass --rpc <url>`);
  }
  let deployment;
  try {
    deployment = g.deployment
      ? loadDeploymentFile(g.deployment, chainId)
      : await findLocalDeployment(chainId, async (a) => (await provider.getCode(a)) !== "0x");
  } catch (err) {
    provider.destroy();
    throw new CliError((err as Error).message);
  }
  let signer: Signer | undefined;
  if (needSigner) signer = new NonceManager(loadKey(provider));
  const client = new VerityClient(deployment, signer ?? provider);
  lastContext = {
    client,
    provider,
    signer,
    address: signer ? await signer.getAddress() : undefined,
    json: Boolean(g.json),
  };
  return lastContext;
}

/** The caller's key: VERITY_PRIVATE_KEY, or VERITY_KEYSTORE (encrypted JSON) + VERITY_KEYSTORE_PASSWORD. */
function loadKey(provider: JsonRpcProvider): Wallet {
  const key = process.env.VERITY_PRIVATE_KEY;
  if (key) {
    if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key)) throw new CliError("VERITY_PRIVATE_KEY is not a 32-byte hex key");
    return new Wallet(key, provider);
  }
  const file = process.env.VERITY_KEYSTORE;
  if (file) {
    const password = process.env.VERITY_KEYSTORE_PASSWORD;
    if (password === undefined) throw new CliError("VERITY_KEYSTORE is set but VERITY_KEYSTORE_PASSWORD is not");
    return Wallet.fromEncryptedJsonSync(readFileSync(file, "utf8"), password).connect(provider) as Wallet;
  }
  throw new CliError(
    "this command signs a transaction: set VERITY_PRIVATE_KEY, or VERITY_KEYSTORE and VERITY_KEYSTORE_PASSWORD (keys are never taken from flags)",
  );
}

/** Prints `value` as JSON with --json, else the human text. */
export function output(ctx: { json: boolean }, value: unknown, human: () => string): void {
  if (ctx.json) console.log(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2));
  else console.log(human());
}

// ------------------------------------------------------------------ argument parsers

/**
 * A token amount as typed ("10", "2.5"): checked for shape here, turned into token units by
 * `units(ctx).parse` once the payment token's decimals are known (a 6-decimal stablecoin and an 18-decimal
 * test token read the same text differently).
 */
export const amountArg = (name: string) => (v: string) => {
  if (!/^\d+(\.\d+)?$/.test(v))
    throw new InvalidArgumentError(`${name} must be a token amount like 10 or 2.5, got "${v}"`);
  return { name, text: v } satisfies AmountText;
};

/** An amount argument before the token's decimals are known. */
export interface AmountText {
  name: string;
  text: string;
}

export const intArg = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}, got "${v}"`);
  return n;
};

export const bytes32Arg = (name: string) => (v: string) => {
  if (!isHexString(v, 32)) throw new InvalidArgumentError(`${name} must be 0x followed by 64 hex digits, got "${v}"`);
  return v.toLowerCase();
};

export const addressArg = (name: string) => (v: string) => {
  try {
    return getAddress(v);
  } catch {
    throw new InvalidArgumentError(`${name} must be a 0x-prefixed 20-byte address, got "${v}"`);
  }
};

export const requestIdArg = (v: string) => {
  try {
    return BigInt(v);
  } catch {
    throw new InvalidArgumentError(`request id must be a number or 0x-hex, got "${v}"`);
  }
};

/** Mode names as the CLI takes them, from the SDK's `Mode`. */
const MODES: Record<string, number> = Object.fromEntries(
  Object.entries(Mode).map(([name, value]) => [name.toLowerCase(), value]),
);
export const modeArg = (v: string) => {
  const m = MODES[v.toLowerCase()];
  if (m === undefined)
    throw new InvalidArgumentError(`mode must be one of ${Object.keys(MODES).join(", ")}, got "${v}"`);
  return m;
};
export const modesArg = (v: string) => {
  let bits = 0;
  for (const part of v.split(",")) bits |= 1 << modeArg(part.trim());
  return bits;
};
export const modeNames = (bits: number) =>
  Object.entries(MODES)
    .filter(([, m]) => bits & (1 << m))
    .map(([n]) => n)
    .join(",");

/** A request id as everyone shows it: 0x and 64 hex digits. */
export const hexId = (requestId: bigint): string => `0x${requestId.toString(16).padStart(64, "0")}`;

/** The payment token's units: its symbol and decimals, to read and show amounts. */
export interface TokenUnits {
  symbol: string;
  decimals: number;
  /** `1.5 USDC`. */
  format(amount: bigint): string;
  /** An amount argument in token units; a clear error when it has more decimals than the token. */
  parse(amount: AmountText): bigint;
}

const unitsCache = new WeakMap<Context, Promise<TokenUnits>>();

/** The payment token's units (read once per command). */
export function units(ctx: Context): Promise<TokenUnits> {
  let u = unitsCache.get(ctx);
  if (!u) {
    u = Promise.all([ctx.client.token.symbol(), ctx.client.token.decimals()]).then(([symbol, d]) => {
      const decimals = Number(d);
      return {
        symbol,
        decimals,
        format: (amount: bigint) => `${formatUnits(amount, decimals)} ${symbol}`,
        parse: ({ name, text }: AmountText) => {
          const fraction = text.split(".")[1] ?? "";
          if (fraction.length > decimals)
            throw new CliError(
              `${name} ${text} has ${fraction.length} decimals but ${symbol} has ${decimals}: give at most ${decimals} digits after the point`,
            );
          return parseUnits(text, decimals);
        },
      };
    });
    unitsCache.set(ctx, u);
  }
  return u;
}

/** Formats token amounts with the payment token's decimals and symbol (read once per command). */
export async function tokenFormatter(ctx: Context): Promise<(amount: bigint) => string> {
  return (await units(ctx)).format;
}
