/** @verity-ai/node: the operator node as a library (the `verity-node` executable runs `runWorker`). */
export { runWorker } from "./run.ts";
export { Worker, type Breakdown, type PassResult } from "./worker.ts";
export {
  ConfigError,
  DEFAULT_INTAKE_PORT,
  configSchema,
  loadConfig,
  nearestSetting,
  parseConfig,
  redactedConfig,
  type WorkerConfig,
} from "./config.ts";
export { JOB_STATES, TRANSITIONS, IllegalTransitionError, type JobState } from "./jobstate.ts";
export { JobStore, type Job } from "./store.ts";
export { jobStatus, type JobStatus } from "./jobstatus.ts";
export { ChainChangedError } from "./stages/sync.ts";
export { Executor, ModelStore } from "./models/index.ts";
export { TdxConfigfsQuoteProvider, TdxQuoteProviderError, DEFAULT_TSM_REPORT_DIR } from "./attestation/tdx-configfs.ts";
export {
  AttestationError,
  DevelopmentAttestation,
  developmentRefusal,
  TdxConfigfsAttestation,
  attestationSource,
  tdxMeasurement,
  type AttestationSource,
  type Binding,
  type Evidence,
} from "./attestation/evidence.ts";
