/** Operator key loading: a raw key from the environment, or an encrypted JSON keystore + password. */
import { readFile } from "node:fs/promises";

import { Wallet, type JsonRpcProvider } from "ethers";

import type { WorkerConfig } from "./config.ts";
import { ConfigError } from "./config.ts";

export async function loadOperator(config: WorkerConfig, provider: JsonRpcProvider): Promise<Wallet> {
  if (config.operatorKey !== undefined) {
    const key = config.operatorKey.startsWith("0x") ? config.operatorKey : `0x${config.operatorKey}`;
    return new Wallet(key, provider);
  }
  const path = config.operatorKeystore!;
  let json: string;
  try {
    json = await readFile(path, "utf8");
  } catch (err) {
    throw new ConfigError([
      `operatorKeystore: cannot read ${path}: ${(err as Error).message} (fix: point operatorKeystore at an encrypted JSON keystore)`,
    ]);
  }
  try {
    const w = await Wallet.fromEncryptedJson(json, config.keystorePassword ?? "");
    return new Wallet(w.privateKey, provider);
  } catch {
    throw new ConfigError([
      `keystorePassword: cannot decrypt ${path} (fix: set VERITY_KEYSTORE_PASSWORD to the keystore's password)`,
    ]);
  }
}
