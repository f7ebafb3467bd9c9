/** Reads a model's `manifest.json` from disk; the schema itself is the SDK's. */
import { readFile } from "node:fs/promises";

import { ManifestError, parseManifest, type ModelManifest } from "@verity-ai/sdk";

export async function readManifest(path: string): Promise<ModelManifest> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new ManifestError(path, (err as Error).message);
  }
  return parseManifest(json, path);
}
