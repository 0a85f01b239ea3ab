package diffusion

import (
	"fmt"
	"math"
	"math/rand/v2"

	"genfwi/autograd"
	"genfwi/internal/jsonconfig"
	"genfwi/models/preset"
	"genfwi/nn"
	"genfwi/tensor"
)

// TrainConfig holds the training hyper-parameters that travel with a preset.
// The model never reads it; the training command does.
type TrainConfig struct {
	// LR is the peak learning rate actually used (LDM: base_lr × batch ×
	// GPUs with scale_lr on; the paper's base is 5e-5).
	LR float64 `json:"lr"`
	// Beta1, Beta2, WeightDecay configure AdamW.
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`
	WeightDecay float64 `json:"weight_decay"`
	// BatchSize is the number of latents per step; Steps the run length.
	BatchSize int `json:"batch_size"`
	Steps     int `json:"steps"`
	// WarmupSteps and WarmupStart: LambdaLinearScheduler, the rate factor
	// goes linearly from WarmupStart to 1 over WarmupSteps (paper 10000, 1e-6).
	WarmupSteps int     `json:"warmup_steps"`
	WarmupStart float64 `json:"warmup_start"`
	// EMADecay is the EMA's maximum decay (LitEma: 0.9999) with the warm-up
	// min(EMADecay, (1+n)/(10+n)).
	EMADecay float64 `json:"ema_decay"`
	// GradClip is the global-norm clipping threshold (0 = none).
	GradClip float64 `json:"grad_clip"`
}

// Config describes a latent diffusion model. It is stored as JSON in
// checkpoint metadata and in configs/diffusion-<name>.json.
type Config struct {
	Name     string         `json:"name"`
	Schedule ScheduleConfig `json:"schedule"`
	UNet     UNetConfig     `json:"unet"`
	// Loss is "l1" (paper) or "l2" (mean squared); "" means l1.
	Loss string `json:"loss"`
	// ScaleByStd: the training command sets Model.ScaleFactor = 1/std of the
	// latents of the training set (LDM scale_by_std); otherwise 1.
	ScaleByStd bool `json:"scale_by_std"`
	// EpsSkip makes the model predict ε̂ = UNet(z_t, t) + √(1−ᾱ_t)·z_t:
	// the UNet learns the residual from the ε-predictor that is optimal when
	// the (unit-variance) latents are Gaussian. Training still minimises the
	// ε loss of Loss, so only the parametrisation changes, as EDM's c_skip
	// does for its denoiser. Without it, a UNet whose top level has no more
	// channels than the latent (the cpu preset: 32 and 32) cannot pass z_t
	// through accurately: its ε error at t = 999 stayed at 0.07 (L1) where
	// the Gaussian predictor scores 0.018, the error is amplified 38× in ẑ0,
	// and ancestral samples drifted to three times the latents' scale (see
	// docs/wavediffusion.md).
	EpsSkip bool `json:"eps_skip,omitempty"`
	// Seed seeds the weight initialisation.
	Seed  uint64      `json:"seed"`
	Train TrainConfig `json:"train"`
}

// Validate checks the config.
func (c *Config) Validate() error {
	if err := c.Schedule.Validate(); err != nil {
		return fmt.Errorf("diffusion config: %w", err)
	}
	if err := c.UNet.Validate(); err != nil {
		return fmt.Errorf("diffusion config: %w", err)
	}
	if c.Loss != "" && c.Loss != "l1" && c.Loss != "l2" {
		return fmt.Errorf("diffusion config: loss must be l1 or l2, got %q", c.Loss)
	}
	return nil
}

// LoadConfig reads and validates a JSON config file; unknown fields are
// errors.
func LoadConfig(path string) (*Config, error) {
	return preset.ReadFile[Config](path, "diffusion")
}

// ParseConfig decodes and validates a JSON config; name labels errors.
func ParseConfig(b []byte, name string) (*Config, error) {
	return jsonconfig.Parse[Config](b, "diffusion", name)
}

// Model is a latent DDPM: schedule, ε-predicting UNet and the latent scale.
//
// Every public method works in the autoencoder's latent space h (what
// vqae.Model.Encode returns and Decode reads): internally z = ScaleFactor·h,
// and results are divided by ScaleFactor again.
type Model struct {
	Cfg   Config
	Sched *Schedule
	UNet  *UNet
	// Arena holds the UNet's parameters.
	Arena *nn.Arena
	// ScaleFactor multiplies latents before diffusion (1/std of the training
	// latents when Cfg.ScaleByStd; 1 otherwise). Saved in checkpoints.
	ScaleFactor float64
}

// New validates c and builds the model, weights drawn from a PCG seeded by
// c.Seed; ScaleFactor starts at 1.
func New(c Config) (*Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	s, err := NewSchedule(c.Schedule)
	if err != nil {
		return nil, err
	}
	u, err := NewUNet(c.UNet, rand.New(rand.NewPCG(c.Seed, 0x51ed270b27d3a4c5)))
	if err != nil {
		return nil, err
	}
	return &Model{Cfg: c, Sched: s, UNet: u, Arena: nn.NewArena(u.Params()), ScaleFactor: 1}, nil
}

// Params returns the trainable parameters in arena order.
func (m *Model) Params() []*nn.Param { return m.Arena.Params }

// NumParams returns the number of scalar parameters.
func (m *Model) NumParams() int { return m.Arena.NumParams() }

// NewEMA starts LDM's LitEma on the model's weights: at the n-th update
// (n = 1, 2, …) shadow ← d·shadow + (1−d)·θ with d = min(Cfg.Train.EMADecay
// (0 → 0.9999), (1+n)/(10+n)); nn.EMA counts updates as LitEma does, and
// its N is the number of updates made.
func (m *Model) NewEMA() *nn.EMA {
	d := m.Cfg.Train.EMADecay
	if d == 0 {
		d = 0.9999
	}
	return nn.NewEMA(m.Arena, d, true)
}

// ScaleFactorFor returns 1/std(h) over all elements of h (float64
// accumulation), LDM's scale_by_std rule computed on a batch of latents.
// It returns 1 for an empty or constant h.
func ScaleFactorFor(h *tensor.Tensor) float64 {
	n := float64(len(h.Data))
	if n < 2 {
		return 1
	}
	var s, s2 float64
	for _, v := range h.Data {
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	mean := s / n
	v := (s2 - n*mean*mean) / (n - 1) // unbiased, like torch.std
	if v <= 0 {
		return 1
	}
	return 1 / math.Sqrt(v)
}

func scaled(h *tensor.Tensor, f float64) *tensor.Tensor {
	out := tensor.New(h.Shape...)
	for i, v := range h.Data {
		out.Data[i] = float32(f * float64(v))
	}
	return out
}

// LossInfo reports one Loss evaluation.
type LossInfo struct {
	Loss float64 `json:"loss"`
	// T are the sampled timesteps.
	T []int `json:"-"`
}

// Loss returns LDM's p_losses for a batch of latents h (N, D, H, W): with
// t ~ U{0..T−1} and ε ~ N(0, I) per sample drawn from rng, z0 = s·h,
// z_t = √ᾱ_t z0 + √(1−ᾱ_t) ε, loss = mean|ε_θ(z_t, t) − ε| (or the mean
// square for "l2"), as a one-element Var on tp. It allocates the noised
// batch on the heap.
func (m *Model) Loss(tp *autograd.Tape, h *tensor.Tensor, rng *rand.Rand) (*autograd.Var, LossInfo) {
	n := h.Shape[0]
	t := make([]int, n)
	for i := range t {
		t[i] = rng.IntN(m.Sched.T)
	}
	return m.LossAt(tp, h, t, tensor.Randn(rng, 1, h.Shape...))
}

// LossAt is Loss with given timesteps t (one per sample) and noise eps
// (shape of h).
func (m *Model) LossAt(tp *autograd.Tape, h *tensor.Tensor, t []int, eps *tensor.Tensor) (*autograd.Var, LossInfo) {
	z := scaled(h, m.ScaleFactor)
	m.Sched.QSample(z, z, eps, t)
	pred := m.UNet.Forward(tp, tp.Const(z), t)
	if m.Cfg.EpsSkip {
		pred = autograd.Add(pred, tp.Const(m.epsSkip(z, t)))
	}
	target := tp.Const(eps)
	var l *autograd.Var
	if m.Cfg.Loss == "l2" {
		l = autograd.MSE(pred, target)
	} else {
		l = autograd.L1(pred, target)
	}
	return l, LossInfo{Loss: float64(l.Item()), T: t}
}

// PredictEps returns ε_θ(z, t) for a batch of scaled latents z (N, D, H,
// W) with all samples at the same timestep t, without recording gradients.
// It resets tp before and after (tp's NoGrad setting is restored) and
// allocates the result.
func (m *Model) PredictEps(tp *autograd.Tape, z *tensor.Tensor, t int) *tensor.Tensor {
	tp.Reset()
	defer func(ng bool) { tp.NoGrad = ng }(tp.NoGrad)
	tp.NoGrad = true
	ts := make([]int, z.Shape[0])
	for i := range ts {
		ts[i] = t
	}
	out := m.UNet.Forward(tp, tp.Const(z), ts).Value.Clone()
	tp.Reset()
	if m.Cfg.EpsSkip {
		for j, v := range m.epsSkip(z, ts).Data {
			out.Data[j] += v
		}
	}
	return out
}

// epsSkip returns √(1−ᾱ_{t_i})·z_i for every sample i of the scaled latent
// batch z (N, D, H, W): the skip term of Config.EpsSkip.
func (m *Model) epsSkip(z *tensor.Tensor, t []int) *tensor.Tensor {
	out := tensor.New(z.Shape...)
	per := len(z.Data) / z.Shape[0]
	for i, ti := range t {
		c := float32(m.Sched.SqrtOneMinusAlphasCumprod[ti])
		for j := i * per; j < (i+1)*per; j++ {
			out.Data[j] = c * z.Data[j]
		}
	}
	return out
}

// QSample returns q(h_t | h_0) in the latent space h: (√ᾱ_t·s·h0 +
// √(1−ᾱ_t)·ε)/s for every sample at timestep t, with ε (shape of h0) given.
// It allocates the result.
func (m *Model) QSample(h0 *tensor.Tensor, t int, eps *tensor.Tensor) *tensor.Tensor {
	z := scaled(h0, m.ScaleFactor)
	ts := make([]int, h0.Shape[0])
	for i := range ts {
		ts[i] = t
	}
	m.Sched.QSample(z, z, eps, ts)
	return scaled(z, 1/m.ScaleFactor)
}
