// Package metrics holds the image and distribution metrics shared by every
// genfwi evaluation: MAE, MSE and RMSE of velocity maps on OpenFWI's
// normalised scale and in m/s, SSIM exactly as OpenFWI's pytorch_ssim, and the
// Fréchet distance between two Gaussians (the "FD-proxy"/FID-style score).
//
// # Scales
//
// OpenFWI evaluates velocity maps on a normalised scale: a velocity v in m/s
// becomes v' = 2·(v − 1500)/3000 − 1, so 1500…4500 m/s maps to [−1, 1] and
// one normalised unit is 1500 m/s. MAE and MSE are means over all pixels of
// |v'_a − v'_b| and (v'_a − v'_b)²; RMSE is √MSE. SSIM is computed on
// v'/2 + 0.5 ∈ [0, 1]. Velocities outside 1500…4500 m/s are not clipped
// (OpenFWI does not clip either).
//
// # Layout
//
// A map is a row-major slice of nz·nx values, element (iz, ix) at iz·nx + ix,
// row 0 at the surface. Velocities are float32 in m/s.
//
// # Aggregation over many maps
//
// OpenFWI's test.py reports MAE and MSE averaged over every pixel of the test
// set and SSIM averaged over maps; since all maps have the same size, these are
// the means of the per-map values. RMSE over a set is √(mean MSE), not the mean
// of per-map RMSEs; Summary follows that rule.
package metrics
