// Package cig is the data layer of WISE (Yin et al. 2024, "WISE: full-waveform
// variational inference via subsurface extensions", Geophysics 89(4)): it
// simulates observed data in WISE's OpenFWI acquisition, migrates them into
// subsurface horizontal-offset common-image gathers (CIGs), and builds, stores
// and reads (velocity, CIG) training pairs.
//
// # Acquisition (Survey)
//
// A 64×64 grid of 10 m cells; 16 sources at 10 m depth whose x positions are
// drawn per sample by ContJitter (one uniform position in each of 16 equal
// intervals of [0, 630] m, rounded to the nearest column, because package wave
// injects at grid points where JUDI interpolates); 64 receivers every 10 m at
// 10 m depth; 1 s records at 1 ms; a 15 Hz Ricker wavelet delayed by 1/f and
// high-passed at 3 Hz (Butterworth order 5, forward and backward); the
// constant-density acoustic equation with order-8 finite differences and the
// Devito/JUDI damping profile in a 40-cell layer (WISE used 120); 12 dB
// band-limited noise (white noise circularly convolved with the wavelet, scaled
// to the data norm) — the set-up of WISE.jl's gen_cig_openfwi.jl, run through
// genfwi's own wave engine instead of JUDI/Devito.
//
// # Gathers (Survey.Gather)
//
// The CIG is Jᵀ r with J the extended Born operator of package wave
// (ExtendedBornAdjoint, offsets in whole cells, floor division of metres as
// ImageGather.jl does) converted to squared slowness as JUDI's J and cropped to
// the model grid as JUDI's images are (wave.Options.CropImages), applied to
// r = d_obs + noise (no background data subtracted, as WISE does for OpenFWI),
// imaged in the per-sample "1d-special" background (Background). The gather is
// multiplied by the depth weight (iz+1)·h and divided by the data set's MaxY,
// the 0.9999 quantile of |gather| over the first 300 training gathers.
//
// # Data sets (Build, Open)
//
// Build writes velocity and gather files (.npy, float32; the gather files hold
// the depth-weighted gathers and the manifest MaxY) with a manifest, resumable
// after a kill and shardable across processes like openfwi.Build; Open and
// Dataset.Read serve the pairs, gathers divided by MaxY, to training code.
// See docs/wise.md, "Data".
package cig
