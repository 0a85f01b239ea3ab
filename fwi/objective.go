package fwi

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"genfwi/wave"
)

// Param selects the model parameter in which gradients are expressed and in
// which the optimisers take their steps.
type Param int

const (
	// Velocity optimises v in m/s directly.
	Velocity Param = iota
	// SquaredSlowness optimises m = 1/v² (s²/m²), the parameter of the wave
	// equation m ∂²u/∂t² − Δu = q, in which the data are "more linear".
	SquaredSlowness
)

// String returns "velocity" or "slowness2".
func (p Param) String() string {
	if p == SquaredSlowness {
		return "slowness2"
	}
	return "velocity"
}

// ParseParam converts "velocity" or "slowness2" to a Param.
func ParseParam(s string) (Param, error) {
	switch s {
	case "velocity", "v":
		return Velocity, nil
	case "slowness2", "m", "squared-slowness":
		return SquaredSlowness, nil
	}
	return 0, fmt.Errorf("fwi: parameterisation must be velocity or slowness2, got %q", s)
}

// Objective is the FWI objective for one simulator (one frequency band):
//
//	J(v) = ½ Σ_{s ∈ shots} ‖W (F_s(v) − d_s)‖² + R(v)
//
// with F_s the wave simulator's shot s, d the observed data Obs
// ([shot][t][receiver], all shots of Sim) and R the optional regulariser.
// Its methods are safe for concurrent use.
type Objective struct {
	Sim *wave.Simulator
	Obs []float32   // observed data, len Sim.DataLen(Sim.NumShots())
	Reg Regularizer // nil = none
	// Weight, if set, makes the misfit ½ Σ_s ‖W (F_s(v) − d_s)‖² with W a
	// symmetric linear operator on one shot's traces ([time][receiver]),
	// applied in place (frequency continuation: a zero-phase low-pass,
	// LowPassWeight). nil means W = I.
	Weight func(r []float32)

	solves atomic.Int64
}

// LowPassWeight returns a misfit weight for Objective.Weight: every trace of
// a shot ([time][receiver], nt samples, nrec receivers) low-passed with
// wave.SymmetricLowPass (Butterworth of the given order run forward and
// backward without padding, cut-off fc Hz), which is its own transpose. It
// returns an error for a bad cut-off or order.
func LowPassWeight(nt, nrec int, dt, fc float64, order int) (func(r []float32), error) {
	probe := make([]float64, 1)
	if err := wave.SymmetricLowPass(probe, probe, dt, fc, order); err != nil {
		return nil, err
	}
	return func(r []float32) {
		tr := make([]float64, nt)
		for i := 0; i < nrec; i++ {
			for t := range tr {
				tr[t] = float64(r[t*nrec+i])
			}
			_ = wave.SymmetricLowPass(tr, tr, dt, fc, order) // checked above
			for t := range tr {
				r[t*nrec+i] = float32(tr[t])
			}
		}
	}, nil
}

// NewObjective checks the data length and returns an Objective.
func NewObjective(sim *wave.Simulator, obs []float32, reg Regularizer) (*Objective, error) {
	if want := sim.DataLen(sim.NumShots()); len(obs) != want {
		return nil, fmt.Errorf("fwi: observed data have %d values, the survey needs %d (shots·nt·receivers)", len(obs), want)
	}
	return &Objective{Sim: sim, Obs: obs, Reg: reg}, nil
}

// Eval returns J(v) for the selected shots (nil = all) and writes ∂J/∂v
// (per m/s, nz×nx) to grad, overwriting it. Each shot costs two PDE solves
// (forward and adjoint), counted by Solves. The wave simulator's own workers
// share the shots. It returns an error for a bad model or on cancellation.
func (o *Objective) Eval(ctx context.Context, v []float32, shots []int, grad []float32) (float64, error) {
	var j float64
	var err error
	if o.Weight == nil {
		j, err = o.Sim.Gradient(ctx, v, o.Obs, shots, grad)
	} else {
		per := o.Sim.DataLen(1)
		j, err = o.Sim.GradientMisfit(ctx, v, shots, func(shot int, d []float32) float64 {
			obs := o.Obs[shot*per : (shot+1)*per]
			for i := range d {
				d[i] -= obs[i]
			}
			o.Weight(d) // W r
			var js float64
			for _, x := range d {
				js += 0.5 * float64(x) * float64(x)
			}
			o.Weight(d) // adjoint source Wᵀ W r = W W r
			return js
		}, grad)
	}
	if err != nil {
		return 0, err
	}
	n := len(shots)
	if shots == nil {
		n = o.Sim.NumShots()
	}
	o.solves.Add(2 * int64(n))
	if o.Reg != nil {
		g := o.Sim.Grid()
		j += o.Reg.Add(v, g.Nz, g.Nx, grad)
	}
	return j, nil
}

// EvalParam is Eval with the gradient expressed in the parameter p:
// ∂J/∂v (per m/s) for Velocity, ∂J/∂m = ∂J/∂v·(−v³/2) (per s²/m²) for
// SquaredSlowness, m = 1/v².
func (o *Objective) EvalParam(ctx context.Context, v []float32, shots []int, p Param, grad []float32) (float64, error) {
	j, err := o.Eval(ctx, v, shots, grad)
	if err != nil || p == Velocity {
		return j, err
	}
	wave.ToSlownessGradient(v, grad)
	return j, nil
}

// EvalBatch evaluates M models (particles) concurrently: vs[k] with the shots
// shots[k] (nil = all), writing J_k to the result and ∂J_k/∂v to grads[k].
// At most workers models run at once (0 = one per model); give the wave
// simulator Workers = 1 when M ≥ cores, so that parallelism is over
// particles. It allocates the result. It returns the first error.
func (o *Objective) EvalBatch(ctx context.Context, vs [][]float32, shots [][]int, grads [][]float32, workers int) ([]float64, error) {
	if len(shots) != len(vs) || len(grads) != len(vs) {
		panic("fwi: EvalBatch needs one shot list and one gradient per model")
	}
	if workers <= 0 || workers > len(vs) {
		workers = len(vs)
	}
	js := make([]float64, len(vs))
	errs := make([]error, len(vs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers)
	for k := range vs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if ctx.Err() != nil {
				errs[k] = ctx.Err()
				return
			}
			js[k], errs[k] = o.Eval(ctx, vs[k], shots[k], grads[k])
		}()
	}
	wg.Wait()
	for k, err := range errs {
		if err != nil {
			return js, fmt.Errorf("model %d: %w", k, err)
		}
	}
	return js, nil
}

// Solves returns the number of PDE solves (forward plus adjoint, per shot)
// spent by this objective so far.
func (o *Objective) Solves() int64 { return o.solves.Load() }

// RandomShots returns k distinct shot indices out of n drawn with rng, in
// increasing order (k >= n: nil, meaning all shots). WISER uses k = 1: one
// random shot per particle per iteration.
func RandomShots(rng *rand.Rand, n, k int) []int {
	if k <= 0 || k >= n {
		return nil
	}
	p := rng.Perm(n)[:k]
	// insertion sort: k is tiny
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j] < p[j-1]; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
	return p
}
