pragma circom 2.1.0;

// A range predicate over one field of a committed record, proved without revealing the field:
// "the field at `index` of the record whose commitment is `root` lies in [min, max]".
//
// The commitment is sdk/src/fields/tree.ts's 4-ary Poseidon tree, recomputed here exactly:
//   leaf = Poseidon(value, salt)                        (circomlib Poseidon, 2 inputs)
//   node = Poseidon(c0, c1, c2, c3)                     (circomlib Poseidon, 4 inputs)
// `path[d]` holds the node's three siblings at level d (bottom up) in order, the node itself left out;
// base-4 digit d of `index` is the node's position among them. Empty leaves are 0, so a leaf past the
// record's last field cannot be opened (Poseidon has no known preimage of 0).
//
// Values and bounds are signed 32-bit integers, as the record's int32 big-endian fixed-point encoding
// holds them (a negative x is the field element p - |x|). Each is shifted by 2^31 into [0, 2^32) and
// range-checked there, so the comparisons below are sound (LessEqThan(32) needs inputs below 2^32) and a
// bound or value outside int32 has no witness.
//
// Public signals, in this order: [root, index, min, max]. Private: value, salt, path.
// GENERATED mains (field-range-d<DEPTH>.circom) instantiate FieldRange(DEPTH) for one tree depth;
// written by scripts/zk/field-range.ts.

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/poseidon.circom";

// `in` + 2^31, constrained to [0, 2^32): `in` is a signed 32-bit integer.
template Int32Shifted() {
    signal input in;
    signal output out;
    out <== in + 2147483648;
    component bits = Num2Bits(32);
    bits.in <== out;
}

// The four children of a node from the node at position `digit` = b0 + 2·b1 and its three siblings.
template PlaceChild() {
    signal input node;
    signal input b0;
    signal input b1;
    signal input siblings[3];
    signal output children[4];
    // One-hot position: e[k] = 1 exactly when digit = k (b0, b1 are bits).
    signal e3 <== b0 * b1;
    signal e0 <== 1 - b0 - b1 + e3;
    signal e1 <== b0 - e3;
    signal e2 <== b1 - e3;
    // digit 0: [n, s0, s1, s2]; 1: [s0, n, s1, s2]; 2: [s0, s1, n, s2]; 3: [s0, s1, s2, n].
    children[0] <== siblings[0] + e0 * (node - siblings[0]);
    signal c1a <== e1 * node;
    signal c1b <== e0 * siblings[0];
    children[1] <== c1a + c1b + b1 * siblings[1];
    signal c2a <== e2 * node;
    signal c2b <== (1 - b1) * siblings[1];
    children[2] <== c2a + c2b + e3 * siblings[2];
    children[3] <== siblings[2] + e3 * (node - siblings[2]);
}

template FieldRange(DEPTH) {
    signal input root;
    signal input index;
    signal input min;
    signal input max;
    signal input value;
    signal input salt;
    signal input path[DEPTH][3];

    // min ≤ value ≤ max as signed 32-bit integers.
    component v = Int32Shifted();
    v.in <== value;
    component lo = Int32Shifted();
    lo.in <== min;
    component hi = Int32Shifted();
    hi.in <== max;
    component aboveMin = LessEqThan(32);
    aboveMin.in[0] <== lo.out;
    aboveMin.in[1] <== v.out;
    aboveMin.out === 1;
    component belowMax = LessEqThan(32);
    belowMax.in[0] <== v.out;
    belowMax.in[1] <== hi.out;
    belowMax.out === 1;

    // The index's base-4 digits (index < 4^DEPTH).
    component digits = Num2Bits(2 * DEPTH);
    digits.in <== index;

    // Leaf and path up to the root.
    signal node[DEPTH + 1];
    node[0] <== Poseidon(2)([value, salt]);
    component place[DEPTH];
    component hash[DEPTH];
    for (var d = 0; d < DEPTH; d++) {
        place[d] = PlaceChild();
        place[d].node <== node[d];
        place[d].b0 <== digits.out[2 * d];
        place[d].b1 <== digits.out[2 * d + 1];
        place[d].siblings <== path[d];
        hash[d] = Poseidon(4);
        hash[d].inputs <== place[d].children;
        node[d + 1] <== hash[d].out;
    }
    root === node[DEPTH];
}
