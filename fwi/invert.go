package fwi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"gonum.org/v1/gonum/optimize"

	"genfwi/wave"
)

// Method selects the optimiser.
type Method int

const (
	// LBFGS is gonum/optimize's L-BFGS with a More–Thuente line search on
	// the bounded reparameterisation described at Config.Bounds.
	LBFGS Method = iota
	// PG is projected gradient descent: a step along the preconditioned
	// gradient normalised by its maximum, halved (up to 5 times) until the
	// misfit decreases, then projected onto the bounds.
	PG
	// Adam is Adam (β1 = 0.9, β2 = 0.999) on the preconditioned, max-normalised
	// gradient, projected onto the bounds after every step. It accepts every
	// step, so it also works with random shot subsets.
	Adam
)

// String returns "lbfgs", "pg" or "adam".
func (m Method) String() string {
	switch m {
	case PG:
		return "pg"
	case Adam:
		return "adam"
	}
	return "lbfgs"
}

// ParseMethod converts "lbfgs", "pg" or "adam" to a Method.
func ParseMethod(s string) (Method, error) {
	switch s {
	case "lbfgs", "l-bfgs":
		return LBFGS, nil
	case "pg", "projected-gradient":
		return PG, nil
	case "adam":
		return Adam, nil
	}
	return 0, fmt.Errorf("fwi: method must be lbfgs, pg or adam, got %q", s)
}

// Survey is the fixed part of an experiment: grid, shots, full-band source
// wavelet and wave options. Frequency continuation builds one simulator per
// band from it with a low-passed wavelet.
type Survey struct {
	Grid    wave.Grid
	Shots   []wave.Shot
	Wavelet []float64 // full-band source wavelet, len Opts.Nt, at Opts.Dt
	Opts    wave.Options
}

// Config configures Invert. Zero values mean the documented defaults.
type Config struct {
	// Method is the optimiser (default LBFGS).
	Method Method
	// Iters is the number of iterations per band (default 20).
	Iters int
	// Bands are the low-pass cut-offs (Hz) of the frequency-continuation
	// schedule (Bunks et al. 1995), applied in order: a band's misfit
	// compares the data residual low-passed by a zero-phase Butterworth
	// filter (bandObjective); 0 means the full band. nil means {0}: no
	// continuation.
	Bands []float64
	// FilterOrder is the Butterworth order (default 4; applied forward and
	// backward, so the response is squared).
	FilterOrder int
	// Bounds are the velocity bounds (default 1500…4500 m/s). PG and Adam
	// project onto them after every step. LBFGS, which has no constraints in
	// gonum, optimises y with u = lo + (hi − lo)·(1 + sin y)/2 for each
	// parameter u (the MINUIT transform), which keeps every model inside the
	// box; start values are first moved at least 0.1 % of the range inside.
	Bounds Bounds
	// Param is the parameter the optimiser works in (default Velocity).
	Param Param
	// Precond is the gradient preconditioner. For PG and Adam it is applied
	// to the gradient (Normalize is forced on). For LBFGS it becomes an
	// exact change of variables y = y0 + D ⊙ (G z), with D its row weights
	// (normalised to a maximum of 1) and G its Gaussian smoother, so the
	// gradient in z is G (D ⊙ ∂J/∂y); Normalize is ignored.
	Precond Precond
	// Reg is an optional regulariser added to the misfit.
	Reg Regularizer
	// Step is the PG step and the Adam learning rate: the largest velocity
	// change (m/s) of one step along the max-normalised gradient (default 50
	// for PG, 20 for Adam). For Param = SquaredSlowness it is converted to
	// the same fraction of the parameter box.
	Step float64
	// ShotsPerEval > 0 evaluates each gradient on that many random shots
	// (WISER uses 1); only with Adam, whose steps need no line search.
	ShotsPerEval int
	// Seed seeds the shot subsampling (with the band and iteration, so a
	// resumed run draws the same shots).
	Seed uint64
	// Store is the L-BFGS memory (default 10).
	Store int
}

func (c Config) withDefaults() Config {
	if c.Iters == 0 {
		c.Iters = 20
	}
	if len(c.Bands) == 0 {
		c.Bands = []float64{0}
	}
	if c.FilterOrder == 0 {
		c.FilterOrder = 4
	}
	c.Bounds = c.Bounds.orDefault()
	if c.Step == 0 {
		c.Step = 50
		if c.Method == Adam {
			c.Step = 20
		}
	}
	if c.Store == 0 {
		c.Store = 10
	}
	return c
}

// Validate checks the configuration.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Iters < 0 {
		return fmt.Errorf("fwi: Iters must be >= 0, got %d", c.Iters)
	}
	for _, f := range c.Bands {
		if f < 0 || math.IsNaN(f) {
			return fmt.Errorf("fwi: band cut-off must be >= 0 Hz (0 = full band), got %g", f)
		}
	}
	if !(c.Bounds.Min > 0 && c.Bounds.Max > c.Bounds.Min) {
		return fmt.Errorf("fwi: bounds must satisfy 0 < Min < Max, got %g…%g m/s", c.Bounds.Min, c.Bounds.Max)
	}
	if c.ShotsPerEval > 0 && c.Method != Adam {
		return fmt.Errorf("fwi: random shot subsets (ShotsPerEval = %d) need Method Adam, got %v", c.ShotsPerEval, c.Method)
	}
	if c.Step < 0 {
		return fmt.Errorf("fwi: Step must be positive, got %g", c.Step)
	}
	return nil
}

// Iteration is one entry of the convergence history.
type Iteration struct {
	Band     int     `json:"band"`      // index into Config.Bands
	Cutoff   float64 `json:"cutoff_hz"` // low-pass cut-off of the band (0 = full)
	Iter     int     `json:"iter"`      // iteration within the band; 0 = the band's start model
	Misfit   float64 `json:"misfit"`    // J of the band's objective at the model after the iteration
	GradNorm float64 `json:"grad_norm"` // ‖∂J/∂v‖₂ (per m/s) at that model (NaN if not evaluated there)
	Solves   int64   `json:"pde_solves"`
	Seconds  float64 `json:"seconds"` // elapsed wall time since the run began, over resumes
}

// State is the resumable state of an inversion. Invert updates it in place
// after every iteration; save it (e.g. as JSON plus the model) to resume.
type State struct {
	Band    int         `json:"band"` // current band index
	Iter    int         `json:"iter"` // iterations completed in the current band
	Model   []float32   `json:"-"`    // current model (m/s, nz×nx)
	History []Iteration `json:"history"`
	Solves  int64       `json:"pde_solves"` // PDE solves so far, over resumes
	Seconds float64     `json:"seconds"`    // elapsed seconds so far, over resumes
	Done    bool        `json:"done"`
}

// errStop is returned by a callback wrapper to stop gonum cleanly.
var errStop = errors.New("fwi: stopped")

// Invert runs frequency-continuation FWI from st (st.Model is the start
// model, or the checkpointed model when resuming at st.Band, st.Iter) against
// the observed data obs ([shot][t][receiver] for every shot of sv). After
// every iteration it updates st and calls cb (if not nil); an error from cb
// stops the run and is returned. A resumed L-BFGS band restarts its curvature
// memory from the checkpointed model. It returns ctx.Err() when cancelled
// (st then holds the last completed iteration).
func Invert(ctx context.Context, sv Survey, obs []float32, st *State, cfg Config, cb func(*State) error) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg = cfg.withDefaults()
	if len(st.Model) != sv.Grid.Cells() {
		return fmt.Errorf("fwi: model has %d values, grid %d×%d needs %d", len(st.Model), sv.Grid.Nz, sv.Grid.Nx, sv.Grid.Cells())
	}
	start := time.Now()
	base := st.Seconds
	clock := func() float64 { return base + time.Since(start).Seconds() }
	for ; st.Band < len(cfg.Bands); st.Band, st.Iter = st.Band+1, 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		fc := cfg.Bands[st.Band]
		obj, err := bandObjective(sv, obs, fc, cfg)
		if err != nil {
			return fmt.Errorf("band %d (%g Hz): %w", st.Band, fc, err)
		}
		solves0 := st.Solves
		rec := func(iter int, misfit, gnorm float64) error {
			st.Solves = solves0 + obj.Solves()
			st.Seconds = clock()
			st.History = append(st.History, Iteration{Band: st.Band, Cutoff: fc, Iter: iter, Misfit: misfit,
				GradNorm: gnorm, Solves: st.Solves, Seconds: st.Seconds})
			if iter > 0 {
				st.Iter = iter
			}
			if cb != nil {
				return cb(st)
			}
			return nil
		}
		if st.Iter < cfg.Iters {
			switch cfg.Method {
			case LBFGS:
				err = runLBFGS(ctx, obj, st, cfg, rec)
			default:
				err = runFirstOrder(ctx, obj, st, cfg, rec)
			}
			if err != nil {
				return fmt.Errorf("band %d (%g Hz): %w", st.Band, fc, err)
			}
		}
		st.Solves = solves0 + obj.Solves()
		st.Seconds = clock()
	}
	st.Done = true
	if cb != nil {
		return cb(st)
	}
	return nil
}

// Objective returns the full-band objective ½‖F(v) − obs‖² (+ reg) of the
// survey, e.g. to evaluate a final model's data misfit.
func (sv Survey) Objective(obs []float32, reg Regularizer) (*Objective, error) {
	return bandObjective(sv, obs, 0, Config{Reg: reg})
}

// bandObjective builds the objective of one band: the full-band simulator
// and observed data, with the residual low-passed for fc > 0.
//
// Frequency continuation compares low-passed data. Low-passing the observed
// data and the wavelet separately is not consistent on a finite record: the
// zero-phase filter of a truncated observed trace differs from the
// simulated response to the filtered wavelet over the last ~1/fc seconds
// (and the filtered wavelet's precursor starts before t = 0). At 4 Hz on an
// OpenFWI FlatVel map this left a misfit at the true model as large as at
// a 1d-special start (3.86 against 3.86), and L-BFGS lowered it by moving
// away from the truth (MAE 0.004 → 0.148 in one band). Filtering the
// residual instead, J = ½‖W (F(v) − d)‖² with W = wave.SymmetricLowPass per
// trace (its own transpose), is exactly zero at the true model for
// noise-free data, keeps the low-pass view of the data, needs no extended
// time axis, and its gradient is the same adjoint with source W W r.
func bandObjective(sv Survey, obs []float32, fc float64, cfg Config) (*Objective, error) {
	nrec := 0
	if len(sv.Shots) > 0 {
		nrec = len(sv.Shots[0].Receivers)
	}
	ns, nt := len(sv.Shots), sv.Opts.Nt
	if len(obs) != ns*nt*nrec {
		return nil, fmt.Errorf("observed data have %d values, the survey needs %d (shots·nt·receivers)", len(obs), ns*nt*nrec)
	}
	sim, err := wave.NewSimulator(sv.Grid, sv.Shots, sv.Wavelet, sv.Opts)
	if err != nil {
		return nil, err
	}
	obj, err := NewObjective(sim, obs, cfg.Reg)
	if err != nil {
		return nil, err
	}
	if fc > 0 {
		if obj.Weight, err = LowPassWeight(nt, nrec, sv.Opts.Dt, fc, cfg.FilterOrder); err != nil {
			return nil, fmt.Errorf("band low-pass: %w", err)
		}
	}
	return obj, nil
}

// paramBox returns the bounds in the optimiser's parameter u and the maps
// v → u and du → dv. Velocity: u = v/1000 (km/s). Squared slowness:
// u = 10⁶/v² (s²/km²); both keep u of order one.
func paramBox(b Bounds, p Param) (lo, hi float64, toU func(v float64) float64, dvdu func(v float64) float64, toV func(u float64) float64) {
	if p == SquaredSlowness {
		toU = func(v float64) float64 { return 1e6 / (v * v) }
		toV = func(u float64) float64 { return 1000 / math.Sqrt(u) }
		dvdu = func(v float64) float64 { return -0.5 * v * v * v / 1e6 }
		return toU(b.Max), toU(b.Min), toU, dvdu, toV
	}
	toU = func(v float64) float64 { return v / 1000 }
	toV = func(u float64) float64 { return 1000 * u }
	dvdu = func(float64) float64 { return 1000 }
	return b.Min / 1000, b.Max / 1000, toU, dvdu, toV
}

func norm2(g []float32) float64 {
	s := 0.0
	for _, x := range g {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// rowWeights returns the preconditioner row weights normalised to max 1.
func rowWeights(p Precond, g wave.Grid) []float64 {
	w := p.Weights(g.Nz, g.H)
	m := 0.0
	for _, x := range w {
		m = math.Max(m, x)
	}
	if m > 0 {
		for i := range w {
			w[i] /= m
		}
	}
	return w
}

// runLBFGS runs the remaining iterations of one band with gonum's L-BFGS on
// z, where u = lo + (hi−lo)(1 + sin y)/2 and y = y0 + D z (D: row weights).
func runLBFGS(ctx context.Context, obj *Objective, st *State, cfg Config, rec func(int, float64, float64) error) error {
	g := obj.Sim.Grid()
	nz, nx := g.Nz, g.Nx
	n := nz * nx
	lo, hi, toU, dvdu, toV := paramBox(cfg.Bounds, cfg.Param)
	half := (hi - lo) / 2
	w := rowWeights(cfg.Precond, g)
	y0 := make([]float64, n)
	delta := 1e-3 * (hi - lo)
	for i, v := range st.Model {
		u := math.Min(math.Max(toU(float64(v)), lo+delta), hi-delta)
		y0[i] = math.Asin((u-lo)/half - 1)
	}
	// y = y0 + D ⊙ (G z), with G the symmetric Gaussian smoother (or I).
	sig := cfg.Precond.SmoothSigma
	gz := make([]float64, n)
	smooth := func(dst, src []float64) {
		if sig > 0 {
			SmoothZero(dst, src, nz, nx, sig)
		} else {
			copy(dst, src)
		}
	}
	model := func(dst []float32, z []float64) {
		smooth(gz, z)
		for i := range dst {
			y := y0[i] + w[i/nx]*gz[i]
			dst[i] = float32(toV(lo + half*(1+math.Sin(y))))
		}
	}

	// One PDE gradient per distinct z; Func and Grad at the same z share it.
	var (
		cacheZ  []float64
		cacheF  float64
		cacheG  = make([]float64, n)
		cacheGV = make([]float32, n)
		v       = make([]float32, n)
		evalErr error
	)
	eval := func(z []float64) {
		if cacheZ != nil && slices.Equal(cacheZ, z) {
			return
		}
		if evalErr != nil {
			return
		}
		model(v, z) // also leaves G z in gz
		f, err := obj.Eval(ctx, v, nil, cacheGV)
		if err != nil {
			evalErr = err
			cacheZ, cacheF = nil, math.Inf(1)
			return
		}
		for i := range cacheG {
			y := y0[i] + w[i/nx]*gz[i]
			dudy := half * math.Cos(y)
			cacheG[i] = float64(cacheGV[i]) * dvdu(float64(v[i])) * dudy * w[i/nx]
		}
		smooth(cacheG, cacheG) // Gᵀ = G
		cacheZ = append(cacheZ[:0], z...)
		cacheF = f
	}
	prob := optimize.Problem{
		Func: func(z []float64) float64 { eval(z); return cacheF },
		Grad: func(grad, z []float64) {
			eval(z)
			copy(grad, cacheG)
		},
		Status: func() (optimize.Status, error) {
			if evalErr != nil {
				return optimize.Failure, evalErr
			}
			return optimize.NotTerminated, nil
		},
	}
	// gonum reports the evaluated start as the first MajorIteration.
	iter := st.Iter
	first := true
	var cbErr error
	recorder := recorderFunc(func(loc *optimize.Location, op optimize.Operation) error {
		if op != optimize.MajorIteration {
			return nil
		}
		gn := math.NaN()
		if cacheZ != nil && slices.Equal(cacheZ, loc.X) {
			gn = norm2(cacheGV)
		}
		if first {
			first = false
			if iter > 0 || startRecorded(st) {
				return nil // resumed band: its start was recorded before
			}
		} else {
			iter++
		}
		model(st.Model, loc.X)
		if err := rec(iter, loc.F, gn); err != nil {
			cbErr = err
			return errStop
		}
		if iter >= cfg.Iters {
			// Stop here rather than through MajorIterations: gonum does not
			// record the iteration that reaches its limit.
			return errStop
		}
		return nil
	})
	settings := &optimize.Settings{
		Converger: optimize.NeverTerminate{},
		Recorder:  recorder,
	}
	method := &optimize.LBFGS{Linesearcher: &optimize.MoreThuente{}, Store: cfg.Store, GradStopThreshold: math.NaN()}
	_, err := optimize.Minimize(prob, make([]float64, n), settings, method)
	switch {
	case cbErr != nil:
		return cbErr
	case evalErr != nil:
		return evalErr
	case ctx.Err() != nil:
		return ctx.Err()
	}
	// errStop ends the band after Iters iterations. Line-search failures (no
	// further decrease possible) end it early; the model of the last
	// completed iteration is kept either way.
	_ = err
	return nil
}

// startRecorded reports whether the history already holds the start
// (iteration 0) of the current band, as after a resume at iteration 0.
func startRecorded(st *State) bool {
	n := len(st.History)
	return n > 0 && st.History[n-1].Band == st.Band && st.History[n-1].Iter == 0
}

// recorderFunc adapts a function to optimize.Recorder.
type recorderFunc func(*optimize.Location, optimize.Operation) error

func (recorderFunc) Init() error { return nil }
func (f recorderFunc) Record(loc *optimize.Location, op optimize.Operation, _ *optimize.Stats) error {
	return f(loc, op)
}

// runFirstOrder runs PG or Adam for the remaining iterations of one band.
func runFirstOrder(ctx context.Context, obj *Objective, st *State, cfg Config, rec func(int, float64, float64) error) error {
	g := obj.Sim.Grid()
	n := g.Cells()
	lo, hi, toU, dvdu, toV := paramBox(cfg.Bounds, cfg.Param)
	// Step in parameter units: the same fraction of the box as Step m/s is
	// of the velocity box.
	step := cfg.Step / (cfg.Bounds.Max - cfg.Bounds.Min) * (hi - lo)
	pc := cfg.Precond
	pc.Normalize = true
	u := make([]float64, n)
	for i, v := range st.Model {
		u[i] = math.Min(math.Max(toU(float64(v)), lo), hi)
	}
	v := append([]float32(nil), st.Model...)
	gv := make([]float32, n)
	gu := make([]float32, n)
	toModel := func(dst []float32, u []float64) {
		for i := range dst {
			dst[i] = float32(toV(u[i]))
		}
	}
	// gradU writes the preconditioned, max-normalised ∂J/∂u into gu.
	gradU := func() {
		for i := range gu {
			gu[i] = float32(float64(gv[i]) * dvdu(float64(v[i])))
		}
		pc.Apply(gu, g.Nz, g.H)
	}
	shotsFor := func(iter int) []int {
		if cfg.ShotsPerEval <= 0 {
			return nil
		}
		r := rand.New(rand.NewPCG(cfg.Seed, uint64(st.Band)<<32|uint64(iter)))
		return RandomShots(r, obj.Sim.NumShots(), cfg.ShotsPerEval)
	}

	if cfg.Method == Adam {
		m1 := make([]float64, n)
		m2 := make([]float64, n)
		const b1, b2, eps = 0.9, 0.999, 1e-8
		for it := st.Iter; it < cfg.Iters; it++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			f, err := obj.Eval(ctx, v, shotsFor(it), gv)
			if err != nil {
				return err
			}
			if it == 0 && !startRecorded(st) {
				if err := rec(0, f, norm2(gv)); err != nil {
					return err
				}
			}
			gradU()
			// Bias correction uses the band-local step count; a resumed run
			// restarts the moments (documented in Invert).
			t := float64(it - st.Iter + 1)
			for i := range u {
				gi := float64(gu[i])
				m1[i] = b1*m1[i] + (1-b1)*gi
				m2[i] = b2*m2[i] + (1-b2)*gi*gi
				mh := m1[i] / (1 - math.Pow(b1, t))
				vh := m2[i] / (1 - math.Pow(b2, t))
				u[i] = math.Min(math.Max(u[i]-step*mh/(math.Sqrt(vh)+eps), lo), hi)
			}
			toModel(v, u)
			copy(st.Model, v)
			// Adam reports the misfit of the evaluation before its step.
			if err := rec(it+1, f, norm2(gv)); err != nil {
				return err
			}
		}
		return nil
	}

	// Projected gradient with backtracking.
	f, err := obj.Eval(ctx, v, nil, gv)
	if err != nil {
		return err
	}
	if st.Iter == 0 && !startRecorded(st) {
		if err := rec(0, f, norm2(gv)); err != nil {
			return err
		}
	}
	trial := make([]float64, n)
	vt := make([]float32, n)
	gt := make([]float32, n)
	alpha := step
	for it := st.Iter; it < cfg.Iters; it++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		gradU()
		accepted := false
		for try := 0; try < 6; try++ {
			for i := range u {
				trial[i] = math.Min(math.Max(u[i]-alpha*float64(gu[i]), lo), hi)
			}
			toModel(vt, trial)
			ft, err := obj.Eval(ctx, vt, nil, gt)
			if err != nil {
				return err
			}
			if ft < f {
				copy(u, trial)
				copy(v, vt)
				copy(gv, gt)
				f = ft
				accepted = true
				break
			}
			alpha /= 2
		}
		if !accepted {
			return nil // no decrease along the gradient: the band has converged
		}
		copy(st.Model, v)
		if err := rec(it+1, f, norm2(gv)); err != nil {
			return err
		}
		alpha = math.Min(alpha*1.5, step) // let the step recover after backtracking
	}
	return nil
}
