// Package vqae is WaveDiffusion's first stage: VQ autoencoders built from
// LDM's blocks (Rombach et al. 2022, CompVis/latent-diffusion; WaveDiffusion
// paper §3.2 and appendix A.1.1) that map a seismic gather and a velocity map
// into one shared 16×16 latent quantised by one shared codebook.
//
// # API (stable)
//
//	cfg, _ := vqae.Preset("cpu")          // or vqae.LoadConfig("configs/vqae-cpu.json")
//	m, _ := vqae.New(*cfg)                // parameters in m.Arena (nn.Arena)
//	h := m.Encode(tp, seis, vel)          // pre-quantisation latent (N, D, 16, 16): the diffusion target
//	sHat, vHat := m.Decode(tp, h)         // quantises first (LDM decode), then both decoders
//	loss, parts := m.Loss(tp, seis, vel)  // L1 per modality + VQ loss (+ alignment, cross terms)
//	m.Quant.Quantize(h)                   // straight-through zq, indices, VQ loss
//	m.Save(path, extra); vqae.Load(path)  // safetensors, config JSON in the metadata
//
// Inputs are *autograd.Var on the caller's tape (tp.Const for data,
// tp.Input to differentiate with respect to the data; Tape.NoGrad for
// inference). Shapes: seismic (N, 5, T, 64) with T = 256 (cpu) or 1024
// (paper), velocity (N, 1, 64, 64), both in the OpenFWI normalised scale
// [−1, 1]; resizing from 5×1000×70 and 1×70×70 is the data pipeline's job.
//
// # Variants (Config.Mode)
//
//   - joint (default): h = quant_conv([E_s(s); E_v(v)]), ŝ = D_s(pq_s(VQ(h))),
//     v̂ = D_v(pq_v(VQ(h))). The paper says both encoders map into one shared
//     z through one shared codebook without saying how; concatenation then
//     quantisation is the simplest reading (option A).
//   - aligned: each encoder has its own quant_conv; h_s and h_v are quantised
//     by the same codebook, pulled together by λ_a·mean((h_s−h_v)²) and
//     trained to cross-decode; Encode returns ½(h_s+h_v) (option B).
//   - one-in-two-out: only the seismic encoder, both decoders (paper §4.6):
//     v̂ = D_v(VQ(h(s))) is the inversion.
//   - velocity, seismic: single-modality autoencoders with the same branch,
//     for the joint-versus-separate comparison (paper Table 4).
//
// # Blocks
//
// ResnetBlock = GN→SiLU→conv3×3→GN→SiLU→dropout→conv3×3 plus a 1×1 shortcut
// when channels change; AttnBlock = single-head self-attention over the
// H·W positions with 1×1 q, k, v, proj; GroupNorm eps 1e-6 (LDM's
// Normalize). Downsample = zero pad (bottom 1 / right 1 on a halved axis)
// then conv3×3 with stride (2,2) or — for the seismic time axis — (2,1);
// Upsample = nearest ×2 on the same axes then conv3×3. Attention follows
// each ResnetBlock at the levels listed in AttnResolutions and always in the
// middle block. The decoder mirrors the encoder with one extra ResnetBlock
// per level, and has no output activation.
//
// # Vector quantisation
//
// VectorQuantizer2 of taming-transformers as LDM uses it: codebook E (K, D)
// initialised U(−1/K, 1/K) and learned by gradient; nearest code by
// Euclidean distance; straight-through zq = h + sg(zq − h); loss "legacy"
// (LDM's default) mean((sg[zq]−h)²) + β·mean((zq−sg[h])²) or "standard"
// β·mean((sg[zq]−h)²) + mean((zq−sg[h])²), β = 0.25. CodeStats accumulates
// usage and perplexity; Quantizer.ReinitCodes revives dead codes from
// encoder outputs.
//
// Checkpoints use nn's safetensors format with metadata "format" =
// "genfwi-vqae" and "config" = the Config JSON; Load rebuilds the model from
// it. Nothing here prints or reads files other than the named checkpoint or
// config.
package vqae
