/**
 * Intel TDX quotes from inside a TD, through Linux configfs-tsm (Documentation/ABI/testing/
 * configfs-tsm-report): create a report entry under the TSM report directory, write the 64 bytes of
 * report data to `inblob`, read the quote from `outblob`. `generation` counts writes to the entry, so
 * reading it before and after shows whether another writer raced us; `provider` names the TSM.
 *
 * The report data binds the operator's enclave key (see `tdxReportData` in the SDK): the quote then
 * registers exactly that key, for that operator, on that chain, through that verifier.
 */
import { mkdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { parseTdxQuote, tdxReportData } from "@verity-ai/sdk/tdx";

/** Where the kernel exposes configfs-tsm reports. */
export const DEFAULT_TSM_REPORT_DIR = "/sys/kernel/config/tsm/report";

export interface TdxConfigfsOptions {
  /** The TSM report directory; tests point it at a temporary directory. */
  baseDir?: string;
  /** The report entry to use; a fresh one (created, then removed) when absent. */
  entryName?: string;
}

/** Why a quote could not be had; `fix` says what to do. */
export class TdxQuoteProviderError extends Error {
  // A plain field, not a parameter property: the node also runs under Node's type stripping.
  readonly fix: string;
  constructor(message: string, fix: string, options?: { cause?: unknown }) {
    super(`${message} fix: ${fix}`, options);
    this.name = "TdxQuoteProviderError";
    this.fix = fix;
  }
}

let entries = 0;

const readOptional = async (path: string): Promise<string | undefined> => {
  try {
    return (await readFile(path, "utf8")).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
};

/** Gets TDX quotes through configfs-tsm. */
export class TdxConfigfsQuoteProvider {
  readonly baseDir: string;
  private readonly entryName?: string;

  constructor(options: TdxConfigfsOptions = {}) {
    this.baseDir = options.baseDir ?? DEFAULT_TSM_REPORT_DIR;
    this.entryName = options.entryName;
  }

  /** A quote whose TD report data is exactly `reportData` (64 bytes). */
  async getQuote(reportData: Uint8Array): Promise<Uint8Array> {
    if (reportData.length !== 64) {
      throw new TdxQuoteProviderError(
        `TDX report data must be 64 bytes, got ${reportData.length}.`,
        "pass the 64 bytes from tdxReportData().",
      );
    }
    const name = this.entryName ?? `verity-${process.pid}-${++entries}`;
    const dir = join(this.baseDir, name);
    let created = false;
    try {
      await mkdir(dir);
      created = true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT") {
        throw new TdxQuoteProviderError(
          `No configfs-tsm report directory at ${this.baseDir}.`,
          "run inside a TDX guest with configfs mounted (mount -t configfs none /sys/kernel/config) and a kernel with TSM reports (CONFIG_TSM_REPORTS, tdx_guest).",
          { cause: e },
        );
      }
      if (code !== "EEXIST") throw e;
    }
    try {
      return await this.readQuote(dir, reportData);
    } finally {
      if (created) await rmdir(dir).catch(() => undefined);
    }
  }

  /** A quote binding `enclaveKey` for `operator` with `consumer` (the TeeVerifier) through `verifier`. */
  async getBindingQuote(binding: {
    chainId: bigint | number;
    verifier: string;
    consumer: string;
    operator: string;
    enclaveKey: string;
  }): Promise<Uint8Array> {
    const { chainId, verifier, consumer, operator, enclaveKey } = binding;
    return this.getQuote(tdxReportData(chainId, verifier, consumer, operator, enclaveKey));
  }

  private async readQuote(dir: string, reportData: Uint8Array): Promise<Uint8Array> {
    const provider = await readOptional(join(dir, "provider"));
    if (provider !== undefined && provider !== "tdx_guest") {
      throw new TdxQuoteProviderError(
        `The TSM provider is "${provider}", not "tdx_guest".`,
        "run the node in an Intel TDX guest, or use the development attestation on local chains.",
      );
    }
    await writeFile(join(dir, "inblob"), reportData);
    const before = await readOptional(join(dir, "generation"));
    const quote = new Uint8Array(await readFile(join(dir, "outblob")));
    const after = await readOptional(join(dir, "generation"));
    if (before !== after) {
      throw new TdxQuoteProviderError(
        `Another process wrote to ${dir} while the quote was read (generation ${before} → ${after}).`,
        "give each process its own report entry (leave entryName unset) and retry.",
      );
    }
    // The quote must carry exactly our report data: anything else is someone else's quote.
    const layout = parseTdxQuote(quote);
    const got = layout.body.subarray(520, 584);
    if (Buffer.compare(Buffer.from(got), Buffer.from(reportData)) !== 0) {
      throw new TdxQuoteProviderError(
        `The quote read from ${dir} carries other report data than was written.`,
        "give each process its own report entry (leave entryName unset) and retry.",
      );
    }
    return quote;
  }
}
