/**
 * `verity result disclose` and `verity result check-disclosure`: field-level selective disclosure of a
 * committed record (sdk/src/fields) from the command line.
 *
 * A record file is the requester's private copy of what was committed:
 *   { "model": "breast-cancer-mlp",
 *     "values": { "<field name>": "25.38", … },   // every manifest field, in its unit (number or decimal string,
 *                                                 // or "<encoded>/<scale>" for a scale not a power of ten)
 *     "salts":  { "<field name>": "<decimal or 0x-hex>", … } }   // one salt per field, or
 *     "masterSalt": "<decimal or 0x-hex>" }                      // salt_i = Poseidon(masterSalt, i)
 * Each value is encoded as value × scale (the manifest's fixed-point encoding), exactly: a value with
 * more decimals than its scale allows is refused rather than rounded, so the commitment is the one the
 * circuit computes from the same integers.
 *
 * A disclosure file is the SDK's disclosureToJson plus the model's name and each opened field's name,
 * unit and scale. The checker trusts names from --manifest when given, else from the file.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import { Command } from "commander";
import { Contract, getAddress, isHexString, toBeHex, zeroPadValue } from "ethers";

import {
  FieldDisclosureError,
  IFieldDisclosureVerifierAbi,
  checkFieldDisclosure,
  decodeRevert,
  deriveFieldSalts,
  disclosureFromJson,
  disclosureToJson,
  discloseFields,
  explainRevert,
  fieldTree,
  type FieldDisclosure,
  type FieldTree,
} from "@verity-ai/sdk";
import { CliError, addressArg, connect, hexId, output, requestIdArg, type GlobalOptions } from "./context.ts";

/** What the CLI needs of a manifest's input field. */
export interface FieldSpec {
  name: string;
  unit?: string;
  scale: number;
  bits?: number;
}

const hex32 = (v: bigint) => zeroPadValue(toBeHex(v), 32);

export function readJson(file: string, what: string): Record<string, unknown> {
  if (!existsSync(file)) throw new CliError(`${what} ${file} does not exist: check the path`);
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new CliError(`${what} ${file} is not valid JSON (${(err as Error).message}): fix the file`);
  }
}

/** The model's input fields from --manifest <model folder | manifest.json>. */
export function manifestFields(where: string): { model: string; fields: FieldSpec[] } {
  const file = where.endsWith(".json") ? where : path.join(where, "manifest.json");
  const m = readJson(file, "--manifest:") as { name?: string; input?: { fields?: FieldSpec[] } };
  const fields = m.input?.fields;
  if (!Array.isArray(fields) || fields.length === 0)
    throw new CliError(
      `--manifest: ${file} lists no input.fields: field disclosure needs a model whose manifest names its fields`,
    );
  return { model: String(m.name ?? path.basename(path.dirname(file))), fields };
}

/** `value × scale` exactly, from a decimal in the field's unit (or "<encoded>/<scale>", as decodeValue writes it). */
export function encodeValue(raw: unknown, f: FieldSpec): bigint {
  const s = typeof raw === "number" ? String(raw) : raw;
  const ratio = typeof s === "string" ? /^(\d+)\/(\d+)$/.exec(s.trim()) : null;
  if (ratio && Number(ratio[2]) === f.scale) return BigInt(ratio[1]!);
  const m = typeof s === "string" ? /^(\d+)(?:\.(\d+))?$/.exec(s.trim()) : null;
  if (!m)
    throw new CliError(
      `the record's value of ${f.name} is ${JSON.stringify(raw)}: give a non-negative decimal in ${f.unit ?? "its unit"}, e.g. "25.38"`,
    );
  const frac = m[2] ?? "";
  const scaled = BigInt(m[1]! + frac) * BigInt(f.scale);
  const denominator = 10n ** BigInt(frac.length);
  if (scaled % denominator !== 0n)
    throw new CliError(
      `the record's value ${s} of ${f.name} has more decimals than its scale ${f.scale} allows: give it to at most ${Math.round(Math.log10(f.scale))} decimals, as committed`,
    );
  return scaled / denominator;
}

/** An encoded integer back in the field's unit, e.g. 25380 with scale 1000 → "25.38" ("<v>/<scale>" for a scale not a power of ten). */
export function decodeValue(v: bigint, scale: number): string {
  const digits = Math.log10(scale);
  if (!Number.isInteger(digits) || digits === 0) return digits === 0 ? v.toString() : `${v}/${scale}`;
  const s = v.toString().padStart(digits + 1, "0");
  const out = `${s.slice(0, -digits)}.${s.slice(-digits)}`.replace(/\.?0+$/, "");
  return out === "" ? "0" : out;
}

function parseSalt(raw: unknown, name: string): bigint {
  if (typeof raw === "string" && (/^[0-9]+$/.test(raw) || isHexString(raw))) return BigInt(raw);
  throw new CliError(`the record's salt of ${name} is ${JSON.stringify(raw)}: give it as a decimal or 0x-hex string`);
}

/** `--fields worst_radius,7`: names or indices into the manifest's fields. */
function selectFields(arg: string, fields: readonly FieldSpec[]): number[] {
  const out: number[] = [];
  for (const part of arg.split(",").map((p) => p.trim())) {
    let i = /^\d+$/.test(part) ? Number(part) : fields.findIndex((f) => f.name === part);
    if (i < 0 || i >= fields.length)
      throw new CliError(
        `--fields: "${part}" is not a field of this model: use a name or an index from 0 to ${fields.length - 1} (${fields.map((f) => f.name).join(", ")})`,
      );
    out.push(i);
  }
  return out;
}

/**
 * A record file (see the header) read against the manifest's fields: the encoded values, their salts
 * and the field tree whose root is the record's commitment.
 */
export function readRecord(
  file: string,
  model: string,
  fields: readonly FieldSpec[],
): { values: bigint[]; salts: bigint[]; tree: FieldTree } {
  const record = readJson(file, "--record:") as {
    values?: Record<string, unknown>;
    salts?: unknown;
    masterSalt?: unknown;
  };
  const values = record.values;
  if (record.salts !== undefined && record.masterSalt !== undefined)
    throw new CliError(
      `--record: ${file} gives both "salts" and "masterSalt": keep the one the commitment was made with`,
    );
  const salts = (record.salts ?? {}) as Record<string, unknown>;
  if (typeof values !== "object" || values === null || (typeof salts !== "object" && record.masterSalt === undefined))
    throw new CliError(
      `--record: ${file} needs a "values" object and a "salts" object keyed by field name (or a "masterSalt"): see the header of cli/disclose.ts`,
    );
  const unknown = Object.keys(values).filter((k) => !fields.some((f) => f.name === k));
  if (unknown.length > 0)
    throw new CliError(
      `--record: ${unknown.join(", ")} ${unknown.length === 1 ? "is not a field" : "are not fields"} of ${model}: use its field names (${fields.map((f) => f.name).join(", ")})`,
    );
  const missing = (obj: Record<string, unknown>) => fields.filter((f) => !(f.name in obj)).map((f) => f.name);
  if (missing(values).length > 0)
    throw new CliError(
      `--record: the value of ${missing(values).join(", ")} is missing: a commitment covers every field`,
    );
  if (record.masterSalt === undefined && missing(salts).length > 0)
    throw new CliError(`--record: the salt of ${missing(salts).join(", ")} is missing: give one salt per field`);
  const encoded = fields.map((f) => encodeValue(values[f.name], f));
  let saltList: bigint[];
  try {
    saltList =
      record.masterSalt === undefined
        ? fields.map((f) => parseSalt(salts[f.name], f.name))
        : deriveFieldSalts(parseSalt(record.masterSalt, "the record (masterSalt)"), fields.length);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`--record: ${(err as Error).message}`);
  }
  let tree;
  try {
    tree = fieldTree(encoded, saltList);
  } catch (err) {
    throw new CliError(`--record: ${(err as Error).message}`);
  }
  return { values: encoded, salts: saltList, tree };
}

export function discloseCommand(): Command {
  return new Command("disclose")
    .description("open chosen fields of a committed record (values, salts, Merkle paths) for anyone to check")
    .requiredOption("--record <file>", "the record: field values (in the manifest's units) and their salts, as JSON")
    .requiredOption("--fields <list>", "fields to disclose: names or indices, comma-separated")
    .requiredOption("--manifest <path>", "model folder (or manifest.json) naming the record's fields")
    .option("--out <file>", "write the disclosure here (default: print it)")
    .action((o: { record: string; fields: string; manifest: string; out?: string }, cmd: Command) => {
      const json = Boolean(cmd.optsWithGlobals<GlobalOptions>().json);
      const { model, fields } = manifestFields(o.manifest);
      const { values: encoded, salts: saltList, tree } = readRecord(o.record, model, fields);
      const indices = selectFields(o.fields, fields);
      const d = discloseFields(tree, encoded, saltList, indices);
      const base = disclosureToJson(d);
      const file = {
        model,
        ...base,
        fields: base.fields.map((f) => ({
          name: fields[f.index]!.name,
          unit: fields[f.index]!.unit,
          scale: fields[f.index]!.scale,
          ...f,
        })),
      };
      const text = JSON.stringify(file, null, 2) + "\n";
      if (o.out) writeFileSync(o.out, text);
      const summary = {
        commitment: hex32(d.commitment),
        fieldCount: d.fieldCount,
        disclosed: d.fields.map((f) => fields[f.index]!.name),
        out: o.out,
      };
      if (!o.out && !json) {
        process.stdout.write(text);
        return;
      }
      output({ json }, o.out ? summary : file, () =>
        [
          `commitment ${summary.commitment} (${model}, ${d.fieldCount} fields)`,
          `disclosed ${summary.disclosed.join(", ")} → ${o.out}; the other ${d.fieldCount - d.fields.length} fields stay private`,
        ].join("\n"),
      );
    });
}

/** One side's verdict. */
interface Verdict {
  ok: boolean;
  message?: string;
}

export function checkDisclosureCommand(): Command {
  return new Command("check-disclosure")
    .description(
      "check a field disclosure against a commitment (or a request's), off-chain and with a FieldDisclosureVerifier on chain",
    )
    .argument("<disclosure>", "disclosure JSON from verity result disclose")
    .option("--commitment <value>", "the record's commitment (0x-hex or decimal)")
    .option("--request <requestId>", "take the commitment from this request's inputHash", requestIdArg)
    .option("--verifier <address>", "FieldDisclosureVerifier to check on chain with", addressArg("--verifier"))
    .option("--manifest <path>", "model folder (or manifest.json) to take the field names, units and ranges from")
    .action(
      async (
        file: string,
        o: { commitment?: string; request?: bigint; verifier?: string; manifest?: string },
        cmd: Command,
      ) => {
        const json = Boolean(cmd.optsWithGlobals<GlobalOptions>().json);
        if ((o.commitment === undefined) === (o.request === undefined))
          throw new CliError(
            "give the commitment to check against: either --commitment <0x…> or --request <requestId>, not both",
          );
        const raw = readJson(file, "disclosure") as {
          model?: string;
          fields?: { name?: string; unit?: string; scale?: number }[];
        };
        let d: FieldDisclosure;
        try {
          d = disclosureFromJson(raw as Parameters<typeof disclosureFromJson>[0]);
        } catch (err) {
          throw new CliError(
            `disclosure ${file} is malformed (${(err as Error).message}): write it with "verity result disclose"`,
          );
        }
        const trusted = o.manifest ? manifestFields(o.manifest) : undefined;
        /** Name, unit and scale of field i: the manifest's, else the file's. */
        const spec = (i: number): FieldSpec | undefined => {
          if (trusted) return trusted.fields[i];
          const f = raw.fields?.find((x) => (x as { index?: number }).index === i);
          return f?.name ? { name: f.name, unit: f.unit, scale: f.scale ?? 1 } : undefined;
        };

        let commitment: bigint;
        let ctx;
        // The chain is needed for --request and --verifier; an explicit deployment may name the verifier.
        const g = cmd.optsWithGlobals<GlobalOptions>();
        if (o.request !== undefined || o.verifier !== undefined || g.deployment !== undefined || g.rpc !== undefined)
          ctx = await connect(cmd, false);
        if (o.commitment !== undefined) {
          if (!/^(0x[0-9a-fA-F]{1,64}|[0-9]+)$/.test(o.commitment) || BigInt(o.commitment) >= 1n << 256n)
            throw new CliError(`--commitment must be a 32-byte value in 0x-hex or decimal, got "${o.commitment}"`);
          commitment = BigInt(o.commitment);
        } else {
          const v = await ctx!.client.readResult(o.request!);
          commitment = BigInt(v.request.inputHash);
        }

        // Off chain: the SDK's check, with the manifest's names and ranges when given.
        const offChain: Verdict & { problem?: string; index?: number } = { ok: true };
        let disclosed = new Map<number, bigint>();
        try {
          disclosed = checkFieldDisclosure(commitment, d, {
            fieldCount: trusted?.fields.length,
            fields: trusted?.fields.map((f) => ({ name: f.name, bits: f.bits ?? 254 })),
          });
        } catch (err) {
          if (!(err instanceof FieldDisclosureError)) throw err;
          Object.assign(offChain, { ok: false, problem: err.problem, index: err.index, message: err.message });
        }

        // On chain: a static call to the verifier, which reverts with the problem.
        const verifierAddress =
          o.verifier ?? (ctx?.client.deployment as { fieldDisclosure?: string } | undefined)?.fieldDisclosure;
        let onChain: (Verdict & { verifier: string; error?: { name: string; args: unknown[] } }) | undefined;
        if (verifierAddress) {
          if ((await ctx!.provider.getCode(verifierAddress)) === "0x")
            throw new CliError(
              `no contract is deployed at ${getAddress(verifierAddress)} on this chain: give the FieldDisclosureVerifier's address (--verifier, or "fieldDisclosure" in the deployment)`,
            );
          const verifier = new Contract(getAddress(verifierAddress), IFieldDisclosureVerifierAbi, ctx!.provider);
          onChain = { ok: true, verifier: getAddress(verifierAddress) };
          try {
            const structs = d.fields.map((f) => ({ ...f }));
            await verifier.getFunction("verifyDisclosure").staticCall(hex32(commitment), d.fieldCount, structs);
          } catch (err) {
            const decoded = decodeRevert(err);
            if (!decoded) throw err;
            onChain.ok = false;
            onChain.error = { name: decoded.name, args: decoded.args };
            onChain.message = `${explainRevert(err)} (${decoded.text})`;
          }
        }

        const ok = offChain.ok && (onChain?.ok ?? true);
        const fieldCount = trusted?.fields.length ?? d.fieldCount;
        const all = Array.from({ length: fieldCount }, (_, i) => i);
        const label = (i: number) => spec(i)?.name ?? `field ${i}`;
        const result = {
          ok,
          commitment: hex32(commitment),
          request: o.request === undefined ? undefined : hexId(o.request),
          model: trusted?.model ?? raw.model,
          fieldCount,
          offChain,
          onChain: onChain ?? null,
          disclosed: ok
            ? [...disclosed].map(([i, v]) => {
                const s = spec(i);
                return {
                  index: i,
                  name: s?.name,
                  unit: s?.unit,
                  encoded: v.toString(),
                  value: s ? decodeValue(v, s.scale) : v.toString(),
                };
              })
            : [],
          private: ok ? all.filter((i) => !disclosed.has(i)).map(label) : [],
        };
        if (!ok) {
          process.exitCode = 1;
          if (!json) {
            if (!offChain.ok) console.error(`error: off-chain check: ${offChain.message}`);
            if (onChain && !onChain.ok)
              console.error(`error: on-chain check (${onChain.verifier}): ${onChain.message}`);
            return;
          }
        }
        output({ json }, result, () =>
          [
            `disclosure VALID for commitment ${result.commitment}${result.request ? ` (request ${result.request})` : ""}: checked off-chain${onChain ? ` and on-chain by ${onChain.verifier}` : ""}`,
            ...result.disclosed.map(
              (f) => `  disclosed ${f.name ?? `field ${f.index}`} = ${f.value}${f.unit ? ` ${f.unit}` : ""}`,
            ),
            `  private: ${result.private.length} of ${fieldCount} fields stay hidden (${result.private.join(", ")})`,
            ...(trusted
              ? []
              : [
                  "  (field names and units as the disclosure file gives them: pass --manifest to use the model's own)",
                ]),
          ].join("\n"),
        );
      },
    );
}
