/** A TdxAttestationVerifier on a local node, pinned to a test PKI's root (test/attestation/tdx/pki.ts). */
import type { Contract } from "ethers";

import { crl, qeIdentity, tcbInfo, type TestPki } from "../attestation/tdx/pki.ts";
import { deploy, type Protocol } from "./node.ts";

const ALL_BUT_REVOKED = 0x3f;

/** A TdxAttestationVerifier pinned to the test PKI's root, with its collateral pushed, wired into TeeVerifier. */
export async function tdxVerifier(p: Protocol, pki: TestPki): Promise<Contract> {
  const x509 = await deploy(p.admin, "attestation/tdx/TdxX509", []);
  const collateral = await deploy(p.admin, "attestation/tdx/TdxCollateral", []);
  const v = await deploy(
    p.admin,
    "attestation/tdx/TdxAttestationVerifier",
    [await p.admin.getAddress(), pki.root.cert, ALL_BUT_REVOKED],
    { TdxX509: await x509.getAddress(), TdxCollateral: await collateral.getAddress() },
  );
  const f = (name: string) => v.getFunction(name);
  const month = 86_400 * 30;
  await (await f("pushCrl")(crl(pki.root, pki.now - 60, pki.now + month), "0x")).wait();
  await (await f("pushCrl")(crl(pki.ca, pki.now - 60, pki.now + month), pki.ca.cert)).wait();
  const t = tcbInfo(pki);
  await (await f("pushTcbInfo")(t.body, t.signature, pki.signer.cert)).wait();
  const q = qeIdentity(pki);
  await (await f("pushQeIdentity")(q.body, q.signature, pki.signer.cert)).wait();
  await (await p.tee.getFunction("setAttestationVerifier")(await v.getAddress())).wait();
  return v;
}
