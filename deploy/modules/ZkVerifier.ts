import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import VerityModule from "./Verity.ts";
import { Mode } from "@verity-ai/sdk";

const CIRCUITS = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "circuits");

/** The Groth16 verifier contract of every generated circuit (circuits/<name>/descriptor.json `verifier.contract`). */
export function generatedVerifierContracts(): string[] {
  if (!existsSync(CIRCUITS)) return [];
  return readdirSync(CIRCUITS, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(CIRCUITS, e.name, "descriptor.json")))
    .map((e) => {
      const d = JSON.parse(readFileSync(join(CIRCUITS, e.name, "descriptor.json"), "utf8")) as {
        verifier?: { contract?: string };
      };
      if (typeof d.verifier?.contract !== "string")
        throw new Error(`circuits/${e.name}/descriptor.json names no verifier contract: rerun npm run zk:setup`);
      return d.verifier.contract;
    })
    .sort();
}

/**
 * ZK mode on top of the whole protocol: the generated Groth16 verifier of every bundled circuit
 * (circuits/<name>/descriptor.json, from npm run zk:setup), each approved in the registry (a model owner
 * pins one in a version's `zkVerifier`), and the ZkVerifier, installed as the coordinator's mode-2 verifier.
 */
export default buildModule("ZkVerifier", (m) => {
  const { token, staking, registry, coordinator, attestation, tee } = m.useModule(VerityModule);
  const zk = m.contract("ZkVerifier", [registry]);
  // Governance approves the generated verifiers' code, so model owners may pin them in a version.
  const generated = Object.fromEntries(
    generatedVerifierContracts().map((name) => {
      const c = m.contract(name);
      m.call(registry, "setZkVerifierApproval", [c, true], { id: `Approve${name}` });
      return [name, c];
    }),
  );
  m.call(coordinator, "setVerifier", [Mode.ZK, zk], { id: "SetZkVerifier" });
  return { token, staking, registry, coordinator, attestation, tee, zk, ...generated };
});
