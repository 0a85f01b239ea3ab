// Package gen generates OpenFWI-like velocity maps: FlatVel-A/B, CurveVel-A/B,
// FlatFault-A/B, CurveFault-A/B and a Style-like random-field substitute,
// as described and validated in docs/datasets.md §4.
//
// Every map is 70×70 cells of 10 m, row-major [z][x] (row 0 at the surface),
// in m/s within [1500, 4500]. A map is a pure function of (dataset, file,
// index): [RNG] derives a PCG seed from the three with SHA-256, so any map of
// a generated dataset can be regenerated alone, in any order, on any machine.
//
// The A generators follow recipes measured on the real A maps; stats.go holds
// the measurements (layer counts, per-layer velocity means, interface
// curvature, fault dip and throw) used by the tests to keep each generator
// statistically close to the real data. The B generators and Style follow
// documented assumptions only (no B or Style maps were available); each
// constructor says which.
package gen
