import { expect } from "chai";

import { TdxVerificationError, verifyTdxQuote, type TdxAttestation, type TdxCollateral } from "@verity-ai/sdk/tdx";
import type { TdxAttestationVerifier } from "../../../typechain-types/index.ts";

import { ALL_BUT_REVOKED, at, chainAt, flip, pushAll, vectorSet } from "./helpers.ts";
import type { CollateralSet } from "./helpers.ts";

const sdkCollateral = (c: CollateralSet): TdxCollateral => ({
  rootCrl: c.rootCrl,
  pckCrl: c.pckCrl,
  tcbInfo: { body: c.tcbInfo, signature: c.tcbInfoSignature },
  qeIdentity: { body: c.qeIdentity, signature: c.qeIdentitySignature },
  tcbSigningCert: c.signingCert,
});

type Verdict = { ok: true; fields: Record<string, string> } | { ok: false; error: string; args: string[] };

/** The chain's verdict: the fields it returns, or the custom error it reverts with. */
async function chainVerdict(v: TdxAttestationVerifier, quote: Uint8Array): Promise<Verdict> {
  try {
    const a = await v.verifyQuote(quote);
    const fields: Record<string, string> = {};
    for (const k of [
      "version",
      "bodyType",
      "teeTcbSvn",
      "tdAttributes",
      "mrTd",
      "rtmrs",
      "reportData",
      "measurement",
      "fmspc",
      "cpuSvn",
      "pceSvn",
      "tcbStatus",
      "moduleTcbStatus",
      "qeTcbStatus",
      "pckSerialHash",
      "expiry",
    ] as const) {
      fields[k] = String(a[k]);
    }
    return { ok: true, fields };
  } catch (e) {
    const data = (e as { data?: string }).data;
    const parsed = data ? v.interface.parseError(data) : null;
    if (!parsed) throw e;
    return { ok: false, error: parsed.name, args: parsed.args.map((x: unknown) => String(x)) };
  }
}

const STATUS = [
  "UpToDate",
  "SWHardeningNeeded",
  "ConfigurationNeeded",
  "ConfigurationAndSWHardeningNeeded",
  "OutOfDate",
  "OutOfDateConfigurationNeeded",
  "Revoked",
];

/** The SDK's verdict in the same shape. */
function sdkVerdict(
  quote: Uint8Array,
  c: CollateralSet,
  root: Uint8Array,
  now: number,
  mask = ALL_BUT_REVOKED,
): Verdict {
  try {
    const a: TdxAttestation = verifyTdxQuote(quote, sdkCollateral(c), {
      rootCert: root,
      acceptedTcbStatuses: mask,
      now,
    });
    const fields: Record<string, string> = {};
    for (const [k, x] of Object.entries(a)) {
      if (k === "chain") continue;
      fields[k] = k.endsWith("TcbStatus") || k === "tcbStatus" ? String(STATUS.indexOf(x as string)) : String(x);
    }
    return { ok: true, fields };
  } catch (e) {
    if (!(e instanceof TdxVerificationError)) throw e;
    return { ok: false, error: e.check, args: e.args.map((x) => String(x)) };
  }
}

describe("TDX: the SDK and the chain agree", function () {
  for (const [month, time] of [
    ["2025-06", "2025-06-15T00:00:00Z"],
    ["2025-07", "2025-07-15T00:00:00Z"],
  ] as const) {
    describe(`${month} quote`, function () {
      let v: TdxAttestationVerifier;
      let set: ReturnType<typeof vectorSet>;
      before(async function () {
        const chain = await chainAt(time);
        set = vectorSet(month);
        v = await chain.deploy(set.root);
        await pushAll(v, set.collateral);
      });

      it("returns the same fields and expiry", async function () {
        const onChain = await chainVerdict(v, set.quote);
        const offChain = sdkVerdict(set.quote, set.collateral, set.root, at(time));
        expect(onChain.ok).to.equal(true);
        expect(offChain).to.deep.equal(onChain);
      });

      // Each tampering: both must reject with the same custom error and arguments.
      const body = month === "2025-06" ? 54 : 48;
      const sig = body + (month === "2025-06" ? 648 : 584) + 4;
      const cases: [string, (q: Uint8Array) => Uint8Array][] = [
        ["header", (q) => flip(q, 30)],
        ["body", (q) => flip(q, body + 200)],
        ["signature", (q) => flip(q, sig + 1)],
        ["attestation key", (q) => flip(q, sig + 70)],
        ["QE report", (q) => flip(q, sig + 134 + 10)],
        ["QE signature", (q) => flip(q, sig + 134 + 384 + 10)],
        ["QE auth data", (q) => flip(q, sig + 134 + 450)],
        ["truncated", (q) => q.subarray(0, q.length - 10)],
        ["over-long", (q) => Buffer.concat([q, Buffer.from([0, 0])])],
        [
          "version",
          (q) => {
            const c = Uint8Array.from(q);
            c[0] = 6;
            return c;
          },
        ],
        [
          "PEM marker",
          (q) => {
            const c = Uint8Array.from(q);
            c[sig + 134 + 450 + 32 + 6 + 3] ^= 1;
            return c;
          },
        ],
      ];
      for (const [what, tamper] of cases) {
        it(`rejects a tampered ${what} for the same reason`, async function () {
          const q = tamper(set.quote);
          const onChain = await chainVerdict(v, q);
          expect(onChain.ok).to.equal(false);
          expect(sdkVerdict(q, set.collateral, set.root, at(time))).to.deep.equal(onChain);
        });
      }

      it("rejects a status outside the policy for the same reason", async function () {
        await (await v.setAcceptedTcbStatuses(1 << 2)).wait();
        const onChain = await chainVerdict(v, set.quote);
        await (await v.setAcceptedTcbStatuses(ALL_BUT_REVOKED)).wait();
        expect(onChain).to.deep.include({ ok: false, error: "TdxTcbStatusNotAccepted" });
        expect(sdkVerdict(set.quote, set.collateral, set.root, at(time), 1 << 2)).to.deep.equal(onChain);
      });
    });
  }
});
