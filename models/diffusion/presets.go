package diffusion

import "genfwi/models/preset"

// The presets. "paper" is WaveDiffusion appendix A.1.2 (LDM's
// lsun_churches-ldm-kl-8 settings): 32 latent channels at 16×16, model
// channels 128, channel_mult [1,2,2,4,4], 2 residual blocks, attention at
// downsample factors [1,2,4] (the paper lists [1,2,4,4]), 8 heads,
// scale-shift norm, resblock up/down, T = 1000, √β-linear 0.0015→0.0155,
// L1 loss, base lr 5e-5, warm-up 10 000 steps from 1e-6, batch 256. LDM's
// main.py scales the base rate by the batch size (scale_lr, on by default):
// both presets store the scaled rate 5e-5 × batch (1.28e-2 and 1.6e-3). With
// the unscaled 2e-4 the zero-initialised UNet took thousands of steps to learn
// even ε̂ ≈ z_t at t = 999 (docs/wavediffusion.md, "Why the cpu recipe looks
// like this").
//
// "cpu" is the same architecture with model channels 32 and
// channel_mult [1,2,2,4] (16→8→4→2), attention at downsample factors [2,4]
// (8×8 and 4×4; attention over all 256 positions at 16×16 nearly doubles
// the step time), 4 heads and 8 norm groups, so that a batch-16 step takes a
// fraction of a second on two cores (docs/wavediffusion-models.md). With 32
// model channels for 32 latent channels the top level cannot pass z_t
// through accurately, so the cpu preset predicts ε with the skip term of
// Config.EpsSkip; the paper preset (128 channels) does not need it.
var presets = preset.Table[Config]{
	"paper": func() *Config {
		return &Config{Name: "paper",
			Schedule: ScheduleConfig{Timesteps: 1000, LinearStart: 0.0015, LinearEnd: 0.0155, Kind: "linear"},
			UNet: UNetConfig{ImageSize: 16, InChannels: 32, OutChannels: 32, ModelChannels: 128,
				ChannelMult: []int{1, 2, 2, 4, 4}, NumResBlocks: 2, AttentionResolutions: []int{1, 2, 4}, NumHeads: 8},
			Loss: "l1", ScaleByStd: true, Seed: 1,
			Train: TrainConfig{LR: 5e-5 * 256, Beta1: 0.9, Beta2: 0.999, WeightDecay: 0.01, BatchSize: 256, Steps: 200000,
				WarmupSteps: 10000, WarmupStart: 1e-6, EMADecay: 0.9999, GradClip: 1},
		}
	},
	"cpu": func() *Config {
		return &Config{Name: "cpu",
			Schedule: ScheduleConfig{Timesteps: 1000, LinearStart: 0.0015, LinearEnd: 0.0155, Kind: "linear"},
			UNet: UNetConfig{ImageSize: 16, InChannels: 32, OutChannels: 32, ModelChannels: 32,
				ChannelMult: []int{1, 2, 2, 4}, NumResBlocks: 2, AttentionResolutions: []int{2, 4}, NumHeads: 4, NormGroups: 8},
			Loss: "l1", ScaleByStd: true, EpsSkip: true, Seed: 1,
			Train: TrainConfig{LR: 5e-5 * 32, Beta1: 0.9, Beta2: 0.999, WeightDecay: 0.01, BatchSize: 32, Steps: 20000,
				WarmupSteps: 500, WarmupStart: 1e-2, EMADecay: 0.999, GradClip: 1},
		}
	},
}

// Preset returns a fresh copy of the named built-in configuration ("cpu" or
// "paper"); configs/diffusion-<name>.json hold the same values.
func Preset(name string) (*Config, error) {
	return presets.Get("diffusion", name)
}

// PresetNames lists the built-in presets, sorted.
func PresetNames() []string { return presets.Names() }
