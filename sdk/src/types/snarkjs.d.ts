/** snarkjs ships no type declarations; the SDK types what it uses where it loads it (zk.ts). */
declare module "snarkjs";
