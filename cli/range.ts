/**
 * `verity result prove-range` and `verity result check-range`: a range predicate over one field of a
 * committed record, proved in zero knowledge (sdk/src/fields/range.ts). The proof shows that the field
 * lies in [min, max] and reveals nothing else of the record: the checker learns the request, the field
 * and the bounds, never the value or its salt.
 *
 * The record file is the one `verity result disclose` reads (cli/disclose.ts). Bounds are given in the
 * field's unit (e.g. `--min 20 --max 30` for worst radius) and encoded exactly with the field's scale,
 * as the record is. A range proof file is the SDK's fieldRangeToJson plus the request, the model, the
 * field's name, unit and scale, and the bounds in that unit.
 */
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";

import { Command } from "commander";
import { Contract, getAddress, toBeHex, zeroPadValue } from "ethers";

import {
  FieldRangeError,
  IFieldRangeVerifierAbi,
  RANGE_MAX,
  RANGE_MIN,
  checkFieldRange,
  decodeRevert,
  explainRevert,
  fieldRangeFromJson,
  fieldRangeToJson,
  proveFieldRange,
  rangeProofWords,
  zkShutdown,
  type FieldRangeProof,
} from "@verity-ai/sdk";
import { CliError, addressArg, connect, hexId, output, requestIdArg, type GlobalOptions } from "./context.ts";
import { decodeValue, encodeValue, manifestFields, readJson, readRecord, type FieldSpec } from "./disclose.ts";

const hex32 = (v: bigint) => zeroPadValue(toBeHex(v), 32);

/** A bound in the field's unit (a decimal, possibly negative) as the record encodes it. */
function encodeBound(raw: string, option: string, f: FieldSpec): bigint {
  const negative = raw.trim().startsWith("-");
  let v: bigint;
  try {
    v = encodeValue(negative ? raw.trim().slice(1) : raw, f);
  } catch (err) {
    throw new CliError(`${option}: ${(err as Error).message.replace(/^the record's value/, "the bound")}`);
  }
  return negative ? -v : v;
}

/** `--field worst_radius` or `--field 0`. */
function selectField(arg: string, fields: readonly FieldSpec[]): number {
  const i = /^\d+$/.test(arg) ? Number(arg) : fields.findIndex((f) => f.name === arg);
  if (i < 0 || i >= fields.length)
    throw new CliError(
      `--field: "${arg}" is not a field of this model: use a name or an index from 0 to ${fields.length - 1} (${fields.map((f) => f.name).join(", ")})`,
    );
  return i;
}

const inUnit = (v: bigint, f: FieldSpec) => (v < 0n ? `-${decodeValue(-v, f.scale)}` : decodeValue(v, f.scale));

/** The model folder of `--manifest`, else models/<the record's model> under the working directory. */
function manifestOf(o: { manifest?: string }, recordFile: string) {
  if (o.manifest) return manifestFields(o.manifest);
  const model = readJson(recordFile, "--record:").model;
  const guess = typeof model === "string" ? path.join("models", model) : undefined;
  if (!guess || !existsSync(path.join(guess, "manifest.json")))
    throw new CliError(
      `--record names no model whose manifest is at models/<model>/manifest.json here: pass --manifest <model folder>`,
    );
  return manifestFields(guess);
}

export function proveRangeCommand(): Command {
  return new Command("prove-range")
    .description(
      "prove in zero knowledge that one field of a request's committed record lies in [min, max], without revealing it",
    )
    .argument("<requestId>", "the request whose inputHash commits to the record", requestIdArg)
    .requiredOption("--field <name>", "the field: its name or index in the model's manifest")
    .requiredOption("--min <value>", "lowest value, inclusive, in the field's unit (e.g. 20.5)")
    .requiredOption("--max <value>", "highest value, inclusive, in the field's unit")
    .requiredOption("--record <file>", "the record: field values (in the manifest's units) and their salts, as JSON")
    .option("--manifest <path>", "model folder (or manifest.json) naming the record's fields (default: models/<model>)")
    .option(
      "--circuit <dir>",
      "folder of the field-range circuit's wasm and zkey (default: circuits/field-range/d<depth>)",
    )
    .option("--out <file>", "write the range proof here (default: print it)")
    .action(
      async (
        requestId: bigint,
        o: {
          field: string;
          min: string;
          max: string;
          record: string;
          manifest?: string;
          circuit?: string;
          out?: string;
        },
        cmd: Command,
      ) => {
        const json = Boolean(cmd.optsWithGlobals<GlobalOptions>().json);
        const { model, fields } = manifestOf(o, o.record);
        const index = selectField(o.field, fields);
        const f = fields[index]!;
        const min = encodeBound(o.min, "--min", f);
        const max = encodeBound(o.max, "--max", f);
        // The record holds this field in [0, 2^bits): a bound outside says nothing about it.
        const top = f.bits !== undefined ? (1n << BigInt(f.bits)) - 1n : RANGE_MAX;
        for (const [option, b] of [
          ["--min", min],
          ["--max", max],
        ] as const) {
          if (b < 0n || b > top)
            throw new CliError(
              `${option} ${inUnit(b, f)} is outside ${f.name}'s range [0, ${inUnit(top, f)}]${f.unit ? ` ${f.unit}` : ""} (the record encodes it in ${f.bits ?? 31} bits): give a bound within it`,
            );
        }
        const { values, salts, tree } = readRecord(o.record, model, fields);
        const ctx = await connect(cmd, false);
        const view = await ctx.client.readResult(requestId);
        if (BigInt(view.request.inputHash) !== tree.root)
          throw new CliError(
            `the record's commitment ${hex32(tree.root)} is not request ${hexId(requestId)}'s inputHash ${view.request.inputHash}: this record (or its salts) is not the one committed in that request`,
          );
        const dir = o.circuit ?? path.join("circuits", "field-range", `d${tree.depth}`);
        const wasm = path.join(dir, `field-range-d${tree.depth}.wasm`);
        const zkey = path.join(dir, `field-range-d${tree.depth}_final.zkey`);
        for (const file of [wasm, zkey])
          if (!existsSync(file))
            throw new CliError(
              `${file} does not exist: pass --circuit <folder of the depth-${tree.depth} field-range circuit> (npm run zk:range -- ${tree.depth} builds it)`,
            );
        const t0 = performance.now();
        let p: FieldRangeProof;
        try {
          p = await proveFieldRange({ tree, values, salts, index, min, max, wasm, zkey, name: f.name });
        } catch (err) {
          if (err instanceof FieldRangeError && err.problem === "false")
            throw new CliError(
              `${f.name} of this record is not in [${o.min}, ${o.max}]${f.unit ? ` ${f.unit}` : ""}: a false predicate cannot be proved; choose bounds that hold`,
            );
          if (err instanceof FieldRangeError) throw new CliError(err.message);
          throw err;
        } finally {
          await zkShutdown();
        }
        const proveMs = Math.round(performance.now() - t0);
        const file = {
          kind: "verity-field-range/1",
          model,
          request: hexId(requestId),
          field: { index, name: f.name, unit: f.unit, scale: f.scale },
          bounds: { min: inUnit(min, f), max: inUnit(max, f) },
          ...fieldRangeToJson(p),
        };
        const text = JSON.stringify(file, null, 2) + "\n";
        if (o.out) writeFileSync(o.out, text);
        const summary = {
          request: file.request,
          commitment: hex32(p.commitment),
          field: f.name,
          min: file.bounds.min,
          max: file.bounds.max,
          proveMs,
          out: o.out,
        };
        if (!o.out && !json) {
          process.stdout.write(text);
          return;
        }
        output({ json }, o.out ? summary : file, () =>
          [
            `proved ${f.name} ∈ [${summary.min}, ${summary.max}]${f.unit ? ` ${f.unit}` : ""} for request ${summary.request} in ${(proveMs / 1000).toFixed(1)} s → ${o.out}`,
            `the value stays private: a checker learns the field, the bounds and the commitment ${summary.commitment}`,
          ].join("\n"),
        );
      },
    );
}

/** One side's verdict. */
interface Verdict {
  ok: boolean;
  message?: string;
}

export function checkRangeCommand(): Command {
  return new Command("check-range")
    .description(
      "check a range proof against its request's commitment, off-chain and with a FieldRangeVerifier on chain",
    )
    .argument("<proof>", "range proof JSON from verity result prove-range")
    .option("--request <requestId>", "check against this request (default: the one the file names)", requestIdArg)
    .option("--commitment <value>", "check against this commitment instead, off-chain only (0x-hex or decimal)")
    .option("--verifier <address>", "FieldRangeVerifier to check on chain with", addressArg("--verifier"))
    .action(async (file: string, o: { request?: bigint; commitment?: string; verifier?: string }, cmd: Command) => {
      const json = Boolean(cmd.optsWithGlobals<GlobalOptions>().json);
      const raw = readJson(file, "range proof") as {
        request?: string;
        model?: string;
        field?: { name?: string; unit?: string; scale?: number };
        bounds?: { min?: string; max?: string };
      };
      let p: FieldRangeProof;
      try {
        p = fieldRangeFromJson(raw as unknown as Parameters<typeof fieldRangeFromJson>[0]);
      } catch (err) {
        throw new CliError(
          `range proof ${file} is malformed (${(err as Error).message}): write it with "verity result prove-range"`,
        );
      }
      if (o.commitment !== undefined && (o.request !== undefined || o.verifier !== undefined))
        throw new CliError("--commitment checks off-chain only: give either --commitment, or --request / --verifier");
      const name = raw.field?.name ?? `field ${p.index}`;
      const unit = raw.field?.unit ? ` ${raw.field.unit}` : "";
      const bounds =
        raw.bounds?.min !== undefined ? `[${raw.bounds.min}, ${raw.bounds.max}]${unit}` : `[${p.min}, ${p.max}]`;

      let commitment: bigint;
      let requestId: bigint | undefined;
      let ctx;
      let request;
      if (o.commitment !== undefined) {
        if (!/^(0x[0-9a-fA-F]{1,64}|[0-9]+)$/.test(o.commitment) || BigInt(o.commitment) >= 1n << 256n)
          throw new CliError(`--commitment must be a 32-byte value in 0x-hex or decimal, got "${o.commitment}"`);
        commitment = BigInt(o.commitment);
      } else {
        requestId = o.request ?? (raw.request !== undefined ? requestIdArg(raw.request) : undefined);
        if (requestId === undefined)
          throw new CliError(
            `range proof ${file} names no request: pass --request <requestId> or --commitment <value>`,
          );
        ctx = await connect(cmd, false);
        request = (await ctx.client.readResult(requestId)).request;
        commitment = BigInt(request.inputHash);
      }

      const offChain: Verdict & { problem?: string } = { ok: true };
      try {
        await checkFieldRange(commitment, p, { name: raw.field?.name });
      } catch (err) {
        if (!(err instanceof FieldRangeError)) throw err;
        Object.assign(offChain, { ok: false, problem: err.problem, message: err.message });
      } finally {
        await zkShutdown();
      }

      const verifierAddress = o.verifier ?? (ctx?.client.deployment as { fieldRange?: string } | undefined)?.fieldRange;
      let onChain: (Verdict & { verifier: string; error?: { name: string; args: unknown[] } }) | undefined;
      if (verifierAddress && request) {
        if ((await ctx!.provider.getCode(verifierAddress)) === "0x")
          throw new CliError(
            `no contract is deployed at ${getAddress(verifierAddress)} on this chain: give the FieldRangeVerifier's address (--verifier, or "fieldRange" in the deployment)`,
          );
        const verifier = new Contract(getAddress(verifierAddress), IFieldRangeVerifierAbi, ctx!.provider);
        onChain = { ok: true, verifier: getAddress(verifierAddress) };
        try {
          await verifier
            .getFunction("proveRange")
            .staticCall(request, p.fieldCount, p.index, p.min, p.max, rangeProofWords(p.proof));
        } catch (err) {
          const decoded = decodeRevert(err);
          if (!decoded) throw err;
          onChain.ok = false;
          onChain.error = { name: decoded.name, args: decoded.args };
          onChain.message = `${explainRevert(err)} (${decoded.text})`;
        }
      }

      const ok = offChain.ok && (onChain?.ok ?? true);
      const result = {
        ok,
        request: requestId === undefined ? undefined : hexId(requestId),
        commitment: hex32(commitment),
        model: raw.model,
        field: { index: p.index, name: raw.field?.name },
        min: p.min.toString(),
        max: p.max.toString(),
        bounds,
        offChain,
        onChain: onChain ?? null,
      };
      if (!ok) {
        process.exitCode = 1;
        if (!json) {
          if (!offChain.ok) console.error(`error: off-chain check: ${offChain.message}`);
          if (onChain && !onChain.ok) console.error(`error: on-chain check (${onChain.verifier}): ${onChain.message}`);
          return;
        }
      }
      output({ json }, result, () =>
        [
          `range proof VALID: ${name} (field ${p.index}) of ${result.request ? `request ${result.request}` : `commitment ${result.commitment}`} lies in ${bounds}`,
          `  checked off-chain${onChain ? ` and on-chain by ${onChain.verifier}` : ""}; the value and every other field stay private`,
        ].join("\n"),
      );
    });
}
