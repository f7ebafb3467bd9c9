/**
 * ModelFetcher: model files by their registry uri, against HTTP servers on 127.0.0.1 (a model host
 * and an IPFS gateway stand-in), and the provisioning step's log / metric / job reason.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { expect } from "chai";

import { Executor, ModelFetchError, ModelFetcher, ModelStore, fetchedDirName } from "../../worker/models/index.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const IRIS = join(root, "models", "iris");

interface Served {
  server: Server;
  base: string;
  hits: string[];
}

/** A server answering from `files` (path → bytes); other paths 404. */
async function serve(files: Record<string, Uint8Array | string>, opts: { noLength?: boolean } = {}): Promise<Served> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    hits.push(path);
    const body = files[path];
    if (body === undefined) {
      res.writeHead(404).end("not found");
      return;
    }
    const buf = Buffer.from(body);
    if (opts.noLength) {
      // Chunked: no content-length, so only the streamed byte count can stop it.
      res.writeHead(200);
      res.write(buf.subarray(0, 1));
      res.end(buf.subarray(1));
    } else {
      res.writeHead(200, { "content-length": String(buf.length) });
      res.end(buf);
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

const close = (s: Served) => new Promise<void>((r) => s.server.close(() => r()));

async function expectFetchError(p: Promise<unknown>, code: string, sentence: RegExp): Promise<void> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(ModelFetchError);
    expect((err as ModelFetchError).code).to.equal(code);
    expect((err as Error).message).to.match(sentence);
    return;
  }
  expect.fail(`expected ModelFetchError ${code}`);
}

describe("worker: model files fetched by uri", function () {
  let manifestText: string;
  let manifest: {
    weightsHash: string;
    runtime: string;
    input: { encoding: string };
    output: { encoding: string };
    sizeBytes: number;
  };
  let model: Uint8Array;
  let version: { weightsHash: string; runtime: string; encoding: string };
  let dir: string;

  before(async function () {
    manifestText = await readFile(join(IRIS, "manifest.json"), "utf8");
    manifest = JSON.parse(manifestText);
    model = new Uint8Array(await readFile(join(IRIS, "model.onnx")));
    version = {
      weightsHash: manifest.weightsHash,
      runtime: manifest.runtime,
      encoding: `${manifest.input.encoding}/${manifest.output.encoding}`,
    };
  });
  beforeEach(async function () {
    dir = await mkdtemp(join(tmpdir(), "verity-fetch-"));
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  const fetcher = (extra: Partial<ConstructorParameters<typeof ModelFetcher>[0]> = {}) =>
    new ModelFetcher({ modelsDir: dir, maxBytes: 1024 * 1024, timeoutMs: 5000, ...extra });

  it("fetches a good file over http from 127.0.0.1, checks it, stores it, and a restart finds it without fetching", async function () {
    const s = await serve({ "/iris/model.onnx": model, "/iris/manifest.json": manifestText });
    try {
      const { dir: out } = await fetcher().fetch({ ...version, uri: `${s.base}/iris/model.onnx` });
      expect(out).to.equal(join(dir, fetchedDirName(manifest.weightsHash)));
      expect(s.hits).to.deep.equal(["/iris/manifest.json", "/iris/model.onnx"]);
      // "Restart": the store opened from the folder holds it, and the model loads and runs.
      const store = await ModelStore.open(dir);
      expect(store.has(manifest.weightsHash)).to.equal(true);
      const exec = new Executor(store);
      const { output } = await exec.run(
        manifest.weightsHash,
        Uint8Array.from([0, 0, 19, 236, 0, 0, 13, 172, 0, 0, 5, 120, 0, 0, 0, 200]),
      );
      expect(output.length).to.equal(32);
      await exec.close();
      expect(await readdir(dir)).to.deep.equal([fetchedDirName(manifest.weightsHash)]);
    } finally {
      await close(s);
    }
  });

  it("refuses a file whose keccak256 differs from the pinned weights hash, and writes nothing", async function () {
    const tampered = Uint8Array.from(model);
    tampered[tampered.length - 1] ^= 0xff;
    const s = await serve({ "/m/model.onnx": tampered, "/m/manifest.json": manifestText });
    try {
      await expectFetchError(
        fetcher().fetch({ ...version, uri: `${s.base}/m/model.onnx` }),
        "hash-mismatch",
        new RegExp(`its keccak256 is 0x[0-9a-f]{64}, the registry pins ${manifest.weightsHash}.*will not be served`),
      );
      expect(await readdir(dir)).to.deep.equal([]);
    } finally {
      await close(s);
    }
  });

  it("refuses a manifest that does not match what the registry pins", async function () {
    const s = await serve({ "/m/model.onnx": model, "/m/manifest.json": manifestText });
    try {
      await expectFetchError(
        fetcher().fetch({ ...version, encoding: "other/enc", uri: `${s.base}/m/model.onnx` }),
        "manifest-mismatch",
        new RegExp(`it says encoding ${version.encoding} \\(registry: other/enc\\)`),
      );
      expect(await readdir(dir)).to.deep.equal([]);
    } finally {
      await close(s);
    }
  });

  it("reports a 404 with the status and the url", async function () {
    const s = await serve({ "/m/manifest.json": manifestText });
    try {
      await expectFetchError(
        fetcher().fetch({ ...version, uri: `${s.base}/m/model.onnx` }),
        "http-status",
        new RegExp(`the model file at ${s.base}/m/model.onnx answered HTTP 404`),
      );
    } finally {
      await close(s);
    }
  });

  it("refuses an oversized file: by the manifest against models.maxBytes, and by the bytes streamed against sizeBytes", async function () {
    const big = new Uint8Array(model.length + 4096);
    big.set(model);
    const s = await serve({ "/m/model.onnx": big, "/m/manifest.json": manifestText }, { noLength: true });
    try {
      await expectFetchError(
        fetcher({ maxBytes: manifest.sizeBytes - 1 }).fetch({ ...version, uri: `${s.base}/m/model.onnx` }),
        "too-large",
        new RegExp(
          `is ${manifest.sizeBytes} bytes by its manifest, more than models.maxBytes = ${manifest.sizeBytes - 1}`,
        ),
      );
      expect(s.hits).to.deep.equal(["/m/manifest.json"]);
      // Within maxBytes by the manifest, but the server streams more than sizeBytes (no content-length).
      await expectFetchError(
        fetcher().fetch({ ...version, uri: `${s.base}/m/model.onnx` }),
        "too-large",
        new RegExp(`larger than ${manifest.sizeBytes} bytes`),
      );
      expect(await readdir(dir)).to.deep.equal([]);
    } finally {
      await close(s);
    }
  });

  it("gives up on a server that does not answer within timeoutMs", async function () {
    const server = createServer(() => undefined); // never answers
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await expectFetchError(
        fetcher({ timeoutMs: 300 }).fetch({ ...version, uri: `${base}/m/model.onnx` }),
        "timeout",
        /took longer than models.timeoutMs = 300 ms/,
      );
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("fetches ipfs://<cid>/<path> through the configured gateway, and says to configure one when absent", async function () {
    const cid = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi";
    const gw = await serve({
      [`/ipfs/${cid}/iris/model.onnx`]: model,
      [`/ipfs/${cid}/iris/manifest.json`]: manifestText,
    });
    try {
      const uri = `ipfs://${cid}/iris/model.onnx`;
      await expectFetchError(
        fetcher().fetch({ ...version, uri }),
        "bad-uri",
        /no gateway is configured: set models.ipfsGateway/,
      );
      await fetcher({ ipfsGateway: `${gw.base}/` }).fetch({ ...version, uri });
      expect(gw.hits).to.deep.equal([`/ipfs/${cid}/iris/manifest.json`, `/ipfs/${cid}/iris/model.onnx`]);
      expect((await ModelStore.open(dir)).has(manifest.weightsHash)).to.equal(true);
    } finally {
      await close(gw);
    }
  });

  it("fetches file:// uris, and refuses plain http to a host that is not loopback or allowed", async function () {
    await fetcher().fetch({ ...version, uri: pathToFileURL(join(IRIS, "model.onnx")).toString() });
    expect((await ModelStore.open(dir)).has(manifest.weightsHash)).to.equal(true);
    expect(() => fetcher().resolve("http://models.example.org/iris/model.onnx")).to.throw(
      ModelFetchError,
      /uses plain http to models.example.org: use https, or add "models.example.org" to models.allowHttpHosts/,
    );
    const allowed = fetcher({ allowHttpHosts: ["models.example.org"] }).resolve(
      "http://models.example.org/iris/model.onnx",
    );
    expect(allowed).to.deep.include({ kind: "http" });
    expect(() => fetcher().resolve("verity://bundled/iris/model.onnx")).to.throw(
      ModelFetchError,
      /scheme verity: which this node cannot fetch/,
    );
  });
});
