package vqae

import (
	"fmt"
	"math"
	"slices"

	"genfwi/internal/jsonconfig"
	"genfwi/models/preset"
)

// Mode selects which encoders and decoders a Model has and how the two
// bottlenecks meet the shared codebook.
type Mode string

// The model variants. Joint is the default ("" means Joint).
const (
	// Joint is the dual autoencoder of the paper (option A of merging the two
	// bottlenecks, "two-in-two-out"): h = quant_conv([E_s(s); E_v(v)]) (channel concat),
	// one shared codebook, both decoders read VQ(h).
	Joint Mode = "joint"
	// Aligned keeps one quant_conv per encoder, h_s and h_v, quantised by the
	// same codebook, with an alignment loss λ_a·mean((h_s−h_v)²) and
	// cross-decoding; the diffusion target is h = ½(h_s+h_v) (option B).
	Aligned Mode = "aligned"
	// OneInTwoOut has only the seismic encoder, h = quant_conv(E_s(s)), and
	// both decoders (the paper's inversion variant, §4.6).
	OneInTwoOut Mode = "one-in-two-out"
	// VelocityOnly is a single-modality velocity autoencoder (joint-vs-
	// separate comparison).
	VelocityOnly Mode = "velocity"
	// SeismicOnly is a single-modality seismic autoencoder.
	SeismicOnly Mode = "seismic"
)

// HasSeismicEncoder reports whether models of this mode encode seismic data.
func (m Mode) HasSeismicEncoder() bool { return m != VelocityOnly }

// HasVelocityEncoder reports whether models of this mode encode velocity.
func (m Mode) HasVelocityEncoder() bool {
	return m == Joint || m == Aligned || m == VelocityOnly || m == ""
}

// HasSeismicDecoder reports whether models of this mode output seismic data.
func (m Mode) HasSeismicDecoder() bool { return m != VelocityOnly }

// HasVelocityDecoder reports whether models of this mode output velocity.
func (m Mode) HasVelocityDecoder() bool { return m != SeismicOnly }

// BranchConfig is one encoder/decoder branch (LDM Encoder/Decoder,
// CompVis/latent-diffusion). Images are NCHW; for the seismic branch H is time and W
// is receivers, C the shots.
type BranchConfig struct {
	// InChannels is the number of input (and output) channels: 1 for
	// velocity, the number of shots (5) for seismic data.
	InChannels int `json:"in_channels"`
	// Resolution is the size [H, W] in pixels of the first level's feature
	// maps: [64, 64] for velocity, [T, 64] for seismic data (T = 256 CPU,
	// 1024 paper). It is also the input size unless InputSize is set.
	Resolution [2]int `json:"resolution"`
	// InputSize, when set, is the size of the data the branch reads and
	// writes, larger than Resolution by d = InputSize − Resolution ≥ 0 per
	// axis (e.g. [70, 70] for a velocity map at OpenFWI's native size on a
	// [64, 64] network). conv_in then has kernel (3+d_h, 3+d_w) with padding
	// 1, mapping the input onto Resolution, and the decoder's conv_out is
	// the transposed convolution of the same shape, mapping back. Not in
	// LDM or the paper: a learned resampling instead of resizing the data,
	// which blurs interfaces and near-offset arrivals (docs/wavediffusion.md).
	InputSize [2]int `json:"input_size,omitempty"`
	// Ch is the base channel count; level i has Ch·ChMult[i] channels.
	Ch int `json:"ch"`
	// ChMult holds one channel multiplier per level.
	ChMult []int `json:"ch_mult"`
	// Down holds, for each level but the last, the downsampling factor
	// [fh, fw] applied after it: [2,2] isotropic, [2,1] time-only (stride
	// (2,1)), [1,1] none. The latent size is Resolution / Π Down.
	Down [][2]int `json:"down"`
	// NumResBlocks is the number of ResnetBlocks per encoder level (the
	// decoder has one more per level, as in LDM).
	NumResBlocks int `json:"num_res_blocks"`
	// AttnResolutions lists feature-map sizes (max(H, W) in pixels) at which
	// an AttnBlock follows each ResnetBlock. The middle block always has one.
	AttnResolutions []int `json:"attn_resolutions"`
	// ZChannels is the number of channels the encoder outputs (and the
	// decoder reads after post_quant_conv).
	ZChannels int `json:"z_channels"`
	// Dropout is the dropout probability inside ResnetBlocks (0 = none).
	Dropout float64 `json:"dropout"`
	// NormGroups is the GroupNorm group count; 0 means 32 (LDM). Every
	// channel count must be divisible by it.
	NormGroups int `json:"norm_groups"`
	// PosEmbed adds a learned (ZChannels, h, w) embedding to the decoder
	// input and OutputBias a learned (InChannels, H, W) bias to its output
	// (both zero-initialised; not in LDM or the paper). Convolutions are
	// translation-equivariant, but a seismic gather is not: the direct wave
	// and the reflection hyperbolas sit at fixed offsets from the source.
	// These give the decoder absolute position and the mean gather for free.
	PosEmbed   bool `json:"pos_embed,omitempty"`
	OutputBias bool `json:"output_bias,omitempty"`
	// Standardize whitens the branch around the training set (not in LDM
	// or the paper; a CPU-scale design choice, docs/wavediffusion-models.md):
	// the encoder reads (x − μ)/σ, with μ the per-pixel training mean and σ
	// the rms of x − μ over the training set, and the decoder starts from
	// its output bias = μ with a zero-initialised conv_out, so its untrained
	// output is exactly the mean image. It implies OutputBias. Seismic
	// gathers need it: what varies between samples (moveout, reflections;
	// rms 0.09 in normalised units) is small next to what they share (the
	// direct wave, amplitude 1), and without whitening the decoder settles
	// on the mean gather and learns the variation very slowly (measured:
	// MSE 0.0081 → 0.0076 in 150 steps on 16 pairs without, → 0.0038 with).
	// μ and σ are set by Model.SetStandardization and saved with the
	// weights (parameters that receive no gradient).
	Standardize bool `json:"standardize,omitempty"`
}

// groups returns the GroupNorm group count with its default.
func (b *BranchConfig) groups() int {
	if b.NormGroups == 0 {
		return 32
	}
	return b.NormGroups
}

// In returns the size of the data the branch reads and writes: InputSize,
// or Resolution when InputSize is not set.
func (b *BranchConfig) In() [2]int {
	if b.InputSize == [2]int{} {
		return b.Resolution
	}
	return b.InputSize
}

// adapt returns InputSize − Resolution per axis (0 without InputSize).
func (b *BranchConfig) adapt() [2]int {
	in := b.In()
	return [2]int{in[0] - b.Resolution[0], in[1] - b.Resolution[1]}
}

// LatentSize returns the encoder output size [H, W]: Resolution divided by
// the product of the Down factors.
func (b *BranchConfig) LatentSize() [2]int {
	h, w := b.Resolution[0], b.Resolution[1]
	for _, d := range b.Down {
		h /= d[0]
		w /= d[1]
	}
	return [2]int{h, w}
}

// Validate checks the branch's hyper-parameters; name prefixes messages.
func (b *BranchConfig) Validate(name string) error {
	switch {
	case b.InChannels < 1:
		return fmt.Errorf("%s.in_channels must be ≥ 1, got %d", name, b.InChannels)
	case b.Resolution[0] < 1 || b.Resolution[1] < 1:
		return fmt.Errorf("%s.resolution must be positive, got %v", name, b.Resolution)
	case b.Ch < 1:
		return fmt.Errorf("%s.ch must be ≥ 1, got %d", name, b.Ch)
	case len(b.ChMult) == 0:
		return fmt.Errorf("%s.ch_mult must have at least one level", name)
	case len(b.Down) != len(b.ChMult)-1:
		return fmt.Errorf("%s.down must have len(ch_mult)-1 = %d entries, got %d", name, len(b.ChMult)-1, len(b.Down))
	case b.NumResBlocks < 1:
		return fmt.Errorf("%s.num_res_blocks must be ≥ 1, got %d", name, b.NumResBlocks)
	case b.ZChannels < 1:
		return fmt.Errorf("%s.z_channels must be ≥ 1, got %d", name, b.ZChannels)
	case b.Dropout < 0 || b.Dropout >= 1:
		return fmt.Errorf("%s.dropout must be in [0, 1), got %g", name, b.Dropout)
	case b.NormGroups < 0:
		return fmt.Errorf("%s.norm_groups must be ≥ 0, got %d", name, b.NormGroups)
	}
	if a := b.adapt(); a[0] < 0 || a[1] < 0 || a[0] > 16 || a[1] > 16 {
		return fmt.Errorf("%s.input_size %v must exceed resolution %v by 0…16 per axis", name, b.InputSize, b.Resolution)
	}
	h, w := b.Resolution[0], b.Resolution[1]
	for i, d := range b.Down {
		if !slices.Contains([][2]int{{2, 2}, {2, 1}, {1, 2}, {1, 1}}, d) {
			return fmt.Errorf("%s.down[%d] must be [2,2], [2,1], [1,2] or [1,1], got %v", name, i, d)
		}
		if h%d[0] != 0 || w%d[1] != 0 {
			return fmt.Errorf("%s: size %dx%d at level %d is not divisible by down %v", name, h, w, i, d)
		}
		h, w = h/d[0], w/d[1]
	}
	g := b.groups()
	for i, m := range b.ChMult {
		if m < 1 {
			return fmt.Errorf("%s.ch_mult[%d] must be ≥ 1, got %d", name, i, m)
		}
		if (b.Ch*m)%g != 0 {
			return fmt.Errorf("%s: %d channels at level %d not divisible by norm_groups %d", name, b.Ch*m, i, g)
		}
	}
	if b.Ch%g != 0 {
		return fmt.Errorf("%s: ch %d not divisible by norm_groups %d", name, b.Ch, g)
	}
	return nil
}

// TrainConfig holds the training hyper-parameters that travel with a preset.
// The models never read it; the training command does.
type TrainConfig struct {
	// LR is the Adam learning rate.
	LR float64 `json:"lr"`
	// Beta1, Beta2 are Adam's moment decays.
	Beta1 float64 `json:"beta1"`
	Beta2 float64 `json:"beta2"`
	// BatchSize is the number of pairs per step.
	BatchSize int `json:"batch_size"`
	// Steps is the number of optimiser steps of a full run.
	Steps int `json:"steps"`
	// GradClip is the global-norm clipping threshold (0 = none).
	GradClip float64 `json:"grad_clip"`
	// LRDecay multiplies the rate by LRDecay every DecayEvery steps (paper:
	// exponential decay 0.98 per epoch); 0 means constant.
	LRDecay    float64 `json:"lr_decay"`
	DecayEvery int     `json:"decay_every"`
	// DeadCodeEvery re-initialises codes unused for that many steps from
	// encoder outputs, checked every DeadCodeEvery steps (0 = never).
	DeadCodeEvery int `json:"dead_code_every"`
	// CodebookInit is "" (LDM/taming: U(−1/K, 1/K)) or "data": before the
	// first step every code is replaced by an encoder output of the
	// untrained model on a spread of training pairs. With the tiny uniform
	// initialisation every latent position first snaps to the same one or
	// two codes, the decoder sees the same input for every sample and, if
	// it starts from the mean image (Standardize), receives no gradient
	// that depends on the sample: a deadlock that dead-code revival only
	// partly breaks (measured on 16 pairs: the seismic MSE stayed at the
	// mean-gather level for 150 steps).
	CodebookInit string `json:"codebook_init,omitempty"`
	// VQWarmup trains the first VQWarmup steps without quantisation (the
	// decoders read the continuous latent; no VQ loss, no dead-code
	// revival), then initialises the codebook from the encoder's latents
	// (as CodebookInit "data") and continues with the VQ layer. Not in the
	// paper: at CPU scale the commitment pull of an untrained VQ layer
	// collapses the seismic latents onto two or three codes before the
	// decoder has learnt anything (measured: perplexity 822 → 2.7 in ten
	// steps on 16 pairs); the plain autoencoder warm-up avoids that. 0 = off.
	VQWarmup int `json:"vq_warmup,omitempty"`
	// InputNoise, when > 0, trains a denoising autoencoder: every sample's
	// seismic encoder input gets Gaussian noise with a standard deviation
	// drawn uniformly from [0, InputNoise] in OpenFWI's normalised units,
	// added at the OpenFWI resolution and resized with the data (so it
	// means what "genfwi invert --noise" means), while the decoders still
	// reconstruct the clean pair. For inversion of noisy data: a
	// standardised encoder multiplies input noise by 1/σ_data (≈ 11 for
	// the cpu seismic branch) and is otherwise never shown any.
	InputNoise float64 `json:"input_noise,omitempty"`
}

// Config describes a VQ autoencoder (any Mode). It is stored as JSON in
// checkpoint metadata and in the preset files under configs/.
type Config struct {
	// Name labels the preset ("cpu", "paper", ...).
	Name string `json:"name"`
	// Mode selects the variant; "" means Joint.
	Mode Mode `json:"mode"`
	// Seismic and Velocity are the branches; a branch the Mode does not use
	// may be nil.
	Seismic  *BranchConfig `json:"seismic,omitempty"`
	Velocity *BranchConfig `json:"velocity,omitempty"`
	// EmbedDim is the codebook vector length D = channels of the latent h
	// (paper 32).
	EmbedDim int `json:"embed_dim"`
	// NEmbed is the codebook size K (paper 8192).
	NEmbed int `json:"n_embed"`
	// Beta is the VQ commitment weight β (0 means 0.25).
	Beta float64 `json:"beta"`
	// VQLoss is "legacy" (default, what LDM uses: mean((sg[zq]−h)²) +
	// β·mean((zq−sg[h])²)) or "standard" (VQ-VAE: β on the commitment term).
	VQLoss string `json:"vq_loss"`
	// SeisWeight and VelWeight weight the L1 reconstruction terms (0 means 1).
	SeisWeight float64 `json:"seis_weight"`
	VelWeight  float64 `json:"vel_weight"`
	// L2Weight adds L2Weight·mean((x̂−x)²) per modality (scaled by the
	// modality weight) to the L1 terms (0 = L1 only, as LDM without its
	// perceptual loss). L1 alone is median-seeking: on seismic gathers,
	// mostly background, it first fits the background and learns the sparse
	// events slowly; a squared term weights large event errors more.
	L2Weight float64 `json:"l2_weight,omitempty"`
	// EncoderGrad is "" (the paper: every loss term trains every encoder) or
	// "own" (Joint mode only): each encoder is trained by its own
	// modality's reconstruction and the VQ loss only, while both decoders
	// still read the joint code and the shared quant_conv and codebook
	// learn from both. Not in the paper. Measured at CPU scale: at the start
	// the velocity loss sends the seismic encoder a gradient 800× larger
	// than the seismic loss does (norms 79.5 against 0.098 at step 0), so
	// Adam turns it into a second velocity encoder and the seismic decoder
	// stays at the mean gather for about 800 steps, whereas the
	// seismic-only autoencoder learns from step 100 (docs/wavediffusion.md).
	EncoderGrad string `json:"encoder_grad,omitempty"`
	// AlignWeight λ_a and CrossWeight weight the Aligned mode's alignment
	// and cross-decoding terms (0 means 1).
	AlignWeight float64 `json:"align_weight"`
	CrossWeight float64 `json:"cross_weight"`
	// Geometry names how the data pipeline (package wavediff) maps OpenFWI
	// samples to the branches' input sizes: "" or "resized64" (velocity
	// resized to 64×64, seismic to 256×64, bilinearly, as the paper's
	// pipeline) or "native70" (velocity at its native 70×70, seismic 256×70:
	// time resampled with cubic convolution, receivers kept). The model
	// itself only records it; wavediff checks the input sizes against it.
	Geometry string `json:"geometry,omitempty"`
	// Seed seeds the weight initialisation.
	Seed uint64 `json:"seed"`
	// Train carries the preset's training hyper-parameters.
	Train TrainConfig `json:"train"`
}

func or(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// mode returns the mode with its default.
func (c *Config) mode() Mode {
	if c.Mode == "" {
		return Joint
	}
	return c.Mode
}

// Validate checks the configuration and the agreement of the branches'
// latent sizes.
func (c *Config) Validate() error {
	m := c.mode()
	switch m {
	case Joint, Aligned, OneInTwoOut, VelocityOnly, SeismicOnly:
	default:
		return fmt.Errorf("vqae config: mode must be joint, aligned, one-in-two-out, velocity or seismic, got %q", c.Mode)
	}
	if c.EmbedDim < 1 {
		return fmt.Errorf("vqae config: embed_dim must be ≥ 1, got %d", c.EmbedDim)
	}
	if c.NEmbed < 1 {
		return fmt.Errorf("vqae config: n_embed must be ≥ 1, got %d", c.NEmbed)
	}
	if c.Train.VQWarmup < 0 || c.Train.VQWarmup > 0 && c.mode() == Aligned {
		return fmt.Errorf("vqae config: train.vq_warmup must be ≥ 0 and is not supported by the aligned mode, got %d (mode %s)", c.Train.VQWarmup, c.mode())
	}
	if in := c.Train.InputNoise; in < 0 || math.IsNaN(in) || in > 0 && !c.mode().HasSeismicEncoder() {
		return fmt.Errorf("vqae config: train.input_noise must be ≥ 0 and needs a seismic encoder, got %g (mode %s)", in, c.mode())
	}
	if ci := c.Train.CodebookInit; ci != "" && ci != "data" {
		return fmt.Errorf("vqae config: train.codebook_init must be \"\" or \"data\", got %q", ci)
	}
	if c.EncoderGrad != "" && (c.EncoderGrad != "own" || m != Joint) {
		return fmt.Errorf("vqae config: encoder_grad must be \"\" or \"own\" (joint mode only), got %q (mode %s)", c.EncoderGrad, m)
	}
	if c.L2Weight < 0 {
		return fmt.Errorf("vqae config: l2_weight must be ≥ 0, got %g", c.L2Weight)
	}
	if c.Beta < 0 {
		return fmt.Errorf("vqae config: beta must be ≥ 0, got %g", c.Beta)
	}
	if c.VQLoss != "" && c.VQLoss != "legacy" && c.VQLoss != "standard" {
		return fmt.Errorf("vqae config: vq_loss must be legacy or standard, got %q", c.VQLoss)
	}
	var lat [][2]int
	for _, b := range []struct {
		name string
		cfg  *BranchConfig
		used bool
	}{
		{"seismic", c.Seismic, m.HasSeismicEncoder() || m.HasSeismicDecoder()},
		{"velocity", c.Velocity, m.HasVelocityEncoder() || m.HasVelocityDecoder()},
	} {
		if !b.used {
			continue
		}
		if b.cfg == nil {
			return fmt.Errorf("vqae config: mode %s needs a %s branch", m, b.name)
		}
		if err := b.cfg.Validate(b.name); err != nil {
			return fmt.Errorf("vqae config: %w", err)
		}
		lat = append(lat, b.cfg.LatentSize())
	}
	if len(lat) == 2 && lat[0] != lat[1] {
		return fmt.Errorf("vqae config: seismic latent %v and velocity latent %v differ", lat[0], lat[1])
	}
	return nil
}

// LatentShape returns the per-sample shape [D, H, W] of the latent h.
func (c *Config) LatentShape() [3]int {
	var s [2]int
	if c.mode().HasSeismicEncoder() {
		s = c.Seismic.LatentSize()
	} else {
		s = c.Velocity.LatentSize()
	}
	return [3]int{c.EmbedDim, s[0], s[1]}
}

// LoadConfig reads a JSON config file (a preset under configs/) and
// validates it. Unknown fields are errors, so typos do not pass silently.
func LoadConfig(path string) (*Config, error) {
	return preset.ReadFile[Config](path, "vqae")
}

// ParseConfig decodes and validates a JSON config; name labels errors.
func ParseConfig(b []byte, name string) (*Config, error) {
	return jsonconfig.Parse[Config](b, "vqae", name)
}
