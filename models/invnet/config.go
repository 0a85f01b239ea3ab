package invnet

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"genfwi/internal/jsonconfig"
	"genfwi/openfwi"
)

// Config is an InversionNet training configuration, the content of
// configs/invnet-paper.json and configs/invnet-cpu.json.
type Config struct {
	// Name labels the configuration ("paper", "cpu").
	Name string `json:"name"`
	// Network is the architecture.
	Network NetConfig `json:"network"`
	// Train holds the optimisation settings.
	Train TrainConfig `json:"train"`
}

// NetConfig describes an InversionNet. The input is always OpenFWI seismic
// (5 shots × 1000 time samples × 70 receivers, normalised) decimated in time
// by SampleTemporal, the output one 70×70 velocity map on OpenFWI's
// normalised scale [−1, 1].
type NetConfig struct {
	// Dims are OpenFWI's dim1…dim5 (paper: 32, 64, 128, 256, 512).
	Dims [5]int `json:"dims"`
	// SampleTemporal keeps every SampleTemporal-th time sample of the input,
	// as OpenFWI's --sample_temporal (its data loader's data[:, :, ::k, :],
	// plain decimation without a low-pass filter): 1000 → ⌈1000/k⌉ samples.
	// Paper: 1.
	SampleTemporal int `json:"sample_temporal"`
	// TimeStrides are the strides along time of convblock1, 2_1, 3_1 and
	// 4_1 (paper: 2, 2, 2, 2, taking 1000 samples to 63). With decimated
	// input set some of them to 1 so that the encoder again reaches 63 rows
	// and everything after convblock4 keeps the paper's shapes (the paper's
	// convblock8 kernel height is 8 = the rows left after convblock7).
	TimeStrides [4]int `json:"time_strides"`
}

// TrainConfig holds the optimisation settings (OpenFWI's train.py).
type TrainConfig struct {
	// Epochs is the number of passes over the training pairs (paper: 120 =
	// 3 blocks × 40).
	Epochs int `json:"epochs"`
	// Steps, if > 0, fixes the number of optimiser steps instead of
	// Epochs (the run ends mid-epoch if need be): the study gives every
	// training regime the same number of steps whatever its data size.
	Steps int `json:"steps,omitempty"`
	// Batch is the batch size (paper: 256); an epoch is ⌊n/Batch⌋ steps.
	Batch int `json:"batch_size"`
	// LR is AdamW's learning rate (paper: 1e-4), constant (WarmupMultiStepLR
	// without milestones or warm-up).
	LR float64 `json:"lr"`
	// WeightDecay is AdamW's decoupled weight decay (paper: 1e-4).
	WeightDecay float64 `json:"weight_decay"`
	// Method is "" (supervised: the loss compares predicted and true
	// velocity, OpenFWI's InversionNet), "velocitygan" (the same generator
	// trained against a WGAN-GP critic as well, OpenFWI's VelocityGAN; see
	// GAN) or "upfwi" (unsupervised: the loss compares the input seismic
	// with the re-simulation of the predicted velocity; trained by package
	// upfwi, which supplies that loss).
	Method string `json:"method,omitempty"`
	// GAN holds VelocityGAN's adversarial settings, required exactly when
	// Method is "velocitygan".
	GAN *GANConfig `json:"gan,omitempty"`
	// L1 and L2 weight the loss λ1·mean|ŷ−y| + λ2·mean(ŷ−y)² on the
	// normalised velocity (OpenFWI's defaults are 1 and 1; its README and
	// the published "ℓ1" numbers use λ2 = 0).
	L1 float64 `json:"lambda_l1"`
	L2 float64 `json:"lambda_l2"`
	// InputNoise, when > 0, adds Gaussian noise to the normalised seismic of
	// every training sample, with a standard deviation drawn per sample
	// uniformly from [0, InputNoise] — WaveDiffusion's denoising augmentation
	// (0: clean training, as in OpenFWI; 0.1 gives the noise-trained variant
	// of the baselines study).
	InputNoise float64 `json:"input_noise"`
	// Norm names the datasets whose dataset_config.json constants normalise
	// the seismic (their envelope: smallest data_min, largest data_max).
	// Empty: the datasets the training data come from.
	Norm []string `json:"norm,omitempty"`
	// ValFraction is the fraction of the training pairs held out for
	// validation when no validation set is given (the last ⌈f·n⌉ pairs).
	ValFraction float64 `json:"val_fraction"`
	// ValMaps bounds the validation pairs scored (0 = all held out).
	ValMaps int `json:"val_maps"`
	// ValEvery is the validation period in epochs (0: every epoch).
	ValEvery int `json:"val_every,omitempty"`
	// CheckpointEvery is the checkpoint period in steps (0: epoch ends
	// only).
	CheckpointEvery int `json:"checkpoint_every"`
	// Seed drives the initial weights, the epoch permutations and the
	// input noise.
	Seed uint64 `json:"seed"`
}

// Fixed sizes of the OpenFWI layout.
const (
	// Shots, NT and Receivers are the seismic input's shape per sample.
	Shots     = openfwi.Shots
	NT        = openfwi.NT
	Receivers = openfwi.Receivers
	// NZ and NX are the velocity map's shape.
	NZ = openfwi.NZ
	NX = openfwi.NX
)

// GANConfig is VelocityGAN's adversarial training (OpenFWI gan_train.py):
// every step updates the critic on
//
//	L_D = −mean D(v) + mean D(G(s)) + LambdaGP·E[(‖∇D(x̃)‖₂ − 1)²],  x̃ = αv + (1−α)G(s),
//
// and every NCritic-th step also the generator on
// λ1·L1 + λ2·MSE − LambdaAdv·mean D(G(s)); both with AdamW (Beta1, Beta2),
// the run's learning rate and weight decay.
type GANConfig struct {
	// CriticDims are the critic's widths d1…d4 (OpenFWI: 32, 64, 128, 256).
	CriticDims [4]int `json:"critic_dims"`
	// NCritic is the number of critic updates per generator update (5).
	NCritic int `json:"n_critic"`
	// LambdaGP weights the gradient penalty (10), LambdaAdv the generator's
	// adversarial term (1).
	LambdaGP  float64 `json:"lambda_gp"`
	LambdaAdv float64 `json:"lambda_adv"`
	// Beta1 and Beta2 are both optimisers' Adam β (OpenFWI: 0, 0.9).
	Beta1 float64 `json:"beta1"`
	Beta2 float64 `json:"beta2"`
}

// paperGAN is OpenFWI's VelocityGAN setting.
func paperGAN() *GANConfig {
	return &GANConfig{CriticDims: PaperCriticDims(), NCritic: 5, LambdaGP: 10, LambdaAdv: 1, Beta1: 0, Beta2: 0.9}
}

// validate checks the adversarial settings.
func (g *GANConfig) validate() error {
	for i, d := range g.CriticDims {
		if d < 1 {
			return fmt.Errorf("invnet: train.gan.critic_dims[%d] must be ≥ 1, got %d", i, d)
		}
	}
	switch {
	case g.NCritic < 1:
		return fmt.Errorf("invnet: train.gan.n_critic must be ≥ 1, got %d", g.NCritic)
	case g.LambdaGP < 0 || g.LambdaAdv < 0:
		return fmt.Errorf("invnet: train.gan.lambda_gp and lambda_adv must be ≥ 0, got %g and %g", g.LambdaGP, g.LambdaAdv)
	case g.Beta1 < 0 || g.Beta1 >= 1 || g.Beta2 <= 0 || g.Beta2 >= 1:
		return fmt.Errorf("invnet: train.gan.beta1 must be in [0, 1) and beta2 in (0, 1), got %g and %g", g.Beta1, g.Beta2)
	}
	return nil
}

// PaperNet is InversionNet exactly as OpenFWI's network.py defines it
// (24 409 123 parameters).
func PaperNet() NetConfig {
	return NetConfig{Dims: [5]int{32, 64, 128, 256, 512}, SampleTemporal: 1, TimeStrides: [4]int{2, 2, 2, 2}}
}

// CPUNet is the reduced network of the cpu preset: half the widths (16 …
// 256), the seismic decimated 4× in time (1000 → 250 samples, 4 ms; the
// 15 Hz Ricker band stays far below the 125 Hz Nyquist frequency) and the
// strides of convblock3_1 and 4_1 set to 1, so that the encoder reaches the
// paper's 63×70 after convblock4 and the rest keeps the paper's shapes.
// 6 105 875 parameters, about 5× fewer multiply-adds per sample than
// PaperNet.
func CPUNet() NetConfig {
	return NetConfig{Dims: [5]int{16, 32, 64, 128, 256}, SampleTemporal: 4, TimeStrides: [4]int{2, 2, 1, 1}}
}

// Preset returns the built-in configuration "paper", "cpu", "upfwi-cpu",
// "velocitygan-paper" or "velocitygan-cpu" (the same as
// configs/invnet-<name>.json): "upfwi-cpu" is the cpu network trained the
// UPFWI way (package upfwi; λ1 = λ2 = 1 on the seismic, batch 16, 2 epochs:
// each step simulates and back-propagates the wave equation for every
// sample of the batch); "velocitygan-paper" is OpenFWI's VelocityGAN
// (λ1 = λ2 = 100, batch 64, 500 epochs, critic 32…256, n_critic 5, λ_GP 10,
// β = (0, 0.9)) and "velocitygan-cpu" the cpu generator with a half-width
// critic, batch 32 and the cpu preset's 16 epochs.
func Preset(name string) (*Config, error) {
	switch name {
	case "paper":
		return &Config{Name: "paper", Network: PaperNet(), Train: TrainConfig{Epochs: 120, Batch: 256, LR: 1e-4,
			WeightDecay: 1e-4, L1: 1, L2: 0, ValFraction: 0.02, ValMaps: 0, CheckpointEvery: 200, Seed: 1}}, nil
	case "cpu":
		return &Config{Name: "cpu", Network: CPUNet(), Train: TrainConfig{Epochs: 16, Batch: 32, LR: 5e-4,
			WeightDecay: 1e-4, L1: 1, L2: 0, ValFraction: 0.02, ValMaps: 100, CheckpointEvery: 200, Seed: 1}}, nil
	case "upfwi-cpu":
		return &Config{Name: "upfwi-cpu", Network: CPUNet(), Train: TrainConfig{Method: "upfwi", Epochs: 2, Batch: 16, LR: 5e-4,
			WeightDecay: 1e-4, L1: 1, L2: 1, ValFraction: 0.02, ValMaps: 100, CheckpointEvery: 50, Seed: 1}}, nil
	case "velocitygan-paper":
		return &Config{Name: "velocitygan-paper", Network: PaperNet(), Train: TrainConfig{Method: "velocitygan", GAN: paperGAN(),
			Epochs: 500, Batch: 64, LR: 1e-4, WeightDecay: 1e-4, L1: 100, L2: 100, ValFraction: 0.02, ValMaps: 0, CheckpointEvery: 200, Seed: 1}}, nil
	case "velocitygan-cpu":
		g := paperGAN()
		g.CriticDims = [4]int{16, 32, 64, 128}
		return &Config{Name: "velocitygan-cpu", Network: CPUNet(), Train: TrainConfig{Method: "velocitygan", GAN: g,
			Epochs: 16, Batch: 32, LR: 5e-4, WeightDecay: 1e-4, L1: 100, L2: 100, ValFraction: 0.02, ValMaps: 100, CheckpointEvery: 200, Seed: 1}}, nil
	}
	return nil, fmt.Errorf("unknown invnet preset %q (have %s)", name, strings.Join(PresetNames(), ", "))
}

// PresetNames lists the built-in presets.
func PresetNames() []string {
	return []string{"cpu", "paper", "upfwi-cpu", "velocitygan-cpu", "velocitygan-paper"}
}

// InputT returns the number of time samples of the network input,
// ⌈1000/SampleTemporal⌉.
func (c NetConfig) InputT() int {
	return (NT + c.SampleTemporal - 1) / c.SampleTemporal
}

// convOut is the output length of a convolution along one axis.
func convOut(n, k, s, p int) int { return (n+2*p-k)/s + 1 }

// encoderShape returns the rows and columns after convblock7 (before
// convblock8), following the layer table of docs/baselines.md §1.
func (c NetConfig) encoderShape() (h, w int) {
	h, w = c.InputT(), Receivers
	s := c.TimeStrides
	h = convOut(h, 7, s[0], 3)
	for _, st := range s[1:] {
		h = convOut(h, 3, st, 1)
	}
	for i := 0; i < 3; i++ { // convblock5_1, 6_1, 7_1: 3×3, stride 2, pad 1
		h, w = convOut(h, 3, 2, 1), convOut(w, 3, 2, 1)
	}
	return h, w
}

// Validate checks the architecture.
func (c NetConfig) Validate() error {
	for i, d := range c.Dims {
		if d < 1 {
			return fmt.Errorf("invnet: network.dims[%d] must be ≥ 1, got %d", i, d)
		}
	}
	if c.SampleTemporal < 1 || c.SampleTemporal > 100 {
		return fmt.Errorf("invnet: network.sample_temporal must be in [1, 100], got %d", c.SampleTemporal)
	}
	for i, s := range c.TimeStrides {
		if s != 1 && s != 2 {
			return fmt.Errorf("invnet: network.time_strides[%d] must be 1 or 2, got %d", i, s)
		}
	}
	if h, w := c.encoderShape(); h < 1 || w < 1 {
		return fmt.Errorf("invnet: %d input time samples leave no rows after convblock7 (use smaller time_strides)", c.InputT())
	} else if h > 64 {
		return fmt.Errorf("invnet: %d rows left after convblock7 make a convblock8 kernel of height %d (use larger time_strides or sample_temporal)", h, h)
	}
	return nil
}

// NumParams returns the number of scalar parameters of the network, from
// the shapes alone: per ConvBlock Cout·Cin·KH·KW + Cout (bias) + 2·Cout
// (BatchNorm). 24 409 123 for PaperNet.
func (c NetConfig) NumParams() int {
	d1, d2, d3, d4, d5 := c.Dims[0], c.Dims[1], c.Dims[2], c.Dims[3], c.Dims[4]
	blk := func(cin, cout, kh, kw int) int { return cout*cin*kh*kw + 3*cout }
	kh, kw := c.encoderShape()
	n := blk(Shots, d1, 7, 1) + blk(d1, d2, 3, 1) + blk(d2, d2, 3, 1) + blk(d2, d2, 3, 1) + blk(d2, d2, 3, 1) +
		blk(d2, d3, 3, 1) + blk(d3, d3, 3, 1) + 2*blk(d3, d3, 3, 3) + blk(d3, d4, 3, 3) + 3*blk(d4, d4, 3, 3) +
		blk(d4, d5, kh, kw)
	n += blk(d5, d5, 5, 5) + blk(d5, d5, 3, 3) + blk(d5, d4, 4, 4) + blk(d4, d4, 3, 3) + blk(d4, d3, 4, 4) +
		blk(d3, d3, 3, 3) + blk(d3, d2, 4, 4) + blk(d2, d2, 3, 3) + blk(d2, d1, 4, 4) + blk(d1, d1, 3, 3) +
		blk(d1, 1, 3, 3)
	return n
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if err := c.Network.Validate(); err != nil {
		return err
	}
	t := &c.Train
	switch {
	case t.Epochs < 1:
		return fmt.Errorf("invnet: train.epochs must be ≥ 1, got %d", t.Epochs)
	case t.Method != "" && t.Method != "upfwi" && t.Method != "velocitygan":
		return fmt.Errorf("invnet: train.method must be \"\" (supervised), \"velocitygan\" or \"upfwi\", got %q", t.Method)
	case (t.Method == "velocitygan") != (t.GAN != nil):
		return fmt.Errorf("invnet: train.gan must be given exactly when train.method is \"velocitygan\"")
	case t.Steps < 0:
		return fmt.Errorf("invnet: train.steps must be ≥ 0 (0: use epochs), got %d", t.Steps)
	case t.Batch < 1:
		return fmt.Errorf("invnet: train.batch_size must be ≥ 1, got %d", t.Batch)
	case !(t.LR > 0) || math.IsInf(t.LR, 0):
		return fmt.Errorf("invnet: train.lr must be a positive number, got %g", t.LR)
	case t.WeightDecay < 0:
		return fmt.Errorf("invnet: train.weight_decay must be ≥ 0, got %g", t.WeightDecay)
	case t.L1 < 0 || t.L2 < 0 || t.L1+t.L2 == 0:
		return fmt.Errorf("invnet: train.lambda_l1 and lambda_l2 must be ≥ 0 and not both 0, got %g and %g", t.L1, t.L2)
	case t.InputNoise < 0:
		return fmt.Errorf("invnet: train.input_noise must be ≥ 0, got %g", t.InputNoise)
	case t.ValFraction < 0 || t.ValFraction >= 1:
		return fmt.Errorf("invnet: train.val_fraction must be in [0, 1), got %g", t.ValFraction)
	case t.ValMaps < 0 || t.ValEvery < 0:
		return fmt.Errorf("invnet: train.val_maps and train.val_every must be ≥ 0")
	case t.CheckpointEvery < 0:
		return fmt.Errorf("invnet: train.checkpoint_every must be ≥ 0, got %d", t.CheckpointEvery)
	}
	if t.GAN != nil {
		if err := t.GAN.validate(); err != nil {
			return err
		}
	}
	if _, err := NormFor(t.Norm...); len(t.Norm) > 0 && err != nil {
		return fmt.Errorf("invnet: train.norm: %w", err)
	}
	return nil
}

// NormFor returns the envelope of the normalisation constants of the named
// datasets (smallest data_min, largest data_max), as wavediff does for
// mixed training sets.
func NormFor(datasets ...string) (openfwi.Norm, error) {
	if len(datasets) == 0 {
		return openfwi.Norm{}, errors.New("no dataset named for the normalisation")
	}
	n := openfwi.Norm{DataMin: math.Inf(1), DataMax: math.Inf(-1)}
	for _, name := range datasets {
		d, err := openfwi.Lookup(name)
		if err != nil {
			return openfwi.Norm{}, err
		}
		n.DataMin = math.Min(n.DataMin, d.Norm.DataMin)
		n.DataMax = math.Max(n.DataMax, d.Norm.DataMax)
		n.LabelMin, n.LabelMax = d.Norm.LabelMin, d.Norm.LabelMax
	}
	return n, nil
}

// ParseConfig decodes and validates a JSON configuration (unknown fields
// are errors); name labels error messages.
func ParseConfig(b []byte, name string) (*Config, error) {
	return jsonconfig.Parse[Config](b, "invnet", name)
}

// LoadConfig reads a configuration file, or returns the preset of that name
// when arg is not an existing file and does not end in ".json".
func LoadConfig(arg string) (*Config, error) {
	return jsonconfig.Load(arg, "invnet", ParseConfig, Preset)
}
