/** BN254 scalar field order: every circuit signal, Poseidon value, salt and commitment lies below it. */
export const FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
