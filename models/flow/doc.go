// Package flow implements the conditional normalizing flow of WISE and
// WISER — a multiscale conditional Glow, its unconditional twin (WISER's
// latent correction network) — and the summary UNet that feeds it its
// condition.
//
// Sources: Yin, Louboutin, Orozco, Herrmann, "WISE: full-Waveform
// variational Inference via Subsurface Extensions", Geophysics 89(4), 2024;
// Yin, Orozco, Herrmann, "WISER: multimodal variational inference for
// full-waveform inversion without dimensionality reduction", Geophysics,
// 2025; Kingma and Dhariwal, "Glow", NeurIPS 2018. The layer definitions
// follow the public Julia projects the papers were run with:
// InvertibleNetworks.jl (NetworkConditionalGlow, NetworkGlow,
// ConditionalLayerGlow, CouplingLayerGlow, ResidualBlock, Conv1x1, ActNorm,
// the checkerboard squeeze), WISE.jl (training and sampling scripts) and
// WISER.jl (latent correction), and the UNet of UNet.jl used as the summary
// network. Where this package departs from them it says so below.
//
// # The network
//
// G maps a velocity model x (N, C, H, W) and a condition c (N, n_c, H, W)
// to a latent z of the same shape as x, with the log-determinant of its
// Jacobian, and inverts exactly:
//
//	c ← ActNorm_C(c)                                   (no log-det)
//	for level i = 1..L:
//	    x ← Squeeze(x);  c ← Squeeze(c)                (×4 channels, ½ size)
//	    for step j = 1..K:
//	        x ← ActNorm_ij(x)                          log-det H·W·Σ log|s|
//	        x ← Coupling_ij(x, c)                      log-det Σ log s
//	    if i < L: x, z_i ← x[:round(C/2)], x[round(C/2):]
//	z = [z_1; …; z_{L−1}; x]  per sample, reshaped to (C, H, W)
//
// Squeeze is the checkerboard (polyphase) squeeze: output channel block
// k = 0..3 holds x[:, :, ox::2, oy::2] with (ox, oy) = (0,0), (1,0), (0,1),
// (1,1), ox along the first spatial axis (H), oy along the second (W).
// For one input and one condition channel the levels hold 4, 8, 16 channels
// of x and 4, 16, 64 of c; H and W must be multiples of 2^L.
//
// ActNorm is y = s⊙x + b per channel, initialised from the first batch it
// sees (s = 1/σ, b = −μ/σ over batch and pixels; σ from the unbiased variance
// as in Julia) so that the batch leaves it standardised; Init does the same
// explicitly. The condition has its own ActNorm (kept for fidelity with the
// WISE fork of InvertibleNetworks.jl).
//
// The coupling layer on n channels, k = round(n/2), is
//
//	x' = x·W,  W = H(v1)·H(v2)·H(v3),  H(v) = I − 2vvᵀ/(vᵀv)   (per pixel; orthogonal, log-det 0)
//	x1, x2 = x'[:k], x'[k:]
//	[a; t] = RB([x2; c])          (RB([x2]) without condition)
//	s = 0.5 + 0.5·σ(a)            (InvertibleNetworks.jl's SigmoidLayer(low=0.5, high=1))
//	y = [s⊙x1 + t; x2]
//
// with the residual block RB: conv3×3 (n−k+n_c → hidden) + bias, ReLU,
// h + conv1×1(h) + bias, ReLU, conv3×3 (hidden → 2k), and a final ReLU
// (Config.RBFinalReLU; InvertibleNetworks.jl's fan=true block ends with
// it, which makes t ≥ 0 and s ∈ [0.75, 1) — faithful, restrictive, and
// switchable). The last convolution is InvertibleNetworks.jl's transposed
// convolution with stride 1 and padding 1, which is a 3×3 convolution with
// a flipped, channel-transposed kernel: stored here as a plain conv weight.
// Weights are Glorot-uniform, biases zero. The inverse is x1 = (y1 − t)/s
// (InvertibleNetworks.jl adds eps to s; with s ≥ 0.5 genfwi does not).
//
// The unconditional network (Config.CondChannels = 0, Config.Unconditional)
// is InvertibleNetworks.jl's NetworkGlow with the same architecture; WISER
// uses it as the latent correction network h_φ.
//
// # Departures from InvertibleNetworks.jl
//
//   - Split sizes are a pure function of the input shape (Config.Layout):
//     nothing has to run forward before an inverse to record "Z_dims".
//   - The latent is packed per sample ([z_1; …; x] of each sample reshaped
//     to the input's shape). InvertibleNetworks.jl flattens the whole batch
//     and reshapes, which interleaves samples; both are bijections with a
//     standard normal prior, so the likelihood is the same, but per-sample
//     packing keeps sample b of z tied to sample b of x.
//   - The squeeze's first spatial axis is H. genfwi stores velocity as
//     (depth, lateral) rows; WISE's Julia arrays are (nx, nz) with x first, so
//     on the same model the two orders differ by swapping blocks 1 and 2,
//     which matters only when importing Julia weights.
//   - The log-determinant is returned per sample (N); InvertibleNetworks.jl
//     returns the batch mean. NLL averages it.
//   - Inverse takes the raw condition and applies ActNorm_C and the squeezes
//     itself, so it never needs a prior forward call.
//   - Config.RBOutBias adds a bias to the residual block's last
//     convolution. InvertibleNetworks.jl has none (238 154 parameters for
//     the cpu configuration); the wise-cpu benchmark's 238 322 parameters
//     are those of a PyTorch port whose last layer is a
//     ConvTranspose2d(hidden, n, 3, padding=1) with PyTorch's default
//     bias: 6 steps × (4 + 8 + 16) output channels = 168 more. The cpu
//     preset sets it so that both count the same network; the paper preset
//     does not.
//
// # Gradients
//
// Every layer is a composition of genfwi/autograd ops (Conv2d through
// im2col and tensor.Gemm, Split, Concat, Sigmoid, ...), so reverse mode
// through Forward and through Inverse comes from the tape: with inputs
// made by Tape.Input and parameters in the Arena, autograd.Backward(NLL(z,
// logdet)) gives the WISE training gradient with respect to the weights
// and to x and c (for a summary network trained end to end), and
// autograd.BackwardWith(G.Inverse(z, c), dx) gives ∂G⁻¹/∂z, ∂G⁻¹/∂c and the
// weight gradients, which is what WISER's latent correction needs
// (InvertibleNetworks.jl only has it on a branch, issues #65/#69/#70).
// SetTrainable freezes a network (the trained WISE network inside WISER) so
// that its weight gradients are not computed. Activations are stored on the
// tape, not recomputed from the inverse as InvertibleNetworks.jl does: for
// 64×64 models the memory is small, and the backward pass skips the
// recomputation that roughly doubles the cost there (its issue #72).
//
// # Training objective
//
// NLL(z, logdet) = (1/N) Σ_b [½‖z_b‖² − logdet_b], the negative
// log-likelihood under N(0, I) without the constant (D/2)·log 2π; WISE
// trains it with Adam (lr 8e-4) and per-parameter gradient-norm clipping 3
// (nn.ClipPerParam), batch 8, x-flip augmentation and dequantisation noise
// on x. Posterior samples are G⁻¹(z; c) with z ~ N(0, I) (Sample).
//
// # The summary network
//
// WISE conditions the flow on a learned summary of the common-image gather
// y (offsets as channels): UNet is UNet.jl's Unet in 2-D with a
// configurable base width b,
//
//	x_1 = Block(in → b);  x_i = Block(b_{i−1} → b_i)(Down(x_{i−1})), b_i = b·2^(i−1), i = 2..D
//	u = Block(b_D → b_D)(x_D);  u = Up(u) ⊕ x_i for i = D−1..1
//	out = tanh(conv1×1(LeakyReLU(u)))
//
// Block = conv3×3 → BatchNorm → LeakyReLU(0.2), Down = conv4×4 stride 2 →
// BN → LeakyReLU(0.2), Up = LeakyReLU(0.2) → ConvTranspose 2×2 stride 2 →
// BN → Dropout(0.5, none in the last up block); conv weights N(0, 0.02²).
// The WISE scripts run it in training mode even when sampling (batch
// statistics, dropout on); here eval mode (running statistics, no dropout)
// is the default and UNet.Training restores the original behaviour.
// Network joins both (WISE's SummarizedNet: G(x; y) = Flow(x, UNet(y))) with
// one parameter arena, so one optimiser trains them end to end.
//
// # Presets
//
// Flow: "paper" is L = 3, K = 9, hidden 64 (768 494 parameters for 1 + 1
// channels); "cpu" is L = 3, K = 6, hidden 32 with the output bias
// (238 322). Summary: "paper" is 51 offsets, base 64, depth 4 (6 172 417
// parameters); "cpu" is 21 offsets, base 32, depth 4 (1 543 617).
// NetworkPreset pairs them. Checkpoints are safetensors written by
// nn.SaveModel, one F32 tensor per named parameter plus the BatchNorm
// running statistics, with the configuration as JSON metadata (Glow.Save,
// Load; Network.Save, LoadNetwork).
package flow
