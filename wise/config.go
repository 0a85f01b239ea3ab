package wise

import (
	"fmt"
	"math"

	"genfwi/internal/jsonconfig"
	"genfwi/models/flow"
)

// Config is a WISE training and sampling configuration, the content of
// configs/wise-cpu.json and configs/wise-paper.json.
type Config struct {
	// Name labels the configuration ("cpu", "paper").
	Name string `json:"name"`
	// Network is the conditional Glow and its summary UNet
	// (flow.NetworkConfig). The summary network's input channels must equal
	// the number of subsurface offsets of the training gathers.
	Network flow.NetworkConfig `json:"network"`
	// Train holds the optimisation settings.
	Train TrainConfig `json:"train"`
	// Posterior holds the sampling settings of "genfwi posterior".
	Posterior PosteriorConfig `json:"posterior"`
}

// TrainConfig holds the optimisation settings of WISE training.
type TrainConfig struct {
	// Epochs is the number of passes over the training pairs (WISE: 200).
	Epochs int `json:"epochs"`
	// Batch is the batch size (WISE: 8). Each epoch has ⌊n/Batch⌋ steps.
	Batch int `json:"batch_size"`
	// LR is Adam's learning rate (WISE: 8e-4), constant.
	LR float64 `json:"lr"`
	// ClipNorm is the per-parameter gradient-norm bound (Flux's ClipNorm,
	// WISE: 3) applied to the gradient of the per-pixel loss.
	ClipNorm float64 `json:"clip_norm"`
	// FlipProb is the probability of mirroring a training pair along x
	// (velocity and gather together, offset axis untouched; WISE: 0.5).
	FlipProb float64 `json:"flip_prob"`
	// Noise is the dequantisation-noise schedule on the velocity.
	Noise NoiseSchedule `json:"noise"`
	// VelocityScale is the velocity, in m/s, of one unit of the flow's
	// variable: 1000 makes the flow work in km/s as WISE does.
	VelocityScale float64 `json:"velocity_scale"`
	// ValFraction is the fraction of the training data set held out for
	// validation when no separate validation set is given (the last
	// ⌈fraction·n⌉ pairs).
	ValFraction float64 `json:"val_fraction"`
	// ValMaps bounds the held-out maps evaluated after each epoch (WISE: 20).
	ValMaps int `json:"val_maps"`
	// ValSamples is the number K of posterior samples whose mean is the
	// validation conditional mean (WISE: 64; smaller is faster).
	ValSamples int `json:"val_samples"`
	// CheckpointEvery is the checkpoint period in steps; a checkpoint is
	// also written at the end of every epoch.
	CheckpointEvery int `json:"checkpoint_every"`
	// Seed drives the initial weights, the epoch permutations, flips,
	// noise, dropout and the validation draws.
	Seed uint64 `json:"seed"`
	// RTMOnly trains on the zero-offset image repeated over every offset
	// channel (WISE's "RTM-only" comparison network).
	RTMOnly bool `json:"rtm_only,omitempty"`
}

// PosteriorConfig holds the sampling settings.
type PosteriorConfig struct {
	// Samples is the default number of posterior samples (WISE: 64).
	Samples int `json:"samples"`
	// Batch is the number of samples drawn per inverse pass (memory bound).
	Batch int `json:"batch"`
	// SummaryTrainMode runs the summary network as WISE.jl's sampling
	// scripts leave it, in training mode: dropout active with a fresh mask
	// per sample and BatchNorm on the statistics of the (repeated) gather,
	// so that the condition varies between samples (Monte-Carlo dropout).
	// The default (false) is eval mode: running statistics, no dropout, one
	// condition for every sample. The running statistics are not changed.
	SummaryTrainMode bool `json:"summary_train_mode,omitempty"`
}

// NoiseSchedule is WISE's dequantisation noise on the velocity (in flow
// units, km/s with VelocityScale 1000): σ starts at Init, is divided by
// Factor every Every epochs after epoch Start, and never drops below Min.
// Start and Every are fractions of the run's length so that the schedule
// stretches with the epoch count; see Sigma.
type NoiseSchedule struct {
	// Init is the initial σ (WISE: 0.1 km/s).
	Init float64 `json:"init"`
	// Min is the floor (WISE: 1e-3).
	Min float64 `json:"min"`
	// Factor is the divisor of each decay (WISE: 1.2).
	Factor float64 `json:"factor"`
	// StartFrac is the fraction of the epochs after which decays begin
	// (WISE: 30 of 200 = 0.15).
	StartFrac float64 `json:"start_frac"`
	// SpanFrac is the fraction of the epochs over which the decays needed
	// to reach Min are spread (WISE: (200 − 50)/200 = 0.75).
	SpanFrac float64 `json:"span_frac"`
}

// DefaultNoise is the WISE schedule: 0.1 → 1e-3 by /1.2 steps, decays
// from 15 % of the run, spread over 75 % of it.
func DefaultNoise() NoiseSchedule {
	return NoiseSchedule{Init: 0.1, Min: 1e-3, Factor: 1.2, StartFrac: 0.15, SpanFrac: 0.75}
}

// Decays returns the number of divisions by Factor needed to reach Min, as
// the WISE script counts them: ⌊log(Min/Init)/log(1/Factor)⌋ + 1 (26 for
// the defaults).
func (s NoiseSchedule) Decays() int {
	if s.Init <= 0 || s.Min <= 0 || s.Factor <= 1 || s.Min >= s.Init {
		return 0
	}
	return int(math.Floor(math.Log(s.Min/s.Init)/math.Log(1/s.Factor))) + 1
}

// Period returns (start, every) for a run of epochs epochs: decays happen
// at the 1-based epochs e > start with e divisible by every; start is at
// least 1, so the first epoch always uses Init. For 200
// epochs and the defaults this is (30, 5), WISE's
// noise_decay_per_epochs = div(200 − 50, 26).
func (s NoiseSchedule) Period(epochs int) (start, every int) {
	start = max(1, int(math.Round(s.StartFrac*float64(epochs))))
	d := s.Decays()
	every = 1
	if d > 0 {
		every = max(1, int(math.Floor(s.SpanFrac*float64(epochs)))/d)
	}
	return start, every
}

// Sigma returns the noise level used during the 1-based epoch e of a run of
// epochs epochs: Init / Factor^k, k = #{e' ≤ e : e' > start, e' mod every
// = 0}, floored at Min. Init = 0 switches the noise off.
func (s NoiseSchedule) Sigma(e, epochs int) float64 {
	if s.Init <= 0 {
		return 0
	}
	start, every := s.Period(epochs)
	k := 0
	if e > start {
		k = e/every - start/every
	}
	sig := s.Init / math.Pow(s.Factor, float64(k))
	return max(sig, s.Min)
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if err := c.Network.Validate(); err != nil {
		return err
	}
	if c.Network.Flow.InChannels != 1 {
		return fmt.Errorf("wise: the flow models one velocity channel, config has in_channels %d", c.Network.Flow.InChannels)
	}
	t := &c.Train
	switch {
	case t.Epochs < 1:
		return fmt.Errorf("wise: train.epochs must be ≥ 1, got %d", t.Epochs)
	case t.Batch < 1:
		return fmt.Errorf("wise: train.batch_size must be ≥ 1, got %d", t.Batch)
	case !(t.LR > 0):
		return fmt.Errorf("wise: train.lr must be > 0, got %g", t.LR)
	case t.ClipNorm < 0:
		return fmt.Errorf("wise: train.clip_norm must be ≥ 0 (0 = off), got %g", t.ClipNorm)
	case t.FlipProb < 0 || t.FlipProb > 1:
		return fmt.Errorf("wise: train.flip_prob must be in [0, 1], got %g", t.FlipProb)
	case !(t.VelocityScale > 0):
		return fmt.Errorf("wise: train.velocity_scale must be > 0 (1000 = km/s), got %g", t.VelocityScale)
	case t.ValFraction < 0 || t.ValFraction >= 1:
		return fmt.Errorf("wise: train.val_fraction must be in [0, 1), got %g", t.ValFraction)
	case t.ValMaps < 0 || t.ValSamples < 0:
		return fmt.Errorf("wise: train.val_maps and train.val_samples must be ≥ 0")
	case t.CheckpointEvery < 0:
		return fmt.Errorf("wise: train.checkpoint_every must be ≥ 0, got %d", t.CheckpointEvery)
	case t.Noise.Init < 0 || t.Noise.Min < 0 || (t.Noise.Init > 0 && t.Noise.Factor < 1):
		return fmt.Errorf("wise: train.noise needs init ≥ 0, min ≥ 0 and factor ≥ 1, got %+v", t.Noise)
	case c.Posterior.Samples < 1 || c.Posterior.Batch < 1:
		return fmt.Errorf("wise: posterior.samples and posterior.batch must be ≥ 1")
	}
	return nil
}

// Preset returns the built-in configuration "cpu" or "paper" (the same as
// configs/wise-cpu.json and configs/wise-paper.json).
func Preset(name string) (*Config, error) {
	nc, err := flow.NetworkPreset(name)
	if err != nil {
		return nil, fmt.Errorf("unknown wise preset %q (have cpu, paper)", name)
	}
	c := &Config{Name: name, Network: *nc,
		Train: TrainConfig{Epochs: 200, Batch: 8, LR: 8e-4, ClipNorm: 3, FlipProb: 0.5, Noise: DefaultNoise(),
			VelocityScale: 1000, ValFraction: 0.02, ValMaps: 20, ValSamples: 64, CheckpointEvery: 500, Seed: 1},
		Posterior: PosteriorConfig{Samples: 64, Batch: 16}}
	if name == "cpu" {
		c.Train.Epochs = 60
		c.Train.ValMaps = 16
		c.Train.ValSamples = 16
	}
	return c, nil
}

// ParseConfig decodes and validates a JSON configuration (unknown fields
// are errors); name labels error messages.
func ParseConfig(b []byte, name string) (*Config, error) {
	return jsonconfig.Parse[Config](b, "wise", name)
}

// LoadConfig reads a configuration file, or returns the preset of that name
// when arg is not an existing file and does not end in ".json".
func LoadConfig(arg string) (*Config, error) {
	return jsonconfig.Load(arg, "wise", ParseConfig, Preset)
}
