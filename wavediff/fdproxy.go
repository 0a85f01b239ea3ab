package wavediff

import (
	"context"
	"encoding/json"
	"fmt"
	"gonum.org/v1/gonum/mat"
	"math"
	"math/rand/v2"

	"genfwi/autograd"
	"genfwi/metrics"
	"genfwi/nn"
	"genfwi/tensor"
)

// ProxyFeatures is the length of an FD-proxy feature vector per modality.
const ProxyFeatures = 64

// proxyAE is a small convolutional autoencoder over 64×64 inputs whose
// bottleneck (4×8×8) gives the FD-proxy features. The seismic branch first
// averages the 256 time samples in groups of 4 (5×256×64 → 5×64×64; the
// 15.6 ms step still resolves the 15 Hz wavelet's band below 32 Hz) and
// reconstructs that pooled input.
type proxyAE struct {
	pool                   int // time pooling factor of the input
	in, d1, d2, d3, toZ    *nn.Conv2d
	gn1, gn2, gn3, gnZ     *nn.GroupNorm
	fromZ, u1, u2, u3, out *nn.Conv2d
	gnU1, gnU2, gnU3       *nn.GroupNorm
}

func newProxyAE(name string, rng *rand.Rand, ch, pool int) *proxyAE {
	c3 := func(n string, cin, cout, stride int) *nn.Conv2d {
		return nn.NewConv2d(name+"."+n, rng, cin, cout, 3, 3, autograd.Conv2dOpts{Stride: [2]int{stride, stride}, Pad: autograd.PadAll(1)}, true)
	}
	gn := func(n string, c int) *nn.GroupNorm { return nn.NewGroupNorm(name+"."+n, 8, c, 1e-5) }
	return &proxyAE{pool: pool,
		in: c3("enc_in", ch, 16, 1), gn1: gn("enc1.norm", 16), d1: c3("enc1.conv", 16, 32, 2),
		gn2: gn("enc2.norm", 32), d2: c3("enc2.conv", 32, 32, 2), gn3: gn("enc3.norm", 32), d3: c3("enc3.conv", 32, 32, 2),
		gnZ: gn("to_z.norm", 32), toZ: nn.NewConv2d(name+".to_z", rng, 32, 4, 1, 1, autograd.Conv2dOpts{}, true),
		fromZ: c3("from_z", 4, 32, 1), gnU1: gn("up1.norm", 32), u1: c3("up1.conv", 32, 32, 1),
		gnU2: gn("up2.norm", 32), u2: c3("up2.conv", 32, 16, 1), gnU3: gn("up3.norm", 16), u3: c3("up3.conv", 16, 16, 1),
		out: c3("out", 16, ch, 1)}
}

func (m *proxyAE) Params() []*nn.Param {
	return nn.Collect(m.in, m.gn1, m.d1, m.gn2, m.d2, m.gn3, m.d3, m.gnZ, m.toZ, m.fromZ, m.gnU1, m.u1, m.gnU2, m.u2, m.gnU3, m.u3, m.out)
}

// input applies the time pooling.
func (m *proxyAE) input(x *autograd.Var) *autograd.Var {
	if m.pool > 1 {
		return autograd.AvgPool2d(x, [2]int{m.pool, 1}, [2]int{m.pool, 1})
	}
	return x
}

func (m *proxyAE) encode(x *autograd.Var) *autograd.Var {
	s := autograd.SiLU
	h := m.in.Forward(x)
	h = m.d1.Forward(s(m.gn1.Forward(h)))
	h = m.d2.Forward(s(m.gn2.Forward(h)))
	h = m.d3.Forward(s(m.gn3.Forward(h)))
	return m.toZ.Forward(s(m.gnZ.Forward(h)))
}

func (m *proxyAE) decode(z *autograd.Var) *autograd.Var {
	s := autograd.SiLU
	h := m.fromZ.Forward(z)
	h = m.u1.Forward(nn.Upsample2x(s(m.gnU1.Forward(h))))
	h = m.u2.Forward(nn.Upsample2x(s(m.gnU2.Forward(h))))
	h = m.u3.Forward(nn.Upsample2x(s(m.gnU3.Forward(h))))
	return m.out.Forward(h)
}

// features maps x to (B, 64): the bottleneck average-pooled 2×2.
func (m *proxyAE) features(x *autograd.Var) *autograd.Var {
	z := m.encode(m.input(x))
	f := autograd.AvgPool2d(z, [2]int{2, 2}, [2]int{2, 2})
	return autograd.Reshape(f, f.Shape()[0], ProxyFeatures)
}

// ProxyConfig configures ProxyNet training.
type ProxyConfig struct {
	Steps int     `json:"steps"`
	Batch int     `json:"batch"`
	LR    float64 `json:"lr"`
	Seed  uint64  `json:"seed"`
}

// ProxyNet is the fixed feature network of the FD-proxy: one autoencoder per
// modality (velocity 1×64×64, seismic 5×256×64 pooled to 5×64×64), trained
// with an L1 reconstruction loss on training pairs, frozen afterwards. The
// features of a sample are its 4×8×8 bottleneck averaged over 2×2 blocks
// (64 values).
type ProxyNet struct {
	Config ProxyConfig
	Vel    *proxyAE
	Seis   *proxyAE
	arena  *nn.Arena
}

// NewProxyNet builds an untrained ProxyNet initialised from cfg.Seed.
func NewProxyNet(cfg ProxyConfig) *ProxyNet {
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x70786e))
	p := &ProxyNet{Config: cfg, Vel: newProxyAE("vel", rng, 1, 1), Seis: newProxyAE("seis", rng, Shots, 4)}
	p.arena = nn.NewArena(nn.Collect(p.Vel, p.Seis))
	return p
}

// NumParams returns the number of trainable parameters.
func (p *ProxyNet) NumParams() int { return p.arena.NumParams() }

// Train fits both autoencoders on pairs for cfg.Steps Adam steps (batches
// from a Batcher seeded with cfg.Seed, cosine learning rate), calling onStep
// after each step with the two L1 losses. It checks ctx once per step.
func (p *ProxyNet) Train(ctx context.Context, pairs *Pairs, onStep func(step int, lv, ls float64)) error {
	cfg := p.Config
	if cfg.Steps < 1 || cfg.Batch < 1 || cfg.LR <= 0 {
		return fmt.Errorf("wavediff: FD-proxy training needs steps, batch and lr > 0, got %+v", cfg)
	}
	if g := pairs.Codec.G(); g.Name != "resized64" {
		return fmt.Errorf("wavediff: the FD-proxy network reads resized64 pairs, got %s (convert with Regrid)", g.Name)
	}
	b := NewBatcher(pairs.N, cfg.Batch, cfg.Seed)
	opt := nn.NewAdam()
	sched := nn.Cosine{Base: cfg.LR, Min: cfg.LR / 20, Steps: cfg.Steps}
	vel := tensor.New(cfg.Batch, 1, VelH, VelW)
	seis := tensor.New(cfg.Batch, Shots, SeisT, SeisR)
	tp := autograd.NewTape()
	var idx []int
	for step := 0; step < cfg.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		idx = b.Indices(step, idx)
		pairs.Batch(idx, vel.Data, seis.Data)
		tp.Reset()
		p.arena.ZeroGrad()
		lv, ls := p.lossBackward(tp, vel, seis)
		nn.ClipGlobalNorm(p.arena, 1)
		opt.Step(p.arena, sched.LR(step))
		if onStep != nil {
			onStep(step, lv, ls)
		}
	}
	return nil
}

// lossBackward records the two L1 reconstruction losses of one batch on tp
// (reset, gradients zeroed), back-propagates their sum and returns them.
func (p *ProxyNet) lossBackward(tp *autograd.Tape, vel, seis *tensor.Tensor) (lv, ls float64) {
	xv := tp.Const(vel)
	v := autograd.L1(p.Vel.decode(p.Vel.encode(xv)), xv)
	xs := p.Seis.input(tp.Const(seis))
	s := autograd.L1(p.Seis.decode(p.Seis.encode(xs)), xs)
	autograd.Backward(autograd.Add(v, s))
	return float64(v.Item()), float64(s.Item())
}

// proxyNetwork names the network in its checkpoints' metadata.
const proxyNetwork = "genfwi FD-proxy autoencoders v1"

// Save writes the network to path (safetensors, atomically) with its config.
func (p *ProxyNet) Save(path string) error {
	return nn.SaveModel(path, p.arena, nil, p.Config, map[string]string{"network": proxyNetwork})
}

// LoadProxyNet reads a network written by Save.
func LoadProxyNet(path string) (*ProxyNet, error) {
	orig := path
	path, done, err := materialize(orig)
	if err != nil {
		return nil, fmt.Errorf("reading FD-proxy network %s: %w", orig, err)
	}
	defer done()
	_, meta, err := nn.ReadSafetensors(path)
	if err != nil {
		return nil, fmt.Errorf("reading FD-proxy network %s: %w", path, err)
	}
	var cfg ProxyConfig
	if err := json.Unmarshal([]byte(meta["config"]), &cfg); err != nil {
		return nil, fmt.Errorf("reading FD-proxy network %s: config: %w", path, err)
	}
	p := NewProxyNet(cfg)
	if _, err := nn.LoadModel(path, p.arena, nil); err != nil {
		return nil, fmt.Errorf("reading FD-proxy network %s: %w", path, err)
	}
	return p, nil
}

// Features returns the FD-proxy features of n samples at the resized64
// model resolution (the network's own, whatever geometry generated them;
// Regrid converts) as an n×64 matrix: vel (n×VelLen) for modality
// "velocity", seis (n×SeisLen) for "seismic". It runs without gradients in
// chunks of 32 samples.
func (p *ProxyNet) Features(ctx context.Context, modality string, x []float32) (*mat.Dense, error) {
	var m *proxyAE
	var per int
	var shape []int
	switch modality {
	case "velocity":
		m, per, shape = p.Vel, VelLen, []int{1, VelH, VelW}
	case "seismic":
		m, per, shape = p.Seis, SeisLen, []int{Shots, SeisT, SeisR}
	default:
		panic("wavediff: Features: modality must be velocity or seismic")
	}
	n := len(x) / per
	out := mat.NewDense(max(n, 1), ProxyFeatures, nil)
	tp := autograd.NewTape()
	tp.NoGrad = true
	for lo := 0; lo < n; lo += 32 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(n, lo+32)
		t := tensor.FromSlice(x[lo*per:hi*per], append([]int{hi - lo}, shape...)...)
		tp.Reset()
		f := m.features(tp.Const(t)).Value.Data
		for i := lo; i < hi; i++ {
			for j := 0; j < ProxyFeatures; j++ {
				out.Set(i, j, float64(f[(i-lo)*ProxyFeatures+j]))
			}
		}
	}
	return out, nil
}

// FDProxy returns the Fréchet distance between the Gaussian fits of the
// features of two sample sets of one modality (model resolution).
func (p *ProxyNet) FDProxy(ctx context.Context, modality string, a, b []float32) (float64, error) {
	fa, err := p.Features(ctx, modality, a)
	if err != nil {
		return 0, err
	}
	fb, err := p.Features(ctx, modality, b)
	if err != nil {
		return 0, err
	}
	ga, err := metrics.FitGaussian(fa)
	if err != nil {
		return 0, fmt.Errorf("FD-proxy %s: %w", modality, err)
	}
	gb, err := metrics.FitGaussian(fb)
	if err != nil {
		return 0, fmt.Errorf("FD-proxy %s: %w", modality, err)
	}
	return metrics.FrechetDistance(ga, gb)
}

// TrainProxy trains an FD-proxy network on pairs in the run directory o.Out
// with the resumable training loop of the other models (ProxyNet.Train's
// steps: Adam, cosine learning rate, gradient clipping at 1): checkpoints
// every o.CheckpointEvery steps, o.StopAfter, resuming from the latest
// checkpoint, loss.csv; at the end o.Out/model.safetensors and train.json.
// o.Steps (0 = cfg.Steps) is the run's length; batches follow o.Seed and the
// initial weights cfg.Seed.
func TrainProxy(ctx context.Context, cfg ProxyConfig, pairs *Pairs, o TrainOptions) (*TrainSummary, error) {
	if o.Steps > 0 {
		cfg.Steps = o.Steps
	}
	if cfg.Steps < 1 || cfg.Batch < 1 || cfg.LR <= 0 {
		return nil, fmt.Errorf("wavediff: FD-proxy training needs steps, batch and lr > 0, got %+v", cfg)
	}
	if g := pairs.Codec.G(); g.Name != "resized64" {
		return nil, fmt.Errorf("wavediff: the FD-proxy network trains on resized64 pairs, got %s", g.Name)
	}
	p := NewProxyNet(cfg)
	sched := nn.Cosine{Base: cfg.LR, Min: cfg.LR / 20, Steps: cfg.Steps}
	vel := tensor.New(cfg.Batch, 1, VelH, VelW)
	seis := tensor.New(cfg.Batch, Shots, SeisT, SeisR)
	job := &trainJob{
		kind: "fd-proxy", pairs: pairs.N, batch: cfg.Batch, steps: cfg.Steps,
		arena: p.arena, opt: nn.NewAdam(), clip: 1, tape: autograd.NewTape(),
		lr: sched.LR,
		stepFn: func(tp *autograd.Tape, step int, idx []int) (float64, map[string]float64, error) {
			pairs.Batch(idx, vel.Data, seis.Data)
			lv, ls := p.lossBackward(tp, vel, seis)
			if l := lv + ls; math.IsNaN(l) || math.IsInf(l, 0) {
				return 0, nil, fmt.Errorf("loss is %g", l)
			}
			return lv + ls, map[string]float64{"l1_vel": lv, "l1_seis": ls}, nil
		},
		save: func(path string, extra map[string]string) error {
			extra["network"] = proxyNetwork
			return nn.SaveModel(path, p.arena, nil, p.Config, extra)
		},
		load: func(path string) error { return loadSameConfig(path, p.Config, p.arena) },
	}
	sum := &TrainSummary{Extra: map[string]any{"features_per_modality": ProxyFeatures, "network": "conv AE per modality, 4×8×8 bottleneck pooled 2×2"}}
	o.Steps = cfg.Steps
	if err := runTraining(ctx, o, job, sum); err != nil {
		return nil, err
	}
	return sum, nil
}
