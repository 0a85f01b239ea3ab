package flow

import (
	"fmt"

	"genfwi/internal/jsonconfig"
	"genfwi/models/preset"
)

// Config describes a (conditional) Glow network. The network is fully
// convolutional: the image size is not part of the configuration, only
// required to be divisible by 2^Levels (see Layout).
type Config struct {
	// Name labels the configuration (the preset name for presets).
	Name string `json:"name,omitempty"`
	// InChannels is the number of channels of the modelled variable x
	// (n_in; 1 for a velocity map).
	InChannels int `json:"in_channels"`
	// CondChannels is the number of channels of the condition (n_cond; the
	// summary network's output). 0 makes the network unconditional (Glow,
	// the latent correction flow h_φ of WISER).
	CondChannels int `json:"cond_channels"`
	// Hidden is the number of hidden channels of every residual block.
	Hidden int `json:"hidden"`
	// Levels is the number of scales L: each level starts with a
	// checkerboard squeeze and all but the last end with a channel split.
	Levels int `json:"levels"`
	// Steps is the number of flow steps K per level (ActNorm + coupling).
	Steps int `json:"steps"`
	// RBFinalReLU ends every residual block with a ReLU, as
	// InvertibleNetworks.jl does for fan=true blocks: then T ≥ 0 and the
	// pre-activation of S is ≥ 0, so S ∈ [0.75, 1). The presets set it for
	// fidelity; false gives the unrestricted coupling.
	RBFinalReLU bool `json:"rb_final_relu"`
	// RBOutBias adds a bias to the residual block's last convolution.
	// InvertibleNetworks.jl has none; a PyTorch port that writes that layer
	// as nn.ConvTranspose2d(hidden, n, 3, padding=1) gets one by default.
	// The cpu preset sets it so that its parameter count is the 238 322 of
	// the wise-cpu benchmark (see NumParams).
	RBOutBias bool `json:"rb_out_bias,omitempty"`
}

// presets are the built-in configurations.
//
// "paper" is the network of WISE and WISER (Yin et al. 2024; Yin, Orozco,
// Herrmann 2025): NetworkConditionalGlow(1, 1, 64, L=3, K=9) with the
// final-ReLU residual blocks of InvertibleNetworks.jl and no bias on their
// last convolution.
//
// "cpu" is the scaled configuration used on two CPU cores: L=3, K=6,
// hidden 32, with the output bias of the PyTorch reference of the wise-cpu
// benchmark (238 322 parameters for one input and one condition channel).
var presets = preset.Table[Config]{
	"paper": func() *Config {
		return &Config{Name: "paper", InChannels: 1, CondChannels: 1, Hidden: 64, Levels: 3, Steps: 9, RBFinalReLU: true}
	},
	"cpu": func() *Config {
		return &Config{Name: "cpu", InChannels: 1, CondChannels: 1, Hidden: 32, Levels: 3, Steps: 6, RBFinalReLU: true, RBOutBias: true}
	},
}

// Preset returns a fresh copy of the named built-in configuration ("cpu" or
// "paper").
func Preset(name string) (*Config, error) {
	return presets.Get("flow", name)
}

// PresetNames lists the built-in presets, sorted.
func PresetNames() []string { return presets.Names() }

// Unconditional returns a copy of c without condition (CondChannels 0):
// the same architecture as an unconditional Glow, which is how WISER builds
// its latent correction network h_φ from the CNF's configuration.
func (c Config) Unconditional() Config {
	c.CondChannels = 0
	if c.Name != "" {
		c.Name += "-unconditional"
	}
	return c
}

// Validate checks the hyper-parameters.
func (c *Config) Validate() error {
	switch {
	case c.InChannels < 1:
		return fmt.Errorf("flow: in_channels must be ≥ 1, got %d", c.InChannels)
	case c.CondChannels < 0:
		return fmt.Errorf("flow: cond_channels must be ≥ 0, got %d", c.CondChannels)
	case c.Hidden < 1:
		return fmt.Errorf("flow: hidden must be ≥ 1, got %d", c.Hidden)
	case c.Levels < 1 || c.Levels > 12:
		return fmt.Errorf("flow: levels must be in [1, 12], got %d", c.Levels)
	case c.Steps < 1:
		return fmt.Errorf("flow: steps must be ≥ 1, got %d", c.Steps)
	}
	return nil
}

// LoadConfig reads and validates a JSON configuration file.
func LoadConfig(path string) (*Config, error) {
	return preset.ReadFile[Config](path, "flow")
}

// ParseConfig decodes and validates a JSON configuration (unknown fields
// are errors); name labels error messages.
func ParseConfig(b []byte, name string) (*Config, error) {
	return jsonconfig.Parse[Config](b, "flow", name)
}

// half is the channel split point round(n/2) with Julia's rounding (ties to
// even), as InvertibleNetworks.jl's tensor_split computes it: the first
// half(n) channels are the transformed (or kept) part.
func half(n int) int {
	h := n / 2
	if n%2 == 1 && h%2 == 1 {
		h++
	}
	return h
}

// NumParams returns the number of scalar parameters of a network built from
// c, from the shapes alone. Per flow step on n channels (n_c condition
// channels at that level, k = half(n), h = Hidden):
//
//	ActNorm 2n + Householder 3n + conv3×3 (n−k+n_c → h) 9h(n−k+n_c) + h
//	+ conv1×1 (h → h) h² + h + conv3×3 (h → 2k) 9h·2k [+ 2k with RBOutBias]
//
// plus 2·CondChannels for the ActNorm of the condition. For the cpu preset
// (1 input, 1 condition channel): 238 154 without the output bias, and
// 168 = 6·(4 + 8 + 16) more with it, 238 322.
func (c *Config) NumParams() int {
	n, nc := c.InChannels, c.CondChannels
	total := 2 * nc
	h := c.Hidden
	for l := 0; l < c.Levels; l++ {
		n *= 4
		nc *= 4
		k := half(n)
		step := 2*n + 3*n + 9*h*(n-k+nc) + h + h*h + h + 9*h*2*k
		if c.RBOutBias {
			step += 2 * k
		}
		total += c.Steps * step
		if l < c.Levels-1 {
			n = half(n)
		}
	}
	return total
}
