import { expect } from "chai";

import { TdxVerificationError, verifyTdxQuote } from "@verity-ai/sdk/tdx";
import type { TdxAttestationVerifier } from "../../../typechain-types/index.ts";

import { ALL_BUT_REVOKED, at, chainAt, pushAll, vectorSet } from "./helpers.ts";

const TIME = "2025-06-15T00:00:00Z";

/** A small deterministic generator (xorshift32), so a failure names a reproducible case. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

type Verdict = { error: string; args: string[] } | "accepted";

async function chainVerdict(v: TdxAttestationVerifier, q: Uint8Array): Promise<Verdict> {
  try {
    await v.verifyQuote(q);
    return "accepted";
  } catch (e) {
    const data = (e as { data?: string }).data;
    const parsed = data ? v.interface.parseError(data) : null;
    // Anything but one of the verifier's own errors (a panic, an out-of-gas, a library's error) fails here.
    if (!parsed || !parsed.name.startsWith("Tdx")) throw new Error(`not a Tdx* custom error: ${String(data)}`);
    return { error: parsed.name, args: parsed.args.map((a: unknown) => String(a)) };
  }
}

describe("TDX: random damage to a real quote", function () {
  let v: TdxAttestationVerifier;
  let set: ReturnType<typeof vectorSet>;
  let pemStart: number;
  before(async function () {
    const chain = await chainAt(TIME);
    set = vectorSet("2025-06");
    v = await chain.deploy(set.root);
    await pushAll(v, set.collateral);
    pemStart = Buffer.from(set.quote).indexOf("-----BEGIN CERTIFICATE-----");
  });

  const sdk = (q: Uint8Array): Verdict => {
    const c = set.collateral;
    try {
      verifyTdxQuote(
        q,
        {
          rootCrl: c.rootCrl,
          pckCrl: c.pckCrl,
          tcbInfo: { body: c.tcbInfo, signature: c.tcbInfoSignature },
          qeIdentity: { body: c.qeIdentity, signature: c.qeIdentitySignature },
          tcbSigningCert: c.signingCert,
        },
        { rootCert: set.root, acceptedTcbStatuses: ALL_BUT_REVOKED, now: at(TIME) },
      );
      return "accepted";
    } catch (e) {
      if (!(e instanceof TdxVerificationError)) throw e;
      return { error: e.check, args: e.args.map((a) => String(a)) };
    }
  };

  it("a random byte before the certificate chain: the chain and the SDK refuse it for the same reason", async function () {
    const next = rng(14);
    for (let i = 0; i < 60; i++) {
      const q = Uint8Array.from(set.quote);
      const at_ = next(pemStart);
      q[at_] ^= 1 + next(255);
      const onChain = await chainVerdict(v, q);
      expect(onChain, `byte ${at_}`).to.not.equal("accepted");
      expect(sdk(q), `byte ${at_}`).to.deep.equal(onChain);
    }
  });

  it("a random byte in the certificate chain, or a random length: refused with a Tdx* error, never a panic", async function () {
    const next = rng(41);
    for (let i = 0; i < 30; i++) {
      const q = Uint8Array.from(set.quote);
      q[pemStart + next(q.length - pemStart)] ^= 1 + next(255);
      const verdict = await chainVerdict(v, q);
      // Flipping a trailing NUL into a newline is the only harmless change.
      if (verdict === "accepted") expect(Buffer.from(q.subarray(-2)).toString("latin1")).to.match(/\n[\n\0]$/);
    }
    for (let i = 0; i < 30; i++) {
      const q = set.quote.subarray(0, next(set.quote.length));
      const onChain = await chainVerdict(v, q);
      expect(onChain).to.not.equal("accepted");
      expect(sdk(q)).to.deep.equal(onChain);
    }
  });
});
