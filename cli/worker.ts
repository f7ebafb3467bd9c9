/** `verity worker …`: write an operator node's configuration from a deployment, and run the node. */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

import { Command, InvalidArgumentError } from "commander";
import { Wallet } from "ethers";

import { isLocalChain } from "@verity-ai/sdk";

import { CliError, bytes32Arg, connect, intArg, output } from "./context.ts";

type TeeProvider = "tdx-configfs" | "development-unattested";
const teeProviderArg = (v: string): TeeProvider => {
  if (v !== "tdx-configfs" && v !== "development-unattested")
    throw new InvalidArgumentError(`--tee must be tdx-configfs or development-unattested, got "${v}"`);
  return v;
};

export function workerCommand(): Command {
  const worker = new Command("worker").description("operators: configure and run the operator node");

  worker
    .command("init")
    .description("write a worker configuration from the deployment (addresses, start block, chain id, key reference)")
    .option(
      "--measurement <hex>",
      "the enclave code measurement approved on-chain (required for the development provider; with --tee tdx-configfs it is read from the quote, and checked against this when given)",
      bytes32Arg("--measurement"),
    )
    .option(
      "--tee <provider>",
      'where the enclave attestation comes from: "tdx-configfs" (an Intel TDX quote from configfs-tsm) or "development-unattested" (local chains only)',
      teeProviderArg,
    )
    .option(
      "--tsm-dir <dir>",
      "with --tee tdx-configfs: the configfs-tsm report directory (default /sys/kernel/config/tsm/report)",
    )
    .option(
      "--tsm-entry <name>",
      "with --tee tdx-configfs: an existing report entry to use (default: a fresh one per quote)",
    )
    .option("-o, --out <file>", "where to write the configuration", "worker.json")
    .option("--models-dir <dir>", "folder of bundled models (<name>/manifest.json), relative to the config", "models")
    .option("--db <file>", "the node's job database, relative to the config", "data/worker.sqlite")
    .option(
      "--confirmations <n>",
      "blocks behind the head (default: 0 on a local chain, 3 elsewhere)",
      intArg("--confirmations", 0, 1000),
    )
    .option(
      "--http-port <port>",
      "port of /metrics and /healthz (keep it private)",
      intArg("--http-port", 1, 65535),
      9464,
    )
    .option(
      "--intake-port <port>",
      "port of the intake dApps reach: private inputs (POST /intake/<id>) and job status (GET /jobs/<id>)",
      intArg("--intake-port", 1, 65535),
      9480,
    )
    .option("--intake-host <host>", "address the intake listens on (0.0.0.0 to face the network)", "127.0.0.1")
    .option(
      "--allow-origin <origin...>",
      'browser origins allowed to call the intake (CORS), e.g. https://app.example.org; "*" = any',
    )
    .option(
      "--new-key",
      "create a fresh operator key in an encrypted keystore beside the config (password: VERITY_KEYSTORE_PASSWORD)",
    )
    .option(
      "--keystore <file>",
      "use this encrypted keystore for the operator key (password: VERITY_KEYSTORE_PASSWORD)",
    )
    .option("--force", "overwrite an existing configuration file", false)
    .action(
      async (
        o: {
          measurement?: string;
          tee?: TeeProvider;
          tsmDir?: string;
          tsmEntry?: string;
          out: string;
          modelsDir: string;
          db: string;
          confirmations?: number;
          httpPort: number;
          intakePort: number;
          intakeHost: string;
          allowOrigin?: string[];
          newKey?: boolean;
          keystore?: string;
          force: boolean;
        },
        cmd: Command,
      ) => {
        if (o.intakePort === o.httpPort)
          throw new CliError(
            `--intake-port ${o.intakePort} is also --http-port: give the intake its own port (default 9480)`,
          );
        if (o.newKey && o.keystore) throw new CliError("give --new-key or --keystore <file>, not both");
        if ((o.tsmDir !== undefined || o.tsmEntry !== undefined) && o.tee !== "tdx-configfs")
          throw new CliError("--tsm-dir and --tsm-entry go with --tee tdx-configfs");
        if (existsSync(o.out) && !o.force)
          throw new CliError(`${o.out} exists: choose another --out, or pass --force to overwrite it`);
        const ctx = await connect(cmd, false);
        const { chainId } = await ctx.provider.getNetwork();
        const local = isLocalChain(chainId);
        const tee = o.tee ?? (local ? "development-unattested" : "tdx-configfs");
        if (tee === "development-unattested" && !local)
          throw new CliError(
            `chain ${chainId} is not a local chain: its node must attest for real — use --tee tdx-configfs (inside an Intel TDX guest)`,
          );
        if (tee === "development-unattested" && o.measurement === undefined)
          throw new CliError(
            "the development provider registers the measurement you give: pass --measurement <the approved measurement>",
          );
        const d = ctx.client.deployment;
        const rpcUrl = ctx.provider._getConnection().url;
        const dir = path.dirname(path.resolve(o.out));
        mkdirSync(dir, { recursive: true });
        let keystore = o.keystore ? path.relative(dir, path.resolve(o.keystore)) : undefined;
        let operator: string | undefined;
        if (o.newKey) {
          const password = process.env.VERITY_KEYSTORE_PASSWORD;
          if (!password) throw new CliError("--new-key encrypts the key: set VERITY_KEYSTORE_PASSWORD first");
          const wallet = Wallet.createRandom();
          const file = path.join(dir, "operator.keystore.json");
          if (existsSync(file) && !o.force)
            throw new CliError(
              `${file} exists: pass --force to replace it (the old key is then lost), or use --keystore ${file}`,
            );
          writeFileSync(file, await wallet.encrypt(password), { mode: 0o600 });
          keystore = path.relative(dir, file);
          operator = wallet.address;
        }
        const config = {
          rpcUrl,
          chainId: Number(chainId),
          deployment: { coordinator: d.coordinator, tee: d.tee },
          startBlock: d.startBlock ?? 0,
          ...(o.measurement !== undefined ? { measurement: o.measurement } : {}),
          tee: {
            provider: tee,
            ...(o.tsmDir !== undefined ? { reportDir: path.resolve(o.tsmDir) } : {}),
            ...(o.tsmEntry !== undefined ? { reportEntry: o.tsmEntry } : {}),
          },
          modelsDir: o.modelsDir,
          dbPath: o.db,
          confirmations: o.confirmations ?? (isLocalChain(chainId) ? 0 : 3),
          httpPort: o.httpPort,
          intake: { port: o.intakePort, host: o.intakeHost, allowedOrigins: o.allowOrigin ?? [] },
          ...(keystore ? { operatorKeystore: keystore } : {}),
        };
        writeFileSync(o.out, JSON.stringify(config, null, 2) + "\n");
        output(ctx, { file: o.out, operator, ...config }, () =>
          [
            `wrote ${o.out} for chain ${chainId} (coordinator ${d.coordinator}, scan from block ${config.startBlock})`,
            operator ? `  operator key: ${operator} in ${keystore} — stake with it, then start the node` : "",
            `  intake for dApps (--operator-url): http://${o.intakeHost === "0.0.0.0" ? "<this host>" : o.intakeHost}:${o.intakePort}` +
              (config.intake.allowedOrigins.length > 0 ? ` (CORS: ${config.intake.allowedOrigins.join(", ")})` : ""),
            `  metrics (keep private): http://127.0.0.1:${o.httpPort}/metrics`,
            `  start it: ${keystore ? "VERITY_KEYSTORE_PASSWORD=…" : "VERITY_OPERATOR_KEY=0x…"} VERITY_ENCLAVE_KEY=0x… verity worker start --config ${o.out}`,
          ]
            .filter(Boolean)
            .join("\n"),
        );
        ctx.provider.destroy();
      },
    );

  worker
    .command("start")
    .description("run the operator node in this process (SIGINT/SIGTERM stop it gracefully)")
    .requiredOption("-c, --config <file>", "worker configuration (JSON)")
    .option("--once", "run one pass and exit", false)
    .action(async (o: { config: string; once: boolean }) => {
      // Loaded only here: no other command loads onnxruntime.
      let node: { runWorker(config: string, opts: { once?: boolean }): Promise<number> };
      try {
        node = await import("@verity-ai/node");
      } catch (err) {
        if ((err as { code?: string }).code !== "ERR_MODULE_NOT_FOUND") throw err;
        throw new CliError(
          "the operator node is not installed: run `npm install @verity-ai/node` beside @verity-ai/cli",
        );
      }
      process.exitCode = await node.runWorker(o.config, { once: o.once });
    });
  return worker;
}
