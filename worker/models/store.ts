/**
 * ModelStore: the models directory indexed by weightsHash. A model's bytes are only ever handed
 * out after their keccak256 has been recomputed and found equal to the hash the chain refers to.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

import { MANIFEST_FILE, ManifestError, weightsHashOf, ModelHashMismatchError, UnknownModelError, type ModelManifest } from "@verity-ai/sdk";

import { readManifest } from "./manifest-file.ts";

export interface ModelEntry {
  readonly manifest: ModelManifest;
  /** Directory holding the manifest and the model file. */
  readonly dir: string;
  /** Absolute path of the model file. */
  readonly path: string;
}

export interface VerifiedModel extends ModelEntry {
  /** The file's bytes, whose keccak256 equals `manifest.weightsHash`. */
  readonly bytes: Uint8Array;
}


function normalise(hash: string): string {
  return hash.toLowerCase();
}

export class ModelStore {
  readonly dir: string;
  readonly #byHash: Map<string, ModelEntry>;

  private constructor(dir: string, byHash: Map<string, ModelEntry>) {
    this.dir = dir;
    this.#byHash = byHash;
  }

  /** Read every `<dir>/<name>/manifest.json`; a bad or duplicate manifest fails the whole load. */
  static async open(dir: string): Promise<ModelStore> {
    const byHash = new Map<string, ModelEntry>();
    const names = (await readdir(dir, { withFileTypes: true }))
      // A leading dot marks a fetch still being written (worker/models/fetch.ts).
      .filter((d) => d.isDirectory() && !d.name.startsWith("."))
      .map((d) => d.name)
      .sort();
    for (const name of names) {
      const modelDir = join(dir, name);
      const manifestPath = join(modelDir, MANIFEST_FILE);
      const present = (await readdir(modelDir)).includes(MANIFEST_FILE);
      if (!present) continue;
      const manifest = await readManifest(manifestPath);
      const previous = byHash.get(manifest.weightsHash);
      if (previous !== undefined) {
        throw new ManifestError(
          manifestPath,
          `weightsHash ${manifest.weightsHash} is also claimed by ${previous.dir}`,
        );
      }
      byHash.set(manifest.weightsHash, {
        manifest,
        dir: modelDir,
        path: join(modelDir, manifest.file),
      });
    }
    return new ModelStore(dir, byHash);
  }

  /**
   * Index a model folder written after open (a fetched model); the file's hash is checked when the
   * model is loaded, as for every model. A weights hash already held is refused.
   */
  async add(modelDir: string): Promise<ModelEntry> {
    const manifestPath = join(modelDir, MANIFEST_FILE);
    const manifest = await readManifest(manifestPath);
    const previous = this.#byHash.get(manifest.weightsHash);
    if (previous !== undefined)
      throw new ManifestError(manifestPath, `weightsHash ${manifest.weightsHash} is also claimed by ${previous.dir}`);
    const entry = { manifest, dir: modelDir, path: join(modelDir, manifest.file) };
    this.#byHash.set(manifest.weightsHash, entry);
    return entry;
  }

  /** All manifests, in directory-name order. */
  list(): ModelManifest[] {
    return [...this.#byHash.values()].map((e) => e.manifest);
  }

  has(weightsHash: string): boolean {
    return this.#byHash.has(normalise(weightsHash));
  }

  /** Manifest and paths, without reading the model file. Throws UnknownModelError. */
  entry(weightsHash: string): ModelEntry {
    const entry = this.#byHash.get(normalise(weightsHash));
    if (entry === undefined) throw new UnknownModelError(weightsHash);
    return entry;
  }

  manifest(weightsHash: string): ModelManifest {
    return this.entry(weightsHash).manifest;
  }

  /**
   * Read the model file and check its keccak256 against the requested hash.
   * Throws UnknownModelError or ModelHashMismatchError (expected / actual).
   */
  async get(weightsHash: string): Promise<VerifiedModel> {
    const entry = this.entry(weightsHash);
    const bytes = new Uint8Array(await readFile(entry.path));
    const actual = weightsHashOf(bytes);
    if (actual !== entry.manifest.weightsHash) {
      throw new ModelHashMismatchError(
        entry.path,
        entry.manifest.weightsHash,
        actual,
      );
    }
    return { ...entry, bytes };
  }
}
