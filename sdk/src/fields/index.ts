/** Field-level commitments and selective disclosure (see tree.ts for the scheme). */
export {
  ARITY,
  EMPTY_LEAF,
  FIELD,
  MAX_FIELDS,
  emptyRoots,
  fieldLeaf,
  fieldTree,
  hashNode,
  merklePath,
  randomSalts,
  rootFromPath,
  treeDepth,
  type FieldTree,
} from "./tree.ts";
export {
  FieldDisclosureError,
  checkFieldDisclosure,
  disclosureFromJson,
  disclosureToJson,
  discloseFields,
  type CheckOptions,
  type DisclosureProblem,
  type FieldDisclosure,
  type FieldOpening,
} from "./disclosure.ts";
export { deriveFieldSalts } from "./salts.ts";
export {
  CircuitSpecError,
  FIELD_MERKLE_SCHEME,
  circuitSpec,
  recordCommitment,
  recordFromBytes,
  recordSalts,
  recordSpecFromManifest,
  recordWitnessInput,
  type BundledZkCircuit,
  type RecordField,
  type RecordSpec,
  type ZkCircuitSpec,
} from "./record.ts";
