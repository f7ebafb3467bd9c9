/**
 * Checks made before anything is paid: a request that cannot succeed is refused here, with a
 * sentence that names the problem and the fix, instead of being paid for and then failing.
 */
import { formatUnits, getBytes, resolveAddress, type Provider } from "ethers";

import type { VerityClient } from "./client.ts";
import { decodeRevert } from "./errors.ts";
import { inputByteLength, isInputEncoding } from "./models/codec.ts";
import { requestParams } from "./request.ts";
import { modeName, type RequestParams } from "./types.ts";

/** One reason a request would fail, by kind. */
export interface PreflightProblem {
  kind:
    | "model-unknown"
    | "model-inactive"
    | "mode-not-allowed"
    | "version-unknown"
    | "input-length"
    | "funds"
    | "gas-money"
    | "fee-above-max"
    | "operator-not-eligible";
  message: string;
}

/** What a request will cost and which version it runs, once the checks pass. */
export interface PreflightQuote {
  fee: bigint;
  version: bigint;
  weightsHash: string;
  /** The version's "<input encoding>/<output encoding>". */
  encoding: string;
  symbol: string;
  decimals: number;
}

/** Thrown by `VerityClient.preflight` with every problem found. */
export class PreflightError extends Error {
  readonly problems: PreflightProblem[];
  constructor(problems: PreflightProblem[]) {
    super(problems.map((p) => p.message).join("; "));
    this.name = "PreflightError";
    this.problems = problems;
  }
}

/**
 * Everything that can be known before paying: the model exists, is active and allows the mode; the
 * version exists; a public input has the byte length of the version's input encoding; the payer's
 * coordinator balance plus wallet cover the fee (and, when `maxFee` is set, the fee is within it); the
 * payer holds gas money. Resolves with the quote, or throws `PreflightError` listing every problem.
 */
export async function preflight(
  client: VerityClient,
  payer: string,
  params: Partial<RequestParams> & { modelId: string },
): Promise<PreflightQuote> {
  const p = requestParams(params);
  const problems: PreflightProblem[] = [];
  const unknown = new PreflightError([
    { kind: "model-unknown", message: `model ${p.modelId} is not registered: check the id with "verity model list"` },
  ]);
  const model = await client.registry.getModel(p.modelId).catch((err: unknown) => {
    if (decodeRevert(err)?.name === "RegistryUnknownModel") throw unknown;
    throw err;
  });
  if (BigInt(model.owner) === 0n) throw unknown;
  const [symbol, decimals] = await Promise.all([client.token.symbol(), client.token.decimals()]);
  const units = (v: bigint) => `${formatUnits(v, decimals)} ${symbol}`;
  const operator = await resolveAddress(p.operator);
  if (BigInt(operator) !== 0n && !(await client.staking.isEligible(operator)))
    problems.push({
      kind: "operator-not-eligible",
      message: `operator ${operator} is not eligible (not staked to the minimum, or jailed): assign a staked operator, or none`,
    });
  if (!model.active)
    problems.push({
      kind: "model-inactive",
      message: `model ${p.modelId} is deactivated by its owner: it takes no requests`,
    });
  const mode = Number(p.mode);
  if ((Number(model.modes) & (1 << mode)) === 0)
    problems.push({
      kind: "mode-not-allowed",
      message: `model ${p.modelId} does not allow ${modeName(mode)} mode: choose one of the modes "verity model show" lists`,
    });
  const versionNumber = BigInt(p.version) === 0n ? model.latestVersion : BigInt(p.version);
  if (versionNumber === 0n || versionNumber > model.latestVersion) {
    problems.push({
      kind: "version-unknown",
      message: `model ${p.modelId} has no version ${versionNumber} (latest is ${model.latestVersion}): use 0 for the latest`,
    });
    throw new PreflightError(problems);
  }
  const version = await client.registry.getVersion(p.modelId, versionNumber);
  const inputEncoding = version.encoding.split("/")[0] ?? "";
  const input = getBytes(p.input);
  if (input.length > 0 && isInputEncoding(inputEncoding)) {
    const expected = inputByteLength(inputEncoding);
    if (input.length !== expected)
      problems.push({
        kind: "input-length",
        message: `the input is ${input.length} bytes, but version ${versionNumber} takes ${expected} bytes of ${inputEncoding}: encode it with encodeInput("${inputEncoding}", values) (CLI: --values)`,
      });
  }
  const fee = model.price + BigInt(p.tip);
  if (BigInt(p.maxFee) !== 0n && fee > BigInt(p.maxFee))
    problems.push({
      kind: "fee-above-max",
      message: `the fee is ${units(fee)}, above your maximum of ${units(BigInt(p.maxFee))}: raise the maximum or wait for a lower price`,
    });
  // A short allowance is no problem: VerityClient.request approves what it pulls before paying.
  const [balance, wallet] = await Promise.all([client.coordinator.balanceOf(payer), client.token.balanceOf(payer)]);
  if (balance + wallet < fee) {
    problems.push({
      kind: "funds",
      message: `your wallet holds ${units(wallet)} and your coordinator balance ${units(balance)}; the request needs ${units(fee)}: fund the wallet (on a local chain: "verity token mint")`,
    });
  }
  const gas = await (client.provider as Provider).getBalance(payer);
  if (gas === 0n)
    problems.push({
      kind: "gas-money",
      message: `${payer} holds no native currency to pay gas: send it some first`,
    });
  if (problems.length > 0) throw new PreflightError(problems);
  return {
    fee,
    version: versionNumber,
    weightsHash: version.weightsHash,
    encoding: version.encoding,
    symbol,
    decimals: Number(decimals),
  };
}
