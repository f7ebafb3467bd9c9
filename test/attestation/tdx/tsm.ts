/**
 * A stand-in for the kernel's configfs-tsm report entry, in a temporary directory: `outblob` is a
 * FIFO, so a reader blocks until the stand-in writes a quote for the report data found in `inblob`,
 * signed through the test PKI (as a TDX guest's quoting enclave would).
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { constants } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { quote, type TdSpec, type TestPki } from "./pki.ts";

export const TSM_ENTRY = "verity";

export async function fakeTsm(pki: TestPki, td: Omit<TdSpec, "reportData"> = {}) {
  const base = await mkdtemp(join(tmpdir(), "verity-tsm-"));
  const entry = join(base, TSM_ENTRY);
  await mkdir(entry);
  await writeFile(join(entry, "provider"), "tdx_guest\n");
  await writeFile(join(entry, "generation"), "1\n");
  const outblob = join(entry, "outblob");
  execFileSync("mkfifo", [outblob]);
  let served = 0;
  /** Answer one read of `outblob`. */
  const serveOnce = async () => {
    const out = await open(outblob, "w"); // returns once a reader opens it
    const inblob = await readFile(join(entry, "inblob"));
    await out.write(quote(pki, { ...td, reportData: inblob }));
    await out.close();
    served++;
  };
  /** Answer every read until `cleanup`. */
  let stopped = false;
  let loop: Promise<void> | undefined;
  const serveForever = () => {
    // One quote per write of inblob: a reader holds outblob open until it sees the end of the quote,
    // so serving again at once would append a second quote to the same read.
    loop ??= (async () => {
      let last = 0;
      while (!stopped) {
        const written = await stat(join(entry, "inblob")).then(
          (s) => s.mtimeMs,
          () => 0,
        );
        if (written === 0 || written === last) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        await serveOnce().catch(() => undefined);
        // The request is complete once the reader opened outblob, but `written` may have been sampled
        // while inblob was being written (its mtime changes on create and on write): take the mtime
        // after serving, or the second change would look like a new request and append a second quote.
        last = await stat(join(entry, "inblob")).then(
          (s) => s.mtimeMs,
          () => written,
        );
      }
    })();
  };
  const cleanup = async () => {
    if (!stopped) {
      stopped = true;
      // Unblock a writer waiting for a reader, then let the loop end.
      const r = await open(outblob, constants.O_RDONLY | constants.O_NONBLOCK).catch(() => undefined);
      await r?.close();
      await loop;
    }
    await rm(base, { recursive: true, force: true });
  };
  return { base, entry: TSM_ENTRY, serveOnce, serveForever, served: () => served, cleanup };
}
