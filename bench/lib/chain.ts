/**
 * A Hardhat 3 EDR chain served on 127.0.0.1 from its own process, without the `hardhat node` CLI.
 *
 *   node --import tsx bench/lib/chain.ts [port] [--decoder]
 *
 * The chain is the config's `hardhat` network (edr-simulated, l1, 20 accounts of the Hardhat test
 * mnemonic with 10,000 ETH: the same accounts as `hardhat node`) with automine on, no interval mining
 * and EDR logging off. By default it runs in a Hardhat runtime created without plugins and with an
 * empty artifacts folder, so EDR gets no contract decoder: it does not decode every call and
 * transaction for console.log / Solidity stack traces (dev tooling a real chain does not run).
 * `--decoder` serves it from the project's runtime instead (plugins, artifacts, stack traces).
 * Prints `listening <port>` once it listens; SIGTERM / SIGINT close the server.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const port = Number(process.argv.find((a, i) => i >= 2 && /^\d+$/.test(a)) ?? 0);
const decoder = process.argv.includes("--decoder");
const network = {
  type: "edr-simulated",
  chainType: "l1",
  loggingEnabled: false,
  mining: { auto: true, interval: 0 },
} as const;

let empty: string | undefined;
let hre;
if (decoder) {
  hre = (await import("hardhat")).default;
} else {
  const { createHardhatRuntimeEnvironment } = await import("hardhat/hre");
  empty = mkdtempSync(join(tmpdir(), "verity-chain-"));
  hre = await createHardhatRuntimeEnvironment({
    networks: { chain: network },
    paths: { artifacts: empty, cache: empty },
  });
}
const server = await hre.network.createServer(
  decoder ? { network: "hardhat", override: { loggingEnabled: false, mining: network.mining } } : "chain",
  "127.0.0.1",
  port,
);
const { port: bound } = await server.listen();
process.stdout.write(`listening ${bound}\n`);
const stop = async () => {
  await server.close().catch(() => undefined);
  if (empty !== undefined) rmSync(empty, { recursive: true, force: true });
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
