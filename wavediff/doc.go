// Package wavediff is the WaveDiffusion pipeline (Wang et al., arXiv
// 2410.09002): it joins the OpenFWI data (package openfwi), the wave engine
// (package wave) and the generative models (packages models/vqae and
// models/diffusion) into training, sampling, inversion, denoising and the
// physics-based evaluation of generated seismic–velocity pairs.
//
// # Model resolution
//
// The autoencoders see a velocity map at 1×64×64 and a seismic sample at
// 5×256×64 (shots × time × receivers), both normalised to about [−1, 1]:
//
//	velocity  70×70 m/s  → v' = 2(v−1500)/3000 − 1 → bilinear 64×64
//	seismic   5×1000×70  → x' = 2(sign(d)log1p|d| − a)/(b − a) − 1 → bilinear 256×64 per shot
//
// (a, b) = log-transformed dataset_config data_min/data_max. Bilinear resizing
// is PyTorch's F.interpolate(align_corners=False) (openfwi.ResizeBilinear).
// The way back (Codec.VelocityFromModel, Codec.SeismicFromModel) resizes to
// the OpenFWI grid first and then de-normalises, so generated pairs come out
// in the OpenFWI layout: velocity [N,1,70,70] m/s and seismic [N,5,1000,70] in
// the simulator's physical units.
//
// One normalisation (Codec.Norm) is used for every dataset mixed into a
// training set: the widest data_min/data_max of the datasets involved
// (CurveVel-A's constants bound FlatVel-A's), so one latent space serves both.
//
// # Training pairs
//
// Pairs holds N training pairs at model resolution in memory as IEEE float16
// (172 KiB per pair). BuildPairs draws velocity maps from the TRAINING split
// of real OpenFWI collections only — the test files (11–12 in genfwi's
// redistribution) cannot be reached through it — simulates their seismic with
// wave.OpenFWIForward and converts both to model resolution. LoadOrBuildPairs
// caches the result in one compact file keyed by its configuration, so
// repeated training runs do not re-simulate.
//
// # Batching
//
// Batcher draws mini-batches from a stream of per-epoch permutations that is
// a pure function of (seed, step): resuming at step s reproduces exactly the
// batches an uninterrupted run would have drawn.
//
// # PDE deviation
//
// Deviation re-simulates a (generated) velocity map with the OpenFWI-exact
// forward model F and compares the result with the (generated) seismic ŝ:
// MSE(N(ŝ), N(F(v̂))) in the normalised space and ‖ŝ − F(v̂)‖₂/‖F(v̂)‖₂ in
// physical units. A real pair gives 0 by construction.
//
// # FD-proxy
//
// The FD-proxy is a Fréchet distance between Gaussian fits of features of a
// fixed network that genfwi trains itself (ProxyNet: one small convolutional
// autoencoder per modality trained on the training pairs; the features are the
// 2×2-average-pooled bottleneck). It is not the FID of the paper, which needs
// Inception-v3 weights, and is named FD-proxy everywhere.
package wavediff
