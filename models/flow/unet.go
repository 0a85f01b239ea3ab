package flow

import (
	"fmt"
	"math/rand/v2"

	"genfwi/autograd"
	"genfwi/nn"
	"genfwi/tensor"
)

// UNetConfig describes the summary network of WISE (UNet.jl's Unet, 2-D,
// with a configurable base width).
type UNetConfig struct {
	// InChannels is the number of input channels: the subsurface offsets of
	// the common-image gather (51 in the paper, 21 for cpu).
	InChannels int `json:"in_channels"`
	// OutChannels is the number of output channels ("labels"; 1: the
	// condition of the flow).
	OutChannels int `json:"out_channels"`
	// Base is the width of the first block (64 in UNet.jl); level i has
	// Base·2^i channels.
	Base int `json:"base"`
	// Depth is UNet.jl's depth: Depth−1 stride-2 downsamplings, so H and W
	// must be multiples of 2^(Depth−1).
	Depth int `json:"depth"`
	// Dropout is the dropout probability of every up block but the last
	// (UNet.jl: 0.5; the last, full-resolution one has none).
	Dropout float64 `json:"dropout"`
}

// unetPresets pair with the flow presets: "paper" is UNet.jl's Unet(51, 1,
// 4); "cpu" the same at half width on 21 offsets (1 543 617 parameters,
// the summary network of the wise-cpu benchmark, whose timing runs without
// dropout: set Dropout to 0 for it).
var unetPresets = map[string]func() *UNetConfig{
	"paper": func() *UNetConfig {
		return &UNetConfig{InChannels: 51, OutChannels: 1, Base: 64, Depth: 4, Dropout: 0.5}
	},
	"cpu": func() *UNetConfig {
		return &UNetConfig{InChannels: 21, OutChannels: 1, Base: 32, Depth: 4, Dropout: 0.5}
	},
}

// UNetPreset returns a fresh copy of the named summary-network preset
// ("cpu" or "paper").
func UNetPreset(name string) (*UNetConfig, error) {
	mk, ok := unetPresets[name]
	if !ok {
		return nil, fmt.Errorf("unknown unet preset %q (have cpu, paper)", name)
	}
	return mk(), nil
}

// Validate checks the hyper-parameters.
func (c *UNetConfig) Validate() error {
	switch {
	case c.InChannels < 1 || c.OutChannels < 1:
		return fmt.Errorf("unet: in_channels and out_channels must be ≥ 1, got %d and %d", c.InChannels, c.OutChannels)
	case c.Base < 1:
		return fmt.Errorf("unet: base must be ≥ 1, got %d", c.Base)
	case c.Depth < 2 || c.Depth > 10:
		return fmt.Errorf("unet: depth must be in [2, 10], got %d", c.Depth)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("unet: dropout must be in [0, 1), got %g", c.Dropout)
	}
	return nil
}

// width returns the channels of encoder level i (0-based): Base·2^i.
func (c *UNetConfig) width(i int) int { return c.Base << i }

// NumParams returns the number of trainable parameters (weights, biases and
// BatchNorm scales and shifts; the running statistics are buffers).
func (c *UNetConfig) NumParams() int {
	conv := func(ci, co, k int) int { return co*ci*k*k + co }
	bn := func(ch int) int { return 2 * ch }
	d := c.Depth
	n := conv(c.InChannels, c.width(0), 3) + bn(c.width(0))
	for i := 1; i < d; i++ {
		n += conv(c.width(i-1), c.width(i-1), 4) + bn(c.width(i-1))
		n += conv(c.width(i-1), c.width(i), 3) + bn(c.width(i))
	}
	top := c.width(d - 1)
	n += conv(top, top, 3) + bn(top)
	in := top
	for i := d - 2; i >= 0; i-- {
		n += conv(in, c.width(i), 2) + bn(c.width(i))
		in = 2 * c.width(i)
	}
	return n + conv(in, c.OutChannels, 1)
}

// convBN is conv → BatchNorm → LeakyReLU(0.2) (UNet.jl's UNetConvBlock
// with a 3×3 pad-1 kernel, and ConvDown with a 4×4 stride-2 pad-1 kernel).
type convBN struct {
	Conv *nn.Conv2d
	BN   *nn.BatchNorm2d
}

func newConvBN(name string, rng *rand.Rand, ci, co, k int, opts autograd.Conv2dOpts) *convBN {
	b := &convBN{Conv: nn.NewConv2d(name+".conv", rng, ci, co, k, k, opts, true), BN: nn.NewBatchNorm2d(name+".bn", co, 1e-5)}
	unetInit(b.Conv.W, b.Conv.B, rng)
	return b
}

func (b *convBN) forward(x *autograd.Var, training bool) *autograd.Var {
	return autograd.LeakyReLU(b.BN.ForwardMode(b.Conv.Forward(x), training), 0.2)
}

// upBlock is LeakyReLU(0.2) → ConvTranspose 2×2 stride 2 → BatchNorm →
// Dropout (UNet.jl's UNetUpBlock); the caller concatenates the skip.
type upBlock struct {
	Conv    *nn.ConvTranspose2d
	BN      *nn.BatchNorm2d
	Dropout float64
}

// unetInit sets a conv weight to N(0, 0.02²) and its bias to 0 (UNet.jl's
// _random_normal; Flux's zero bias).
func unetInit(w, b *nn.Param, rng *rand.Rand) {
	nn.Normal(w.Value(), 0.02, rng)
	if b != nil {
		b.Value().Zero()
	}
}

// UNet is the summary network of WISE: UNet.jl's Unet(channels, labels,
// depth) in 2-D with base width Base (64 in UNet.jl),
//
//	x_1 = Block(in → b)
//	x_i = Block(b_{i−1} → b_i)(Down(b_{i−1})(x_{i−1}))      i = 2..D, b_i = b·2^(i−1)
//	u   = Block(b_D → b_D)(x_D)                             (no downsampling)
//	u   = Up(·→ b_i)(u) ⊕ x_i                               i = D−1..1
//	out = tanh(conv1×1(2b → out)(LeakyReLU(u)))
//
// with Block = conv3×3 pad 1 → BN → LeakyReLU(0.2), Down = conv4×4 stride 2
// pad 1 → BN → LeakyReLU(0.2), Up = LeakyReLU(0.2) → ConvTranspose 2×2
// stride 2 → BN → Dropout (p = Dropout except for the last up block), ⊕ =
// channel concatenation; conv weights N(0, 0.02²), biases 0.
//
// Training selects batch statistics in BatchNorm (updating the running
// statistics) and active dropout. It is false after NewUNet: inference
// uses the running statistics and no dropout. The WISE scripts keep the
// network in training mode even when sampling; set Training to reproduce
// that.
type UNet struct {
	Cfg      UNetConfig
	Training bool
	blocks   []*convBN // encoder blocks x_1..x_D, then the bottom block
	downs    []*convBN // Down of levels 1..D−1
	ups      []*upBlock
	out      *nn.Conv2d
	// Arena holds the parameters (weights and gradients) contiguously.
	Arena *nn.Arena
	tapes tapePool // Summarize's inference tapes
}

// NewUNet builds the summary network with weights drawn from rng, in eval
// mode. It returns an error if cfg is invalid.
func NewUNet(cfg UNetConfig, rng *rand.Rand) (*UNet, error) {
	u, err := newUNet(cfg, rng)
	if err != nil {
		return nil, err
	}
	u.Arena = nn.NewArena(u.Params())
	return u, nil
}

func newUNet(cfg UNetConfig, rng *rand.Rand) (*UNet, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	u := &UNet{Cfg: cfg}
	pad1 := autograd.Conv2dOpts{Pad: autograd.PadAll(1)}
	d := cfg.Depth
	u.blocks = append(u.blocks, newConvBN("unet.block1", rng, cfg.InChannels, cfg.width(0), 3, pad1))
	for i := 1; i < d; i++ {
		u.downs = append(u.downs, newConvBN(fmt.Sprintf("unet.down%d", i), rng, cfg.width(i-1), cfg.width(i-1), 4,
			autograd.Conv2dOpts{Stride: [2]int{2, 2}, Pad: autograd.PadAll(1)}))
		u.blocks = append(u.blocks, newConvBN(fmt.Sprintf("unet.block%d", i+1), rng, cfg.width(i-1), cfg.width(i), 3, pad1))
	}
	top := cfg.width(d - 1)
	u.blocks = append(u.blocks, newConvBN(fmt.Sprintf("unet.block%d", d+1), rng, top, top, 3, pad1))
	in := top
	for i := d - 2; i >= 0; i-- {
		name := fmt.Sprintf("unet.up%d", i+1)
		up := &upBlock{
			Conv: nn.NewConvTranspose2d(name+".conv", rng, in, cfg.width(i), 2, 2, autograd.Conv2dOpts{Stride: [2]int{2, 2}}, true),
			BN:   nn.NewBatchNorm2d(name+".bn", cfg.width(i), 1e-5),
		}
		if i > 0 {
			up.Dropout = cfg.Dropout
		}
		unetInit(up.Conv.W, up.Conv.B, rng)
		u.ups = append(u.ups, up)
		in = 2 * cfg.width(i)
	}
	u.out = nn.NewConv2d("unet.out", rng, in, cfg.OutChannels, 1, 1, autograd.Conv2dOpts{}, true)
	unetInit(u.out.W, u.out.B, rng)
	return u, nil
}

// batchNorms returns every BatchNorm layer in parameter order.
func (u *UNet) batchNorms() []*nn.BatchNorm2d {
	var bns []*nn.BatchNorm2d
	bns = append(bns, u.blocks[0].BN)
	for i := range u.downs {
		bns = append(bns, u.downs[i].BN, u.blocks[i+1].BN)
	}
	bns = append(bns, u.blocks[len(u.blocks)-1].BN)
	for _, up := range u.ups {
		bns = append(bns, up.BN)
	}
	return bns
}

// Params returns the parameters in a fixed order (encoder, bottom, decoder,
// output convolution).
func (u *UNet) Params() []*nn.Param {
	ps := nn.Collect(u.blocks[0].Conv, u.blocks[0].BN)
	for i := range u.downs {
		ps = append(ps, nn.Collect(u.downs[i].Conv, u.downs[i].BN, u.blocks[i+1].Conv, u.blocks[i+1].BN)...)
	}
	b := u.blocks[len(u.blocks)-1]
	ps = append(ps, nn.Collect(b.Conv, b.BN)...)
	for _, up := range u.ups {
		ps = append(ps, nn.Collect(up.Conv, up.BN)...)
	}
	return append(ps, u.out.Params()...)
}

// Buffers returns the BatchNorm running statistics (saved in checkpoints).
func (u *UNet) Buffers() []*nn.Buffer {
	var bs []*nn.Buffer
	for _, bn := range u.batchNorms() {
		bs = append(bs, bn.Buffers()...)
	}
	return bs
}

// NumParams returns the number of trainable parameters.
func (u *UNet) NumParams() int { return u.Arena.NumParams() }

// Check returns an error unless x is (N, InChannels, H, W) with H and W
// positive multiples of 2^(Depth−1).
func (u *UNet) Check(shape []int) error {
	f := 1 << (u.Cfg.Depth - 1)
	if len(shape) != 4 || shape[0] < 1 || shape[1] != u.Cfg.InChannels || shape[2] <= 0 || shape[3] <= 0 || shape[2]%f != 0 || shape[3]%f != 0 {
		return fmt.Errorf("unet: input has shape %v, want (N, %d, H, W) with H and W positive multiples of %d", shape, u.Cfg.InChannels, f)
	}
	return nil
}

// Forward maps x (N, InChannels, H, W) to (N, OutChannels, H, W) in
// (−1, 1). rng draws the dropout masks in training mode (it may be nil in
// eval mode or without dropout). It returns an error if the shape does not
// fit; it panics if training with dropout and rng is nil.
func (u *UNet) Forward(x *autograd.Var, rng *rand.Rand) (*autograd.Var, error) {
	if err := u.Check(x.Shape()); err != nil {
		return nil, err
	}
	// The mode is passed to every BatchNorm, not written into it: Forward
	// writes no layer state, so concurrent eval-mode calls do not race.
	tr := u.Training
	if tr && rng == nil {
		for _, up := range u.ups {
			if up.Dropout > 0 {
				panic("flow: UNet.Forward: training with dropout needs an rng")
			}
		}
	}
	d := u.Cfg.Depth
	skips := []*autograd.Var{u.blocks[0].forward(x, tr)}
	for i := 1; i < d; i++ {
		skips = append(skips, u.blocks[i].forward(u.downs[i-1].forward(skips[i-1], tr), tr))
	}
	h := u.blocks[d].forward(skips[d-1], tr)
	for k, up := range u.ups {
		i := d - 2 - k
		y := up.BN.ForwardMode(up.Conv.Forward(autograd.LeakyReLU(h, 0.2)), tr)
		y = autograd.Dropout(y, up.Dropout, tr, rng)
		h = autograd.Concat(1, y, skips[i])
	}
	return autograd.Tanh(u.out.Forward(autograd.LeakyReLU(h, 0.2))), nil
}

// Summarize runs the network in its current mode on a batch without
// recording gradients and returns a new tensor (the condition of the flow);
// the activations live on a tape that later calls reuse.
func (u *UNet) Summarize(x *tensor.Tensor, rng *rand.Rand) (*tensor.Tensor, error) {
	tp := u.tapes.get()
	defer u.tapes.put(tp)
	y, err := u.Forward(tp.Const(x), rng)
	if err != nil {
		return nil, err
	}
	return y.Value.Clone(), nil
}
