import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import { Command } from "commander";
import type { ModelRegistry } from "@verity-ai/sdk";
import { ZeroAddress } from "ethers";

import {
  CliError,
  addressArg,
  amountArg,
  bytes32Arg,
  connect,
  intArg,
  modeNames,
  modesArg,
  output,
  units,
} from "./context.ts";

interface VersionOptions {
  manifest?: string;
  weightsHash?: string;
  uri?: string;
  runtime?: string;
  encoding?: string;
  zkVerifier?: string;
}

/** A version from --manifest <dir|file> or from explicit flags. */
function versionInput(o: VersionOptions) {
  let m: { weightsHash?: string; runtime?: string; input?: { encoding?: string }; output?: { encoding?: string } } = {};
  let uri = o.uri;
  if (o.manifest) {
    const file = o.manifest.endsWith(".json") ? o.manifest : path.join(o.manifest, "manifest.json");
    if (!existsSync(file))
      throw new CliError(`--manifest: ${file} does not exist (give a model folder holding manifest.json)`);
    m = JSON.parse(readFileSync(file, "utf8"));
    uri ??= `verity://bundled/${path.basename(path.dirname(path.resolve(file)))}/model.onnx`;
  }
  const weightsHash = o.weightsHash ?? m.weightsHash;
  const runtime = o.runtime ?? m.runtime;
  const encoding =
    o.encoding ?? (m.input?.encoding && m.output?.encoding ? `${m.input.encoding}/${m.output.encoding}` : undefined);
  if (!weightsHash) throw new CliError("missing weights hash: pass --weights-hash <0x…> or --manifest <model folder>");
  if (!uri) throw new CliError("missing --uri: where operators can fetch the model file");
  if (!runtime) throw new CliError("missing --runtime (e.g. onnx)");
  if (!encoding) throw new CliError("missing --encoding (e.g. int32be-milli-x4/uint256-argmax)");
  return { weightsHash, uri, runtime, encoding, zkVerifier: o.zkVerifier ?? ZeroAddress };
}

function withVersionFlags(cmd: Command): Command {
  return cmd
    .option("--manifest <path>", "model folder (or manifest.json) to read the weights hash, runtime and encoding from")
    .option("--weights-hash <hash>", "keccak256 of the exact model file bytes", bytes32Arg("--weights-hash"))
    .option("--uri <uri>", "where operators fetch the model file")
    .option("--runtime <name>", "runtime the file needs, e.g. onnx")
    .option("--encoding <in/out>", "input/output encodings, e.g. int32be-milli-x4/uint256-argmax")
    .option("--zk-verifier <address>", "Groth16 verifier of this version's circuit", addressArg("--zk-verifier"));
}

/** Parser of a variadic <modelIds...> argument: each a bytes32. */
const modelIdList = (v: string, prev: string[] = []): string[] => [...prev, bytes32Arg("modelId")(v)];

export function modelCommand(): Command {
  const model = new Command("model").description("model owners: register models, publish versions, set prices");

  withVersionFlags(
    model
      .command("register")
      .description("register a model (owned by your key) with its first version")
      .requiredOption("--name <name>", "model name (1–64 bytes); the id is derived from your address and it")
      .requiredOption("--price <amount>", "price per call in tokens", amountArg("--price"))
      .option(
        "--royalty-bps <bps>",
        "your share of the price in basis points",
        intArg("--royalty-bps", 0, 10_000),
        1_000,
      )
      .option("--modes <list>", "allowed verification modes: tee,zk,optimistic", modesArg, 2),
  ).action(async (o, cmd: Command) => {
    const ctx = await connect(cmd, true);
    const v = versionInput(o);
    const price = (await units(ctx)).parse(o.price);
    const receipt = await (await ctx.client.registry.registerModel(o.name, price, o.royaltyBps, o.modes, v)).wait();
    const modelId = await ctx.client.registry.modelIdOf(ctx.address!, o.name);
    output(
      ctx,
      { modelId, tx: receipt!.hash, ...v },
      () => `registered "${o.name}" as ${modelId} (version 1, weights ${v.weightsHash}) in ${receipt!.hash}`,
    );
  });

  withVersionFlags(
    model
      .command("publish")
      .description("publish a new immutable version of your model")
      .argument("<modelId>", "model id", bytes32Arg("modelId")),
  ).action(async (modelId: string, o, cmd: Command) => {
    const ctx = await connect(cmd, true);
    const v = versionInput(o);
    const receipt = await (await ctx.client.registry.publishVersion(modelId, v)).wait();
    const version = (await ctx.client.registry.getModel(modelId)).latestVersion;
    output(
      ctx,
      { modelId, version, tx: receipt!.hash },
      () => `published version ${version} of ${modelId} in ${receipt!.hash}`,
    );
  });

  model
    .command("pricing")
    .description("set the price per call and your royalty")
    .argument("<modelId>", "model id", bytes32Arg("modelId"))
    .requiredOption("--price <amount>", "price per call in tokens", amountArg("--price"))
    .requiredOption("--royalty-bps <bps>", "royalty in basis points", intArg("--royalty-bps", 0, 10_000))
    .action(async (modelId: string, o, cmd: Command) => {
      const ctx = await connect(cmd, true);
      const u = await units(ctx);
      const price = u.parse(o.price);
      const receipt = await (await ctx.client.registry.setPricing(modelId, price, o.royaltyBps)).wait();
      output(
        ctx,
        { modelId, price, royaltyBps: o.royaltyBps, tx: receipt!.hash },
        () => `pricing of ${modelId}: ${u.format(price)} per call, royalty ${o.royaltyBps} bps`,
      );
    });

  model
    .command("royalties")
    .description("royalties your models have earned and not yet claimed")
    .argument("<modelIds...>", "model ids", modelIdList)
    .action(async (modelIds: string[], _o, cmd: Command) => {
      const ctx = await connect(cmd, false);
      const rows = await Promise.all(
        modelIds.map(async (modelId) => ({ modelId, royalties: await ctx.client.coordinator.royaltiesOf(modelId) })),
      );
      const { format } = await units(ctx);
      output(ctx, rows, () => rows.map((r) => `${r.modelId}  ${format(r.royalties)} unclaimed`).join("\n"));
    });

  model
    .command("claim")
    .description("move the royalties of models you own into your coordinator balance (then: balance withdraw)")
    .argument("<modelIds...>", "model ids", modelIdList)
    .action(async (modelIds: string[], _o, cmd: Command) => {
      const ctx = await connect(cmd, true);
      const { total, receipt } = await ctx.client.claimRoyalties(modelIds);
      const { format } = await units(ctx);
      output(
        ctx,
        { modelIds, claimed: total, tx: receipt.hash },
        () => `claimed ${format(total)} in royalties into your coordinator balance in ${receipt.hash}`,
      );
    });

  model
    .command("list")
    .description("list registered models")
    .action(async (_o, cmd: Command) => {
      const ctx = await connect(cmd, false);
      const r = ctx.client.registry;
      const events = await ctx.client.queryLogs(r, r.filters.ModelRegistered());
      const { format } = await units(ctx);
      const models = await Promise.all(
        events.map(async (e) => ({
          modelId: e.args.modelId,
          name: e.args.name,
          ...(await describe(r, e.args.modelId)),
        })),
      );
      output(ctx, models, () =>
        models.length === 0
          ? "no models registered"
          : models
              .map(
                (m) =>
                  `${m.modelId}  ${m.name.padEnd(16)} v${m.latestVersion}  ${format(m.price)}/call  ${m.modes}  ${m.active ? "active" : "inactive"}`,
              )
              .join("\n"),
      );
    });

  model
    .command("show")
    .description("show a model and its versions")
    .argument("<modelId>", "model id", bytes32Arg("modelId"))
    .action(async (modelId: string, _o, cmd: Command) => {
      const ctx = await connect(cmd, false);
      const r = ctx.client.registry;
      const d = await describe(r, modelId);
      const { format } = await units(ctx);
      const versions: Array<Record<string, unknown>> = [];
      for (let i = 1; i <= d.latestVersion; i++) {
        const v = await r.getVersion(modelId, i);
        versions.push({
          version: i,
          weightsHash: v.weightsHash,
          uri: v.uri,
          runtime: v.runtime,
          encoding: v.encoding,
          zkVerifier: v.zkVerifier,
        });
      }
      output(ctx, { modelId, ...d, versions }, () =>
        [
          `model ${modelId}`,
          `  owner ${d.owner}, price ${format(d.price)}/call, royalty ${d.royaltyBps} bps, modes ${d.modes}, ${d.active ? "active" : "inactive"}`,
          ...versions.map((v) => `  v${v.version}: ${v.weightsHash} ${v.runtime} ${v.encoding} ${v.uri}`),
        ].join("\n"),
      );
    });

  return model;
}

async function describe(r: ModelRegistry, modelId: string) {
  const m = await r.getModel(modelId);
  return {
    owner: m.owner,
    price: m.price,
    royaltyBps: Number(m.royaltyBps),
    modes: modeNames(Number(m.modes)),
    active: m.active,
    latestVersion: Number(m.latestVersion),
  };
}
