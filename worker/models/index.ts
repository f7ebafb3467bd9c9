export * from "./errors.ts";
export * from "./codec.ts";
export * from "./manifest.ts";
export * from "./store.ts";
export * from "./adapters.ts";
export * from "./executor.ts";
