import { getAddress, hexlify, keccak256 } from "ethers";
import type { ContractRunner, Provider, Signer, TransactionReceipt } from "ethers";

import {
  InferenceCoordinator__factory,
  ModelRegistry__factory,
  OperatorStaking__factory,
  TeeVerifier__factory,
  VerityTestToken__factory,
} from "./generated/contracts/index.ts";
import type {
  InferenceCoordinator,
  ModelRegistry,
  OperatorStaking,
  TeeVerifier,
  VerityTestToken,
} from "./generated/contracts/index.ts";
import type { TypedContractEvent, TypedDeferredTopicFilter, TypedEventLog } from "./generated/contracts/common.ts";

import type { Deployment } from "./deployment.ts";
import { requestIdOf, requestParams, toRequest } from "./request.ts";
import { STATUS_NAMES, isSettled } from "./types.ts";
import type { Request, RequestParams } from "./types.ts";

/** A result as integrators see it: stored status and hash, plus what the events say. */
export interface ResultView {
  requestId: bigint;
  status: (typeof STATUS_NAMES)[number];
  outputHash: string;
  request: Request;
  /** Public input bytes (hex), or undefined for a private input. */
  input?: string;
  requestTx: string;
  requestBlock: number;
  fulfilment?: {
    operator: string;
    verifierRecord: string;
    txHash: string;
    blockNumber: number;
    callbackSuccess?: boolean;
  };
  refund?: { txHash: string; blockNumber: number; slashed: bigint };
}

export class VerityError extends Error {}

/** Typed client for dApps and integrators, on ethers v6 and the contracts' generated bindings. */
export class VerityClient {
  readonly token: VerityTestToken;
  readonly registry: ModelRegistry;
  readonly staking: OperatorStaking;
  readonly coordinator: InferenceCoordinator;
  readonly tee: TeeVerifier;
  readonly provider: Provider;
  readonly deployment: Deployment;
  readonly runner: ContractRunner;

  /** Blocks per `eth_getLogs` query: public RPCs refuse wide ranges. */
  readonly logRange: number;

  /**
   * `opts.logRange`: blocks per log query (default 10,000). Event queries start at the deployment's
   * `startBlock` and page forward in ranges of that size.
   */
  constructor(deployment: Deployment, runner: ContractRunner, opts: { logRange?: number } = {}) {
    this.deployment = deployment;
    this.runner = runner;
    this.logRange = opts.logRange ?? 10_000;
    if (!Number.isInteger(this.logRange) || this.logRange < 1)
      throw new VerityError(`logRange must be a whole number of blocks ≥ 1, got ${opts.logRange}`);
    const provider = (runner as Signer).provider ?? (runner as Provider);
    if (!provider || typeof (provider as Provider).getBlockNumber !== "function") {
      throw new VerityError("runner must be a Signer connected to a provider, or a Provider");
    }
    this.provider = provider as Provider;
    this.token = VerityTestToken__factory.connect(deployment.token, runner);
    this.registry = ModelRegistry__factory.connect(deployment.registry, runner);
    this.staking = OperatorStaking__factory.connect(deployment.staking, runner);
    this.coordinator = InferenceCoordinator__factory.connect(deployment.coordinator, runner);
    this.tee = TeeVerifier__factory.connect(deployment.tee, runner);
  }

  private signer(): Signer {
    const s = this.runner as Signer;
    if (typeof s.getAddress !== "function")
      throw new VerityError("this action sends a transaction: give the client a Signer");
    return s;
  }

  /** Deposits `amount` into the caller's coordinator balance, approving the token first if needed. */
  async deposit(amount: bigint): Promise<TransactionReceipt> {
    const me = await this.signer().getAddress();
    const allowance = await this.token.allowance(me, this.deployment.coordinator);
    if (allowance < amount) await (await this.token.approve(this.deployment.coordinator, amount)).wait();
    return (await (await this.coordinator.deposit(amount)).wait())!;
  }

  /**
   * Model owners: moves the royalties accrued by `modelIds` (all owned by the signer) into the
   * signer's coordinator balance; withdraw them with `coordinator.withdraw`.
   */
  async claimRoyalties(modelIds: readonly string[]): Promise<{ total: bigint; receipt: TransactionReceipt }> {
    if (modelIds.length === 0) throw new VerityError("claimRoyalties: give at least one model id");
    const receipt = (await (await this.coordinator.claimRoyalties([...modelIds])).wait())!;
    let total = 0n;
    for (const log of receipt.logs) {
      const parsed = this.coordinator.interface.parseLog(log);
      if (parsed?.name === "RoyaltiesClaimed") total += parsed.args.amount as bigint;
    }
    return { total, receipt };
  }

  /** Price the coordinator will charge for `params` (price + tip) and the split it pins. */
  async quote(params: Partial<RequestParams> & { modelId: string }) {
    const p = requestParams(params);
    const terms = await this.registry.requestTerms(p.modelId, p.version, p.mode);
    const fee = terms.price + BigInt(p.tip);
    return { fee, version: terms.version, weightsHash: terms.weightsHash };
  }

  /**
   * Opens a request. The fee comes from the caller's coordinator balance; any shortfall is pulled
   * from the wallet (approved here when the allowance is short). What was quoted is what is paid
   * for: the resolved version is pinned (a version published in between changes nothing) and, unless
   * `maxFee` is given, the quoted fee is the most the coordinator may charge (a price change in
   * between makes the request revert with `CoordinatorFeeAboveMax` instead of costing more).
   */
  async request(params: Partial<RequestParams> & { modelId: string }) {
    const quoted = requestParams(params);
    const me = await this.signer().getAddress();
    const { fee, version } = await this.quote(quoted);
    const p = { ...quoted, version, maxFee: BigInt(quoted.maxFee) === 0n ? fee : quoted.maxFee };
    const balance = await this.coordinator.balanceOf(me);
    if (balance < fee) {
      const need = fee - balance;
      const allowance = await this.token.allowance(me, this.deployment.coordinator);
      if (allowance < need) await (await this.token.approve(this.deployment.coordinator, need)).wait();
    }
    const tx = await this.coordinator.requestInference({
      ...p,
      input: typeof p.input === "string" ? p.input : hexlify(p.input),
    });
    const receipt = (await tx.wait())!;
    for (const log of receipt.logs) {
      const parsed = this.coordinator.interface.parseLog(log);
      if (parsed?.name === "InferenceRequested") {
        const request = toRequest(parsed.args.request.toObject());
        return { requestId: requestIdOf(request), request, receipt, fee };
      }
    }
    throw new VerityError(`transaction ${receipt.hash} emitted no InferenceRequested`);
  }

  /**
   * Refunds a request past its deadline that nobody delivered: its escrow returns to the requester's
   * coordinator balance (and an assigned operator that accepted it is slashed). Anyone may call it.
   */
  async refund(requestId: bigint): Promise<{ amount: bigint; slashed: bigint; receipt: TransactionReceipt }> {
    const { request } = await this.readResult(requestId);
    const receipt = (await (await this.coordinator.refund(request)).wait())!;
    for (const log of receipt.logs) {
      const parsed = this.coordinator.interface.parseLog(log);
      if (parsed?.name === "RequestRefunded")
        return { amount: parsed.args.amount as bigint, slashed: parsed.args.slashed as bigint, receipt };
    }
    throw new VerityError(`transaction ${receipt.hash} emitted no RequestRefunded`);
  }

  /**
   * Every log of `contract` matching `filter` from block `fromBlock` (default: the deployment's
   * `startBlock`) to the head, in `logRange` windows (public RPCs refuse wide ranges).
   */
  async queryLogs<E extends TypedContractEvent>(
    contract: {
      queryFilter(f: TypedDeferredTopicFilter<E>, from: number, to: number | "latest"): Promise<TypedEventLog<E>[]>;
    },
    filter: TypedDeferredTopicFilter<E>,
    fromBlock = this.deployment.startBlock ?? 0,
  ): Promise<TypedEventLog<E>[]> {
    const head = await this.provider.getBlockNumber();
    const out: TypedEventLog<E>[] = [];
    for (let lo = fromBlock; ; lo += this.logRange) {
      const hi = lo + this.logRange - 1;
      out.push(...(await contract.queryFilter(filter, lo, hi >= head ? "latest" : hi)));
      if (hi >= head) return out;
    }
  }

  /**
   * The first log matching `filter` at or after block `from`, paging forward in `logRange` windows; the
   * last window reaches "latest", so a head number cached by the provider cannot hide a fresh log.
   */
  async #firstLog<E extends TypedContractEvent>(
    filter: TypedDeferredTopicFilter<E>,
    from: number,
  ): Promise<TypedEventLog<E> | undefined> {
    const head = await this.provider.getBlockNumber();
    for (let lo = from; ; lo += this.logRange) {
      const hi = lo + this.logRange - 1;
      const [first] = await this.coordinator.queryFilter(filter, lo, hi >= head ? "latest" : hi);
      if (first) return first;
      if (hi >= head) return undefined;
    }
  }

  /**
   * Reads a request's stored result and the events around it. Logs are searched from `fromBlock`
   * (default: the deployment's `startBlock`, else 0) in bounded ranges.
   */
  async readResult(requestId: bigint, fromBlock = this.deployment.startBlock ?? 0): Promise<ResultView> {
    const c = this.coordinator;
    const ev = await this.#firstLog(c.filters.InferenceRequested(requestId), fromBlock);
    if (!ev) throw new VerityError(`request ${requestId} is unknown to coordinator ${this.deployment.coordinator}`);
    const request = toRequest((ev.args.request as unknown as { toObject(): Record<string, unknown> }).toObject());
    const stored = await c.getResult(requestId);
    const view: ResultView = {
      requestId,
      status: STATUS_NAMES[Number(stored.status)]!,
      outputHash: stored.outputHash,
      request,
      input: ev.args.input === "0x" ? undefined : ev.args.input,
      requestTx: ev.transactionHash,
      requestBlock: ev.blockNumber,
    };
    if (view.status === "Fulfilled") {
      const f = await this.#firstLog(c.filters.InferenceFulfilled(requestId), ev.blockNumber);
      if (f) {
        view.fulfilment = {
          operator: f.args.operator,
          verifierRecord: f.args.verifierRecord,
          txHash: f.transactionHash,
          blockNumber: f.blockNumber,
        };
        const [cb] = await c.queryFilter(c.filters.CallbackDelivered(requestId), f.blockNumber, f.blockNumber);
        if (cb) view.fulfilment.callbackSuccess = cb.args.success;
      }
    } else if (view.status === "Refunded") {
      const r = await this.#firstLog(c.filters.RequestRefunded(requestId), ev.blockNumber);
      if (r) view.refund = { txHash: r.transactionHash, blockNumber: r.blockNumber, slashed: r.args.slashed };
    }
    return view;
  }

  /** Waits until `requestId` is fulfilled (or refunded), polling every `pollMs`; throws after `timeoutMs`. */
  async waitForResult(
    requestId: bigint,
    opts: { timeoutMs?: number; pollMs?: number; fromBlock?: number } = {},
  ): Promise<ResultView> {
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const pollMs = opts.pollMs ?? 500;
    const until = Date.now() + timeoutMs;
    for (;;) {
      const status = Number(await this.coordinator.requestStatus(requestId));
      if (isSettled(status)) return this.readResult(requestId, opts.fromBlock);
      if (Date.now() > until) {
        throw new VerityError(
          `request ${requestId} not settled after ${timeoutMs} ms (status ${STATUS_NAMES[status]}): raise the timeout, or refund it after its deadline`,
        );
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** The output bytes of a fulfilled request, from storage when stored, else from the fulfil transaction. */
  async getOutput(requestId: bigint, view?: ResultView): Promise<string> {
    const stored = await this.coordinator.getOutput(requestId);
    if (stored !== "0x") return stored;
    const v = view ?? (await this.readResult(requestId));
    if (!v.fulfilment) throw new VerityError(`request ${requestId} is not fulfilled`);
    const { output } = await this.fulfilmentCalldata(requestId, v.fulfilment.txHash);
    return output;
  }

  /** Finds the output and proof submitted for `requestId` in its fulfil transaction's calldata. */
  async fulfilmentCalldata(
    requestId: bigint,
    txHash: string,
  ): Promise<{ output: string; proof: string; request: Request }> {
    const tx = await this.provider.getTransaction(txHash);
    if (!tx) throw new VerityError(`transaction ${txHash} not found`);
    if (tx.to === null || getAddress(tx.to) !== getAddress(this.deployment.coordinator)) {
      throw new VerityError(`transaction ${txHash} was not sent to the coordinator directly: cannot read its calldata`);
    }
    const parsed = this.coordinator.interface.parseTransaction({ data: tx.data });
    if (parsed?.name === "fulfill") {
      const request = toRequest(parsed.args[0].toObject());
      if (requestIdOf(request) === requestId) return { request, output: parsed.args[1], proof: parsed.args[2] };
    } else if (parsed?.name === "fulfillBatch") {
      const requests = parsed.args[0] as Array<{ toObject(): Record<string, unknown> }>;
      for (let i = 0; i < requests.length; i++) {
        const request = toRequest(requests[i]!.toObject());
        if (requestIdOf(request) === requestId) return { request, output: parsed.args[1][i], proof: parsed.args[2][i] };
      }
    }
    throw new VerityError(`transaction ${txHash} does not fulfil request ${requestId}`);
  }

  /** keccak256 of output bytes, as stored on-chain. */
  static outputHash(output: string | Uint8Array): string {
    return keccak256(output);
  }
}
