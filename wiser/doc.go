// Package wiser refines a WISE amortized posterior for one observation with
// physics: WISER, full-waveform variational inference via subsurface
// extensions with refinements (Yin, Orozco and Herrmann 2025, Geophysics;
// code: WISER.jl).
//
// WISE (package wise) turns the common-image gather y of an observation
// into posterior samples x = G⁻¹(z; y) of a conditional normalizing flow G.
// When the observation is unlike the training data the samples are biased
// (the amortization gap). WISER keeps G frozen and trains a latent
// correction network h_φ, an unconditional Glow with G's architecture
// (models/flow), so that samples G⁻¹(h_φ(z); y) follow particles refined by
// the wave equation (the paper's Algorithm 1, weak form of its equation 2):
//
//	x_i ← G⁻¹(h_φ(Z_i); y), i = 1..M, Z fixed draws       (start: WISE samples)
//	m_i ← proj(1/x_i²)                                      (squared slowness, s²/km², box [1/vmax², 1/vmin²])
//	for e = 1..Outer:
//	    g_i = ∂/∂m ½‖W_e (F_s(m_i) − d_s)‖², one random shot s per particle,
//	          W_e the low-pass of the frequency-continuation band of e (fwi)
//	    g_i ← g_i/‖g_i‖∞ · (z+1)·dz                         (normalised, depth-weighted)
//	    m_i ← proj(m_i − τ g_i)
//	    Inner times: Adam on φ of
//	        (w/2M) Σ_i ‖G⁻¹(h_φ(Z_i); y) − v_i‖² + (λ/2) ‖h_φ(Z)‖² − (1/M) Σ_i log|det ∂h_φ(Z_i)|
//	    with per-parameter gradient clipping, v_i = 1/√m_i; reverse mode runs through G's
//	    inverse into h_φ only
//	output: G⁻¹(h_φ(Z_i); y), i = 1..M
//
// w is WISER.jl's 1/factor (1e13: the particles' misfit dominates, the
// constrained limit γ → 0 of the paper's weak form), λ its latent penalty
// (0 in distribution, 10 for the out-of-distribution case). Every PDE solve
// (forward and adjoint of one shot) is counted, and reported as data passes
// as in WISER's Table 1. With Inner = 0 the particles take the same FWI
// steps without any latent correction (WISER.jl's fwi_only): a baseline
// that isolates what the network adds.
package wiser
