package nn

import (
	"encoding/json"
	"fmt"
	"math"

	"genfwi/tensor"
)

// Optimizer updates an arena's parameters from its gradients.
type Optimizer interface {
	// Step applies one update with learning rate lr. It does not clear the
	// gradients.
	Step(a *Arena, lr float64)
	// State returns the optimiser's state tensors (moments, flat, in arena
	// layout) and scalar state as metadata, for SaveTrainState.
	State() (ts []Named, meta map[string]string)
	// SetState restores what State returned. It returns an error if the
	// tensors are missing or have the wrong size for n parameters.
	SetState(ts map[string]*tensor.Tensor, meta map[string]string, n int) error
}

// Named is a named tensor, the unit of checkpoint files.
type Named struct {
	Name string
	T    *tensor.Tensor
}

// SGD is stochastic gradient descent with optional momentum and L2 weight
// decay (PyTorch's SGD without dampening):
// g ← g + WeightDecay·p; b ← Momentum·b + g; p ← p - lr·(Nesterov ? g + Momentum·b : b).
type SGD struct {
	Momentum, WeightDecay float64
	Nesterov              bool
	buf                   []float32 // momentum buffer, arena layout
}

// Step applies one SGD update.
func (o *SGD) Step(a *Arena, lr float64) {
	if o.Momentum != 0 && len(o.buf) != len(a.Data) {
		o.buf = make([]float32, len(a.Data))
	}
	mom, wd, l := float32(o.Momentum), float32(o.WeightDecay), float32(lr)
	tensor.ParallelRange(len(a.Data), 1<<14, func(lo, hi int) {
		p, g := a.Data[lo:hi], a.Grad[lo:hi]
		for i := range p {
			d := g[i] + wd*p[i]
			if mom != 0 {
				b := mom*o.buf[lo+i] + d
				o.buf[lo+i] = b
				if o.Nesterov {
					d += mom * b
				} else {
					d = b
				}
			}
			p[i] -= l * d
		}
	})
}

// State returns the momentum buffer.
func (o *SGD) State() ([]Named, map[string]string) {
	if o.buf == nil {
		return nil, map[string]string{"optimizer": "sgd"}
	}
	return []Named{{"sgd.momentum", tensor.FromSlice(o.buf, len(o.buf))}}, map[string]string{"optimizer": "sgd"}
}

// SetState restores the momentum buffer.
func (o *SGD) SetState(ts map[string]*tensor.Tensor, meta map[string]string, n int) error {
	if meta["optimizer"] != "sgd" {
		return fmt.Errorf("training state is for optimizer %q, not sgd", meta["optimizer"])
	}
	o.buf = nil
	if t, ok := ts["sgd.momentum"]; ok {
		if len(t.Data) != n {
			return fmt.Errorf("sgd.momentum has %d elements, model has %d parameters", len(t.Data), n)
		}
		o.buf = append([]float32(nil), t.Data...)
	}
	return nil
}

// Adam is Adam (Kingma & Ba) as PyTorch implements it, or AdamW when
// Decoupled is set:
//
//	AdamW: p ← p·(1 - lr·WeightDecay);  Adam: g ← g + WeightDecay·p
//	m ← β1·m + (1-β1)·g;  v ← β2·v + (1-β2)·g²
//	p ← p - lr/(1-β1^t) · m / (√v/√(1-β2^t) + Eps)
//
// Use NewAdam or NewAdamW for PyTorch's defaults.
type Adam struct {
	Beta1, Beta2, Eps, WeightDecay float64
	Decoupled                      bool
	// T is the number of steps taken (the bias-correction exponent).
	T    int
	m, v []float32
}

// NewAdam returns Adam with β = (0.9, 0.999), eps 1e-8, no weight decay.
func NewAdam() *Adam { return &Adam{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

// NewAdamW returns AdamW with β = (0.9, 0.999), eps 1e-8 and weight decay
// 0.01 (PyTorch's defaults).
func NewAdamW() *Adam {
	return &Adam{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Decoupled: true}
}

// Step applies one Adam update.
func (o *Adam) Step(a *Arena, lr float64) {
	if len(o.m) != len(a.Data) {
		o.m, o.v = make([]float32, len(a.Data)), make([]float32, len(a.Data))
	}
	o.T++
	bc1 := 1 - math.Pow(o.Beta1, float64(o.T))
	bc2 := 1 - math.Pow(o.Beta2, float64(o.T))
	step := float32(lr / bc1)
	isq := float32(1 / math.Sqrt(bc2))
	b1, b2, eps := float32(o.Beta1), float32(o.Beta2), float32(o.Eps)
	decay := float32(1 - lr*o.WeightDecay)
	wd := float32(o.WeightDecay)
	tensor.ParallelRange(len(a.Data), 1<<14, func(lo, hi int) {
		p, g, m, v := a.Data[lo:hi], a.Grad[lo:hi], o.m[lo:hi], o.v[lo:hi]
		for i := range p {
			gi := g[i]
			if o.Decoupled {
				p[i] *= decay
			} else if wd != 0 {
				gi += wd * p[i]
			}
			m[i] = b1*m[i] + (1-b1)*gi
			v[i] = b2*v[i] + (1-b2)*gi*gi
			p[i] -= step * m[i] / (float32(math.Sqrt(float64(v[i])))*isq + eps)
		}
	})
}

type adamMeta struct {
	Beta1, Beta2, Eps, WeightDecay float64
	Decoupled                      bool
	T                              int
}

// State returns the moments m, v and the step count.
func (o *Adam) State() ([]Named, map[string]string) {
	b, _ := json.Marshal(adamMeta{o.Beta1, o.Beta2, o.Eps, o.WeightDecay, o.Decoupled, o.T})
	meta := map[string]string{"optimizer": "adam", "adam": string(b)}
	if o.m == nil {
		return nil, meta
	}
	return []Named{{"adam.m", tensor.FromSlice(o.m, len(o.m))}, {"adam.v", tensor.FromSlice(o.v, len(o.v))}}, meta
}

// SetState restores the moments and step count; the hyper-parameters must
// match the saved ones.
func (o *Adam) SetState(ts map[string]*tensor.Tensor, meta map[string]string, n int) error {
	if meta["optimizer"] != "adam" {
		return fmt.Errorf("training state is for optimizer %q, not adam", meta["optimizer"])
	}
	var am adamMeta
	if err := json.Unmarshal([]byte(meta["adam"]), &am); err != nil {
		return fmt.Errorf("adam state metadata: %w", err)
	}
	if am.Beta1 != o.Beta1 || am.Beta2 != o.Beta2 || am.Eps != o.Eps || am.WeightDecay != o.WeightDecay || am.Decoupled != o.Decoupled {
		return fmt.Errorf("adam hyper-parameters in the training state %+v differ from the configured ones", am)
	}
	o.T = am.T
	m, okm := ts["adam.m"]
	v, okv := ts["adam.v"]
	if !okm || !okv {
		if am.T != 0 {
			return fmt.Errorf("adam state at step %d lacks adam.m/adam.v", am.T)
		}
		o.m, o.v = nil, nil
		return nil
	}
	if len(m.Data) != n || len(v.Data) != n {
		return fmt.Errorf("adam moments have %d/%d elements, model has %d parameters", len(m.Data), len(v.Data), n)
	}
	o.m, o.v = append([]float32(nil), m.Data...), append([]float32(nil), v.Data...)
	return nil
}

// Compile-time interface checks.
var (
	_ Optimizer = (*SGD)(nil)
	_ Optimizer = (*Adam)(nil)
)

// Schedule maps a 0-based step number to a learning rate.
type Schedule interface {
	LR(step int) float64
}

// Constant is a fixed learning rate.
type Constant float64

// LR returns the constant.
func (c Constant) LR(int) float64 { return float64(c) }

// Warmup scales Then's rate linearly from Start·Then.LR(step) at step 0 to
// the full rate at step Steps, then passes it through unchanged
// (LDM's LambdaLinearScheduler with f_start = Start).
type Warmup struct {
	Steps int
	Start float64
	Then  Schedule
}

// LR returns the warmed-up rate.
func (w Warmup) LR(step int) float64 {
	r := w.Then.LR(step)
	if step >= w.Steps || w.Steps <= 0 {
		return r
	}
	f := w.Start + (1-w.Start)*float64(step)/float64(w.Steps)
	return r * f
}

// Cosine anneals from Base to Min over Steps steps:
// lr = Min + (Base-Min)·(1+cos(π·min(step,Steps)/Steps))/2.
type Cosine struct {
	Base, Min float64
	Steps     int
}

// LR returns the annealed rate.
func (c Cosine) LR(step int) float64 {
	if c.Steps <= 0 {
		return c.Base
	}
	s := math.Min(float64(step), float64(c.Steps))
	return c.Min + (c.Base-c.Min)*(1+math.Cos(math.Pi*s/float64(c.Steps)))/2
}

// StepDecay multiplies Base by Gamma every Every steps:
// lr = Base·Gamma^⌊step/Every⌋.
type StepDecay struct {
	Base, Gamma float64
	Every       int
}

// LR returns the decayed rate.
func (s StepDecay) LR(step int) float64 {
	if s.Every <= 0 {
		return s.Base
	}
	return s.Base * math.Pow(s.Gamma, float64(step/s.Every))
}

// EMA keeps an exponential moving average of an arena's weights as
// latent-diffusion's LitEma does: Update first increments N, the number of
// updates (LitEma's num_updates), then computes the decay
//
//	d = Decay                       without Warmup
//	d = min(Decay, (1+N)/(10+N))    with Warmup (first update: 2/11)
//
// and folds the weights in, shadow ← d·shadow + (1−d)·p in float32 (LitEma
// writes shadow − (1−d)·(shadow − p), equal up to rounding). Training
// states written before nn.EMA counted this way store the older counter as
// "ema_n"; LoadTrainState converts it so that they resume exactly.
type EMA struct {
	Decay  float64
	Warmup bool
	// N is the number of updates made (LitEma's num_updates).
	N      int
	Shadow []float32
}

// NewEMA starts an average at the arena's current weights, with N = 0.
func NewEMA(a *Arena, decay float64, warmup bool) *EMA {
	return &EMA{Decay: decay, Warmup: warmup, Shadow: append([]float32(nil), a.Data...)}
}

// NextDecay returns the decay the next Update will use.
func (e *EMA) NextDecay() float64 {
	if !e.Warmup {
		return e.Decay
	}
	n := float64(e.N + 1)
	return math.Min(e.Decay, (1+n)/(10+n))
}

// Update folds the current weights into the average.
func (e *EMA) Update(a *Arena) {
	if len(e.Shadow) != len(a.Data) {
		panic(fmt.Sprintf("nn: EMA of %d weights updated from an arena of %d", len(e.Shadow), len(a.Data)))
	}
	d := e.NextDecay()
	e.N++
	d32, c := float32(d), float32(1-d)
	for i, p := range a.Data {
		e.Shadow[i] = d32*e.Shadow[i] + c*p
	}
}

// Swap exchanges the arena's weights with the average (call twice to
// restore), e.g. to evaluate or sample with EMA weights.
func (e *EMA) Swap(a *Arena) {
	for i := range a.Data {
		a.Data[i], e.Shadow[i] = e.Shadow[i], a.Data[i]
	}
}
