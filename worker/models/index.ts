export * from "./manifest-file.ts";
export * from "./store.ts";
export * from "./adapters.ts";
export * from "./executor.ts";
export * from "./fetch.ts";
export * from "./provision.ts";
