// Package diffusion is WaveDiffusion's second stage: a latent DDPM (LDM's
// LatentDiffusion with an unconditional openaimodel UNet) trained on the
// pre-quantisation latents h of a vqae model (WaveDiffusion paper §3.3 and
// appendix A.1.2; LDM: Rombach et al. 2022, CompVis/latent-diffusion).
//
// # API (stable)
//
//	cfg, _ := diffusion.Preset("cpu")      // or diffusion.LoadConfig("configs/diffusion-cpu.json")
//	m, _ := diffusion.New(*cfg)            // UNet parameters in m.Arena
//	m.ScaleFactor = diffusion.ScaleFactorFor(h)   // when cfg.ScaleByStd (LDM scale_by_std)
//	loss, info := m.Loss(tp, h, rng)       // ε-prediction, L1, t ~ U{0..T−1}
//	ema := m.NewEMA()                      // LitEma: decay min(0.9999, (1+n)/(10+n)); ema.Update(m.Arena)
//	h, _ := m.Sample(ctx, n, diffusion.SampleOptions{Method: "ddim", Steps: 50, RNG: rng}, cb)
//	h, _ := m.Denoise(ctx, h0, tStar, opts, cb)   // SDEdit: q_sample to t*, reverse to 0
//	ht := m.QSample(h0, t, eps)            // forward noising (for PDE-deviation curves)
//	m.Save(path, extra); diffusion.Load(path)
//
// Every public method takes and returns latents in the autoencoder's space h
// (N, D, 16, 16); the scale factor s is applied inside (z = s·h). The
// StepFunc callback receives, after each reverse step, the timestep, z_t,
// the x0-prediction ẑ0(z_t) and the next latent (all in h space), which is
// what the PDE-deviation curves along reverse sampling need.
//
// # Schedule
//
// β_t = (√β_0 + t/(T−1)(√β_{T−1} − √β_0))² for t = 0..T−1 (LDM "linear",
// linear in √β; paper T = 1000, β 0.0015 → 0.0155), float64 buffers as in
// LDM's register_schedule (v_posterior = 0, log variance clipped at 1e-20).
//
// # UNet
//
// Sinusoidal timestep embedding [cos, sin] of width C_m → Linear(4C_m) →
// SiLU → Linear(4C_m); ResBlocks GN→SiLU→conv, scale-shift norm
// GN(h)(1+scale)+shift from Linear(SiLU(emb)), zero-initialised output
// convolutions, resampling inside ResBlocks (2×2 average pool / nearest ×2);
// legacy QKV attention with heads split first at the levels whose downsample
// factor is listed in AttentionResolutions; skip concatenation; GroupNorm
// eps 1e-5.
//
// # Samplers
//
// DDPM ancestral sampling is LDM's p_sample_loop (clip_denoised false).
// DDIM uses LDM's uniform timestep grid {0, c, 2c, …}+1, c = T/steps. One
// deliberate difference: the last DDIM step uses ᾱ_prev = 1 (diffusers'
// set_alpha_to_one) instead of LDM's ᾱ_0, so the output is the clean
// latent rather than one carrying a residual √(1−ᾱ_0)·ε ≈ 0.039·ε; with an
// exact ε-predictor and η = 0 DDIM then returns x0 exactly.
package diffusion
