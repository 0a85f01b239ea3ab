package flow

import (
	"fmt"
	"math/rand/v2"

	"genfwi/autograd"
	"genfwi/internal/jsonconfig"
	"genfwi/nn"
	"genfwi/tensor"
)

// NetworkConfig is the configuration of the WISE network: the conditional
// flow and its summary network.
type NetworkConfig struct {
	Flow    Config     `json:"flow"`
	Summary UNetConfig `json:"summary"`
}

// Validate checks both parts and that the summary network outputs the
// flow's condition channels.
func (c *NetworkConfig) Validate() error {
	if err := c.Flow.Validate(); err != nil {
		return err
	}
	if err := c.Summary.Validate(); err != nil {
		return err
	}
	if c.Flow.CondChannels != c.Summary.OutChannels {
		return fmt.Errorf("flow: summary network outputs %d channels, flow expects %d condition channels", c.Summary.OutChannels, c.Flow.CondChannels)
	}
	return nil
}

// NetworkPreset returns the flow and summary presets of the same name
// ("cpu": 238 322 + 1 543 617 parameters; "paper").
func NetworkPreset(name string) (*NetworkConfig, error) {
	f, err := Preset(name)
	if err != nil {
		return nil, err
	}
	u, err := UNetPreset(name)
	if err != nil {
		return nil, err
	}
	return &NetworkConfig{Flow: *f, Summary: *u}, nil
}

// ParseNetworkConfig decodes and validates a JSON network configuration
// (unknown fields are errors); name labels error messages.
func ParseNetworkConfig(b []byte, name string) (*NetworkConfig, error) {
	return jsonconfig.Parse[NetworkConfig](b, "network", name)
}

// Network is WISE's summarized network: G(x; y) = Flow(x, Summary(y)) for
// a velocity x and its common-image gather y (offsets as channels). Arena
// holds every parameter, the flow's first; Flow.Arena and Summary.Arena are
// views of its two parts, so one optimiser trains both and each part can
// still be inspected or clipped on its own.
type Network struct {
	Cfg     NetworkConfig
	Flow    *Glow
	Summary *UNet
	Arena   *nn.Arena
}

// NewNetwork builds both parts with weights drawn from rng (summary network
// in eval mode, ActNorm uninitialised). It returns an error if cfg is
// invalid.
func NewNetwork(cfg NetworkConfig, rng *rand.Rand) (*Network, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g, err := newGlow(cfg.Flow, rng)
	if err != nil {
		return nil, err
	}
	u, err := newUNet(cfg.Summary, rng)
	if err != nil {
		return nil, err
	}
	fp, up := g.Params(), u.Params()
	a := nn.NewArena(append(append([]*nn.Param(nil), fp...), up...))
	g.Arena = subArena(a, 0, len(fp))
	u.Arena = subArena(a, len(fp), len(fp)+len(up))
	return &Network{Cfg: cfg, Flow: g, Summary: u, Arena: a}, nil
}

// subArena returns a view of parameters [i0, i1) of a as an arena of its
// own (same storage).
func subArena(a *nn.Arena, i0, i1 int) *nn.Arena {
	lo, hi := len(a.Data), len(a.Data)
	if i0 < len(a.Params) {
		lo = a.Offsets[i0]
	}
	if i1 < len(a.Params) {
		hi = a.Offsets[i1]
	}
	off := make([]int, i1-i0)
	for i := range off {
		off[i] = a.Offsets[i0+i] - lo
	}
	return &nn.Arena{Params: a.Params[i0:i1], Offsets: off, Data: a.Data[lo:hi:hi], Grad: a.Grad[lo:hi:hi]}
}

// NumParams returns the number of trainable parameters of both parts.
func (n *Network) NumParams() int { return n.Arena.NumParams() }

// Condition returns Summary(y) for gathers y (N, offsets, H, W), in the
// summary network's current mode (rng for dropout when training).
func (n *Network) Condition(y *autograd.Var, rng *rand.Rand) (*autograd.Var, error) {
	return n.Summary.Forward(y, rng)
}

// Init (re)initialises the flow's ActNorm layers from velocities x and
// gathers y (the summary network runs in its current mode, without
// recording gradients). rng draws dropout masks in training mode.
func (n *Network) Init(x, y *tensor.Tensor, rng *rand.Rand) error {
	c, err := n.Summary.Summarize(y, rng)
	if err != nil {
		return err
	}
	return n.Flow.Init(x, c)
}

// Forward returns z = G(x; y) and the per-sample log-determinant; see
// Glow.Forward. Gradients reach both networks' weights, x and y.
func (n *Network) Forward(x, y *autograd.Var, rng *rand.Rand) (z, logdet *autograd.Var, err error) {
	c, err := n.Condition(y, rng)
	if err != nil {
		return nil, nil, err
	}
	return n.Flow.Forward(x, c)
}

// Inverse returns G⁻¹(z; y) = Flow⁻¹(z, Summary(y)); see Glow.Inverse.
func (n *Network) Inverse(z, y *autograd.Var, rng *rand.Rand) (*autograd.Var, error) {
	c, err := n.Condition(y, rng)
	if err != nil {
		return nil, err
	}
	return n.Flow.Inverse(z, c)
}

// Sample returns posterior samples G⁻¹(z_i; y) for latent draws z (N, C,
// H, W) and one gather y (1, offsets, H, W), summarised once and repeated,
// without recording gradients. The summary network runs in its current
// mode (eval by default). The result is a new tensor.
func (n *Network) Sample(z, y *tensor.Tensor, rng *rand.Rand) (*tensor.Tensor, error) {
	if len(y.Shape) != 4 || y.Shape[0] != 1 {
		return nil, fmt.Errorf("flow: Sample: gather must be (1, offsets, H, W), got %v", y.Shape)
	}
	c, err := n.Summary.Summarize(y, rng)
	if err != nil {
		return nil, err
	}
	return n.Flow.Sample(z, c.Repeat(z.Shape[0]))
}

// NetworkFormat is the checkpoint metadata "format" value of WISE networks.
const NetworkFormat = "genfwi-wise-network"

// Weights returns the arena of both parts and the summary network's
// BatchNorm running statistics.
func (n *Network) Weights() (*nn.Arena, []*nn.Buffer) { return n.Arena, n.Summary.Buffers() }

// Save writes both parts' weights and the summary network's BatchNorm
// running statistics to one safetensors file (nn.SaveModel), with the
// NetworkConfig as JSON metadata, "actnorm_initialized" and extra. Atomic.
func (n *Network) Save(path string, extra map[string]string) error {
	meta := map[string]string{"actnorm_initialized": fmt.Sprint(n.Flow.Initialized())}
	return nn.SaveCheckpoint(path, NetworkFormat, n, n.Cfg, meta, extra)
}

// LoadNetwork builds the network described by the checkpoint at path and
// loads its weights and running statistics. It returns the network and the
// checkpoint's metadata.
func LoadNetwork(path string) (*Network, map[string]string, error) {
	n, meta, err := nn.LoadCheckpoint(path, NetworkFormat, "a WISE network", ParseNetworkConfig, func(c NetworkConfig) (*Network, error) {
		return NewNetwork(c, rand.New(rand.NewPCG(0, 0)))
	})
	if err != nil {
		return nil, nil, err
	}
	n.Flow.SetInitialized(actNormInitialized(meta))
	return n, meta, nil
}
