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
  recordWitnessInput,
  type BundledZkCircuit,
  type ZkCircuitSpec,
} from "./record.ts";
export {
  FieldRangeError,
  RANGE_MAX,
  RANGE_MIN,
  boundToField,
  checkFieldRange,
  fieldRangeFromJson,
  fieldRangeToJson,
  proveFieldRange,
  rangeProofWords,
  rangePublicSignals,
  type FieldRangeProof,
  type ProveRangeOptions,
  type RangeProblem,
} from "./range.ts";
