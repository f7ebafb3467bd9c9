/**
 * ModelFetcher: brings a published model version into the node's models folder from the version's
 * `uri` (ModelRegistry.ModelVersion.uri, which names the model FILE; its `manifest.json` sits
 * beside it). Schemes: `https://`; `http://` only to loopback hosts or hosts listed in
 * `models.allowHttpHosts`; `ipfs://<cid>/<path>` through `models.ipfsGateway`; `file://`.
 *
 * Nothing fetched is trusted: the manifest must agree with what the registry pins (weights hash,
 * runtime, `<input encoding>/<output encoding>`), and the file's keccak256 must equal the pinned
 * weights hash, before anything is written into the models folder. A refused file is never written
 * (so it can never be served); the caller logs it, counts it and records it for the affected jobs.
 * Both downloads are bounded in bytes (`maxBytes`, and the manifest's `sizeBytes`) and in time
 * (`timeoutMs`). The result is written to `<modelsDir>/fetched-<hash prefix>/` atomically (a
 * temporary folder renamed into place), so a restart finds it with ModelStore.open and does not
 * fetch it again.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { MANIFEST_FILE, ManifestError, parseManifest, weightsHashOf, type ModelManifest } from "@verity-ai/sdk";

/** A version as the registry pins it (the fields the fetcher checks). */
export interface PinnedVersion {
  readonly weightsHash: string;
  readonly uri: string;
  readonly runtime: string;
  /** `<input encoding>/<output encoding>`, e.g. "iris-int32x4/uint256-class". */
  readonly encoding: string;
}

export interface FetcherOptions {
  /** The models folder (ModelStore's). */
  readonly modelsDir: string;
  /** Base URL of an IPFS HTTP gateway (`<gateway>/ipfs/<cid>/<path>`), e.g. http://127.0.0.1:8080. */
  readonly ipfsGateway?: string | undefined;
  /** Hosts that may be fetched over plain http besides loopback (127.0.0.1, ::1, localhost). */
  readonly allowHttpHosts?: readonly string[];
  /** Largest model file accepted, in bytes. */
  readonly maxBytes: number;
  /** Time allowed for each download (manifest, file), in milliseconds. */
  readonly timeoutMs: number;
}

/** Largest manifest accepted, in bytes. */
export const MAX_MANIFEST_BYTES = 256 * 1024;

export type FetchFailure =
  | "bad-uri"
  | "unreachable"
  | "http-status"
  | "too-large"
  | "timeout"
  | "manifest-mismatch"
  | "hash-mismatch";

/** Why a version could not be fetched; `code` is the machine reason, the message says the fix. */
export class ModelFetchError extends Error {
  readonly code: FetchFailure;
  readonly uri: string;
  constructor(code: FetchFailure, uri: string, message: string) {
    super(message);
    this.name = "ModelFetchError";
    this.code = code;
    this.uri = uri;
  }
}

const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

/** Folder name of a fetched model inside modelsDir. */
export function fetchedDirName(weightsHash: string): string {
  return `fetched-${weightsHash.toLowerCase().slice(2, 18)}`;
}

type Source = { kind: "http"; url: URL } | { kind: "file"; path: string };

export class ModelFetcher {
  readonly #o: FetcherOptions;

  constructor(o: FetcherOptions) {
    this.#o = o;
  }

  /** Where `uri` is read from (http(s) URL or local path); throws ModelFetchError("bad-uri"). */
  resolve(uri: string): Source {
    let u: URL;
    try {
      u = new URL(uri);
    } catch {
      throw new ModelFetchError("bad-uri", uri, `model uri ${uri} is not a URL: publish the version with an https://, ipfs:// or file:// uri`);
    }
    switch (u.protocol) {
      case "https:":
        return { kind: "http", url: u };
      case "http:": {
        const allowed = LOOPBACK.has(u.hostname) || (this.#o.allowHttpHosts ?? []).includes(u.hostname);
        if (!allowed)
          throw new ModelFetchError(
            "bad-uri",
            uri,
            `model uri ${uri} uses plain http to ${u.hostname}: use https, or add "${u.hostname}" to models.allowHttpHosts if that host is trusted`,
          );
        return { kind: "http", url: u };
      }
      case "ipfs:": {
        const gateway = this.#o.ipfsGateway;
        if (gateway === undefined)
          throw new ModelFetchError(
            "bad-uri",
            uri,
            `model uri ${uri} is on IPFS but no gateway is configured: set models.ipfsGateway (e.g. "http://127.0.0.1:8080" for a local IPFS node)`,
          );
        const cid = u.hostname;
        if (cid === "")
          throw new ModelFetchError("bad-uri", uri, `model uri ${uri} has no CID: write it as ipfs://<cid>/<path>`);
        const base = gateway.replace(/\/+$/, "").replace(/\/ipfs$/, "");
        return { kind: "http", url: new URL(`${base}/ipfs/${cid}${u.pathname}`) };
      }
      case "file:":
        return { kind: "file", path: fileURLToPath(u) };
      default:
        throw new ModelFetchError(
          "bad-uri",
          uri,
          `model uri ${uri} has scheme ${u.protocol} which this node cannot fetch: place the model folder in modelsDir by hand, or publish an https://, ipfs:// or file:// uri`,
        );
    }
  }

  /**
   * Fetch, check and store `v`; returns the folder written. Throws ModelFetchError; nothing is
   * written unless every check passed.
   */
  async fetch(v: PinnedVersion): Promise<{ dir: string; manifest: ModelManifest }> {
    const expected = v.weightsHash.toLowerCase();
    const fileSrc = this.resolve(v.uri);
    const manifestSrc = sibling(fileSrc, MANIFEST_FILE);
    const manifestBytes = await this.#download(manifestSrc, v.uri, MAX_MANIFEST_BYTES, "manifest");
    const where = describe(manifestSrc);
    let manifest: ModelManifest;
    try {
      manifest = parseManifest(JSON.parse(Buffer.from(manifestBytes).toString("utf8")), where);
    } catch (err) {
      const detail = err instanceof ManifestError ? err.message : `invalid JSON (${(err as Error).message})`;
      throw new ModelFetchError("manifest-mismatch", v.uri, `${detail}: the model owner must publish a valid manifest.json beside the model file`);
    }
    const encoding = `${manifest.input.encoding}/${manifest.output.encoding}`;
    const mismatches = [
      manifest.weightsHash !== expected ? `weightsHash ${manifest.weightsHash} (registry: ${expected})` : undefined,
      manifest.runtime !== v.runtime ? `runtime ${manifest.runtime} (registry: ${v.runtime})` : undefined,
      encoding !== v.encoding ? `encoding ${encoding} (registry: ${v.encoding})` : undefined,
    ].filter((m) => m !== undefined);
    if (mismatches.length > 0)
      throw new ModelFetchError(
        "manifest-mismatch",
        v.uri,
        `refusing the manifest at ${where}: it says ${mismatches.join(", ")}; the model owner must publish the manifest of this exact version`,
      );
    if (manifest.sizeBytes > this.#o.maxBytes)
      throw new ModelFetchError(
        "too-large",
        v.uri,
        `model ${v.uri} is ${manifest.sizeBytes} bytes by its manifest, more than models.maxBytes = ${this.#o.maxBytes}: raise models.maxBytes if this model should be served`,
      );
    const bytes = await this.#download(fileSrc, v.uri, manifest.sizeBytes, "model file");
    const actual = weightsHashOf(bytes);
    if (actual !== expected)
      throw new ModelFetchError(
        "hash-mismatch",
        v.uri,
        `refusing model file ${v.uri}: its keccak256 is ${actual}, the registry pins ${expected}; the file at that uri is not the published version (it was not stored and will not be served)`,
      );
    const dir = join(this.#o.modelsDir, fetchedDirName(expected));
    const tmp = join(this.#o.modelsDir, `.${fetchedDirName(expected)}.${process.pid}.tmp`);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, manifest.file), bytes);
    await writeFile(join(tmp, MANIFEST_FILE), manifestBytes);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return { dir, manifest };
  }

  /** At most `limit` bytes from `src` within timeoutMs. */
  async #download(src: Source, uri: string, limit: number, what: string): Promise<Uint8Array> {
    const { timeoutMs } = this.#o;
    if (src.kind === "file") {
      let size: number;
      try {
        size = (await stat(src.path)).size;
      } catch (err) {
        throw new ModelFetchError(
          "unreachable",
          uri,
          `cannot read the ${what} ${src.path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): check the version's file:// uri and that this node can read it`,
        );
      }
      if (size > limit) throw tooLarge(uri, what, src.path, limit);
      return new Uint8Array(await readFile(src.path));
    }
    const url = src.url.toString();
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    try {
      let res: Response;
      try {
        res = await fetch(url, { signal: ac.signal, redirect: "follow" });
      } catch (err) {
        if (ac.signal.aborted) throw timedOut(uri, what, url, timeoutMs);
        throw new ModelFetchError(
          "unreachable",
          uri,
          `cannot download the ${what} from ${url} (${causeOf(err)}): check the uri and that the host (or models.ipfsGateway) is reachable`,
        );
      }
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        throw new ModelFetchError(
          "http-status",
          uri,
          `the ${what} at ${url} answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}: check that the file is published at that uri`,
        );
      }
      const declared = Number(res.headers.get("content-length") ?? NaN);
      if (Number.isFinite(declared) && declared > limit) {
        await res.body?.cancel().catch(() => undefined);
        throw tooLarge(uri, what, url, limit);
      }
      const chunks: Uint8Array[] = [];
      let size = 0;
      try {
        for await (const chunk of res.body ?? []) {
          size += chunk.length;
          if (size > limit) {
            ac.abort();
            throw tooLarge(uri, what, url, limit);
          }
          chunks.push(chunk);
        }
      } catch (err) {
        if (err instanceof ModelFetchError) throw err;
        if (ac.signal.aborted) throw timedOut(uri, what, url, timeoutMs);
        throw new ModelFetchError("unreachable", uri, `the download of the ${what} from ${url} broke off (${causeOf(err)}): retry, or check the host`);
      }
      return new Uint8Array(Buffer.concat(chunks));
    } finally {
      clearTimeout(timer);
    }
  }
}

function sibling(src: Source, name: string): Source {
  if (src.kind === "file") return { kind: "file", path: join(src.path, "..", name) };
  return { kind: "http", url: new URL(name, src.url) };
}

function describe(src: Source): string {
  return src.kind === "file" ? src.path : src.url.toString();
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

function tooLarge(uri: string, what: string, where: string, limit: number): ModelFetchError {
  return new ModelFetchError(
    "too-large",
    uri,
    `the ${what} at ${where} is larger than ${limit} bytes (the manifest's sizeBytes, capped by models.maxBytes): refused; the model owner must publish a file of the declared size, or raise models.maxBytes`,
  );
}

function timedOut(uri: string, what: string, where: string, ms: number): ModelFetchError {
  return new ModelFetchError(
    "timeout",
    uri,
    `the download of the ${what} from ${where} took longer than models.timeoutMs = ${ms} ms: retry, or raise models.timeoutMs for a slow host`,
  );
}
