/**
 * The record layout of a private request, found by the model version's weights hash, and the record
 * file `verity request --private` writes for `verity result disclose`.
 *
 * Where the layout comes from (sdk/src/fields/record.ts has the one derivation):
 * - ZK: the model's circuit descriptor — `--circuit <descriptor.json>`, else the circuit bundled with
 *   the SDK for the version's weights hash (`bundledCircuit`), else the `circuits/<name>/descriptor.json`
 *   whose model.weightsHash is the version's.
 * - TEE: the model's manifest — `--manifest <model folder | manifest.json>`, else the
 *   `models/<name>/manifest.json` whose weightsHash is the version's. A manifest with `input.fields`
 *   gives a field record (the field-tree root is committed); one without (raw tensors) gives none
 *   (keccak256(abi.encode(input, salt)) is committed).
 * The bundled folders are looked for in the working directory and beside the CLI's own source (this
 * repository); an installed CLI finds them in the working directory only.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import {
  MANIFEST_FILE,
  Mode,
  bundledCircuit,
  circuitSpec,
  parseManifest,
  recordFromBytes,
  recordSpecFromManifest,
  zkSalt,
  type RecordSpec,
} from "@verity-ai/sdk";
import { CliError } from "./context.ts";
import { decodeValue } from "./disclose.ts";

/** A private request's record layout and where it was found. */
export interface FoundRecord {
  /** The field record, or undefined for a TEE model with no field record (raw tensors). */
  spec: RecordSpec | undefined;
  /** The file it came from. */
  source: string;
}

/** The working directory, then this repository (when the CLI runs from its source), without repeats. */
function bundledRoots(): string[] {
  const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  return [...new Set([process.cwd(), here].map((d) => path.resolve(d)))];
}

function readJson(file: string, what: string): unknown {
  if (!existsSync(file)) throw new CliError(`${what} ${file} does not exist: check the path`);
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new CliError(`${what} ${file} is not valid JSON (${(err as Error).message}): fix the file`);
  }
}

/** `<root>/<folder>/<entry>/<file>` for every root and entry that has it. */
function bundledFiles(folder: string, file: string): string[] {
  const out: string[] = [];
  for (const root of bundledRoots()) {
    const dir = path.join(root, folder);
    if (!existsSync(dir)) continue;
    for (const e of readdirSync(dir, { withFileTypes: true }))
      if (e.isDirectory() && existsSync(path.join(dir, e.name, file))) out.push(path.join(dir, e.name, file));
  }
  return out;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function fromCircuit(file: string, weightsHash: string, given: boolean): FoundRecord | undefined {
  let spec;
  try {
    spec = circuitSpec(readJson(file, "--circuit:"));
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`--circuit: ${file}: ${(err as Error).message}`);
  }
  if (!same(spec.model.weightsHash, weightsHash)) {
    if (!given) return undefined;
    throw new CliError(
      `--circuit: ${file} is the circuit of weightsHash ${spec.model.weightsHash}, but the model version runs ${weightsHash}: give that version's descriptor`,
    );
  }
  return { spec, source: file };
}

function fromManifest(where: string, weightsHash: string, given: boolean): FoundRecord | undefined {
  const file = where.endsWith(".json") ? where : path.join(where, MANIFEST_FILE);
  let m;
  try {
    m = parseManifest(readJson(file, "--manifest:"), file);
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (!given) return undefined; // another model's broken manifest is not this request's problem
    throw new CliError(`--manifest: ${(err as Error).message}`);
  }
  if (!same(m.weightsHash, weightsHash)) {
    if (!given) return undefined;
    throw new CliError(
      `--manifest: ${file} is the manifest of weightsHash ${m.weightsHash}, but the model version runs ${weightsHash}: give that version's manifest`,
    );
  }
  try {
    return { spec: recordSpecFromManifest(m), source: file };
  } catch (err) {
    throw new CliError(`--manifest: ${(err as Error).message}`);
  }
}

/**
 * The record layout of a private request in `mode` for the version running `weightsHash`: from
 * `--circuit` / `--manifest` when given, else the SDK's bundled circuit (ZK), else the descriptors /
 * manifests on disk. Undefined in ZK mode when no descriptor is found (the caller says what to do).
 * Throws a CliError naming the option when a TEE request's manifest cannot be found.
 */
export function findRecord(
  mode: number,
  weightsHash: string,
  o: { manifest?: string; circuit?: string },
): FoundRecord | undefined {
  if (mode === Mode.ZK) {
    if (o.circuit !== undefined) return fromCircuit(o.circuit, weightsHash, true);
    const bundled = bundledCircuit(weightsHash);
    if (bundled !== undefined)
      return { spec: bundled, source: `the ${bundled.name} circuit bundled with @verity-ai/sdk` };
    for (const file of bundledFiles("circuits", "descriptor.json")) {
      const found = fromCircuit(file, weightsHash, false);
      if (found) return found;
    }
    return undefined;
  }
  if (o.manifest !== undefined) return fromManifest(o.manifest, weightsHash, true);
  for (const file of bundledFiles("models", MANIFEST_FILE)) {
    const found = fromManifest(file, weightsHash, false);
    if (found) return found;
  }
  throw new CliError(
    `no manifest for the model version's weightsHash ${weightsHash} under ${bundledRoots()
      .map((r) => path.join(r, "models"))
      .join(" or ")}: pass --manifest <model folder> so the commitment follows the model's record layout`,
  );
}

/** What a record file holds (the format `verity result disclose --record` reads). */
export interface RecordFile {
  model: string;
  requestId: string;
  mode: string;
  commitment: string;
  /** Every field in its unit, exactly value = encoded / scale. */
  values: Record<string, string>;
  /** zkSalt(salt) in decimal: field i's salt is Poseidon(masterSalt, i). */
  masterSalt: string;
  /** The 32-byte salt sent to the intake with the input (keep it to send the input again). */
  salt: string;
}

/** The record file for a private request's committed record. */
export function recordFile(
  spec: RecordSpec,
  input: string,
  salt: string,
  request: { requestId: string; mode: string; commitment: string },
): RecordFile {
  const encoded = recordFromBytes(spec, input);
  return {
    model: spec.name,
    ...request,
    values: Object.fromEntries(spec.input.fields.map((f, i) => [f.name, decodeValue(encoded[i]!, f.scale)])),
    masterSalt: zkSalt(salt).toString(),
    salt,
  };
}

/** Writes a record file readable by its owner only: it holds the whole private record and its salt. */
export function writeRecordFile(file: string, record: RecordFile): void {
  try {
    writeFileSync(file, JSON.stringify(record, null, 2) + "\n", { mode: 0o600 });
  } catch (err) {
    throw new CliError(`cannot write the record file ${file} (${(err as Error).message}): pass --record-out <file>`);
  }
}
