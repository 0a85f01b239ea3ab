package wave

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/cmplx"
	"runtime"
	"sync"
)

// Simulator models 2D constant-density acoustic waves for a fixed grid,
// acquisition geometry, source wavelet and options, for any velocity model
// given to its methods. It is safe for concurrent use. Work buffers are
// kept between calls for reuse (see FreeBuffers).
//
// Data layout (all methods): [shot][time][receiver], float32, Nt samples per
// trace at Options.Dt, len(Receivers) receivers per shot (the OpenFWI layout).
// Model-space arrays (velocity, gradients, images) are [Nz][Nx] row-major.
type Simulator struct {
	grid    Grid
	shots   []Shot
	wavelet []float64
	opts    Options
	order   int
	nrec    int
	fpeak   float64 // peak frequency of the wavelet's amplitude spectrum (Hz)
	warn    sync.Once
	bufs    *bufCache // shared with the simulators made by WithShots
	tune    tuning
}

// NewSimulator validates its inputs and returns a Simulator. wavelet is the
// source time function (arbitrary units; the injected term is (v dt)²·w per
// step, as in OpenFWI) sampled at Options.Dt, len Options.Nt, used for every
// shot. Sources and receivers must lie on the model grid. It copies shots and
// wavelet.
func NewSimulator(g Grid, shots []Shot, wavelet []float64, opts Options) (*Simulator, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if len(wavelet) != opts.Nt {
		return nil, fmt.Errorf("wave: wavelet has %d samples, want Options.Nt = %d", len(wavelet), opts.Nt)
	}
	for i, w := range wavelet {
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("wave: wavelet sample %d is %v", i, w)
		}
	}
	s := &Simulator{grid: g, opts: opts, order: opts.order(), wavelet: append([]float64(nil), wavelet...),
		bufs: &bufCache{}, tune: defaultTuning()}
	if err := s.setShots(shots); err != nil {
		return nil, err
	}
	s.fpeak = peakFrequency(s.wavelet, opts.Dt)
	return s, nil
}

// WithShots returns a Simulator for other shots with s's grid, wavelet and
// options that shares s's cache of work buffers: calls on either reuse the
// buffers the other has handed back. A caller that needs one simulator per
// observation (cig's gathers: the sources move with every sample) thus
// keeps its wavefields and tapes instead of having Go clear and the kernel
// fault in fresh pages for every one. FreeBuffers on either empties the
// shared cache. Shots are validated and copied as by NewSimulator.
func (s *Simulator) WithShots(shots []Shot) (*Simulator, error) {
	t := &Simulator{grid: s.grid, opts: s.opts, order: s.order, wavelet: s.wavelet, fpeak: s.fpeak, bufs: s.bufs, tune: s.tune}
	if err := t.setShots(shots); err != nil {
		return nil, err
	}
	return t, nil
}

// setShots validates shots against the grid and stores a copy.
func (s *Simulator) setShots(shots []Shot) error {
	g := s.grid
	in := func(p Point) bool { return p.Z >= 0 && p.Z < g.Nz && p.X >= 0 && p.X < g.Nx }
	for i, sh := range shots {
		if !in(sh.Source) {
			return fmt.Errorf("wave: shot %d source (z=%d, x=%d) is outside the %d×%d model grid", i, sh.Source.Z, sh.Source.X, g.Nz, g.Nx)
		}
		if i == 0 {
			s.nrec = len(sh.Receivers)
		} else if len(sh.Receivers) != s.nrec {
			return fmt.Errorf("wave: shot %d has %d receivers, shot 0 has %d (all shots must have the same count)", i, len(sh.Receivers), s.nrec)
		}
		for j, r := range sh.Receivers {
			if !in(r) {
				return fmt.Errorf("wave: shot %d receiver %d (z=%d, x=%d) is outside the %d×%d model grid", i, j, r.Z, r.X, g.Nz, g.Nx)
			}
		}
		s.shots = append(s.shots, Shot{Source: sh.Source, Receivers: append([]Point(nil), sh.Receivers...)})
	}
	return nil
}

// Grid returns the model grid.
func (s *Simulator) Grid() Grid { return s.grid }

// NumShots returns the number of shots.
func (s *Simulator) NumShots() int { return len(s.shots) }

// NumReceivers returns the receivers per shot.
func (s *Simulator) NumReceivers() int { return s.nrec }

// Options returns the options (with defaults not filled in).
func (s *Simulator) Options() Options { return s.opts }

// DataLen returns the length of a data array for n shots: n·Nt·receivers.
func (s *Simulator) DataLen(n int) int { return n * s.opts.Nt * s.nrec }

// PeakFrequency returns the frequency (Hz) of the largest amplitude of the
// wavelet's discrete Fourier transform, used by the dispersion check.
func (s *Simulator) PeakFrequency() float64 { return s.fpeak }

// Info describes how a call with a given velocity model runs.
type Info struct {
	Substeps            int     // internal time steps per recording step
	DtInternal          float64 // Options.Dt / Substeps (s)
	Courant             float64 // vmax·DtInternal/H
	CourantLimit        float64 // stability limit of v dt/h for the order
	PointsPerWavelength float64 // vmin / (PeakFrequency·H)
	Warnings            []string
}

// Info checks v and reports the internal time stepping and the dispersion
// check: fewer than 6 cells per wavelength at the wavelet's peak frequency
// gives a warning (Deepwave's rule).
func (s *Simulator) Info(v []float32) (Info, error) {
	vmin, vmax, err := checkVelocity(v, s.grid)
	if err != nil {
		return Info{}, err
	}
	return s.info(vmin, vmax), nil
}

func (s *Simulator) info(vmin, vmax float64) Info {
	k := Substeps(vmax, s.opts.Dt, s.grid.H, s.order)
	in := Info{Substeps: k, DtInternal: s.opts.Dt / float64(k), CourantLimit: CourantLimit(s.order)}
	in.Courant = vmax * in.DtInternal / s.grid.H
	if s.fpeak > 0 {
		in.PointsPerWavelength = vmin / (s.fpeak * s.grid.H)
		if in.PointsPerWavelength < 6 {
			in.Warnings = append(in.Warnings, fmt.Sprintf("wave: %.2f cells per wavelength (vmin %.0f m/s, peak %.1f Hz, h %g m) < 6: expect numerical dispersion", in.PointsPerWavelength, vmin, s.fpeak, s.grid.H))
		}
	}
	return in
}

// checkVelocity returns min and max of v or an error naming the first bad cell.
func checkVelocity[T float](v []T, g Grid) (vmin, vmax float64, err error) {
	if len(v) != g.Cells() {
		return 0, 0, fmt.Errorf("wave: velocity has %d values, want Nz·Nx = %d·%d = %d", len(v), g.Nz, g.Nx, g.Cells())
	}
	vmin, vmax = math.Inf(1), math.Inf(-1)
	for i, x := range v {
		f := float64(x)
		if !(f > 0) || math.IsInf(f, 0) {
			return 0, 0, fmt.Errorf("wave: velocity at (z=%d, x=%d) is %v m/s; velocities must be positive and finite", i/g.Nx, i%g.Nx, f)
		}
		vmin = math.Min(vmin, f)
		vmax = math.Max(vmax, f)
	}
	return vmin, vmax, nil
}

func peakFrequency(w []float64, dt float64) float64 {
	n := len(w)
	best, fbest := 0.0, 0.0
	for k := 1; k <= n/2; k++ {
		var sum complex128
		for t, x := range w {
			sum += complex(x, 0) * cmplx.Exp(complex(0, -2*math.Pi*float64(k*t)/float64(n)))
		}
		if a := cmplx.Abs(sum); a > best {
			best, fbest = a, float64(k)/(float64(n)*dt)
		}
	}
	return fbest
}

// rawWorkers returns Options.Workers with 0 meaning GOMAXPROCS.
func (s *Simulator) rawWorkers() int {
	if s.opts.Workers == 0 {
		return runtime.GOMAXPROCS(0)
	}
	return s.opts.Workers
}

func (s *Simulator) workers(nshots int) int {
	w := s.rawWorkers()
	if w > nshots {
		w = nshots
	}
	if w < 1 {
		w = 1
	}
	return w
}

// shotList checks a shot selection; nil means all shots.
func (s *Simulator) shotList(shots []int) ([]int, error) {
	if shots == nil {
		all := make([]int, len(s.shots))
		for i := range all {
			all[i] = i
		}
		return all, nil
	}
	seen := make(map[int]bool, len(shots))
	for _, i := range shots {
		if i < 0 || i >= len(s.shots) {
			return nil, fmt.Errorf("wave: shot index %d outside 0..%d", i, len(s.shots)-1)
		}
		if seen[i] {
			return nil, fmt.Errorf("wave: shot index %d selected twice", i)
		}
		seen[i] = true
	}
	return shots, nil
}

// run is everything one call needs: coefficients for one velocity model and
// the shot geometry on the computational grid.
type run[T float] struct {
	s      *Simulator
	c      coef[T]
	nb     int
	k, N   int       // substeps, internal steps N = Nt·k
	dtf    float64   // internal dt
	vp     []float64 // padded velocity [nzp][nxp]
	bscale []float64 // source scale 1/(1 + κ/2) (Devito) or 1, [nzp][nxp]
	f      []T       // source value per internal step (len N)
	src    []int     // per shot: source cell (halo layout index)
	bsrc   []T       // per shot: B = (v dtf)² at the source
	rec    [][]int   // per shot: receiver cells
	fields int       // len of one field
	crop   bool      // Born adjoints with Options.CropImages: image the model cells only
	fuse   bool      // run pairs of steps fused (tuning.fuse, float32 C kernels)
	cone   bool      // skip the rows known to be zero (tuning.cone)
}

func newRun[T float](s *Simulator, v []float64) (*run[T], error) {
	g := s.grid
	vmin, vmax, err := checkVelocity(v, g)
	if err != nil {
		return nil, err
	}
	in := s.info(vmin, vmax)
	if len(in.Warnings) > 0 {
		s.warn.Do(func() { slog.Warn(in.Warnings[0]) })
	}
	var zero T
	r := &run[T]{s: s, nb: s.opts.NB, k: in.Substeps, dtf: in.DtInternal, cone: s.tune.cone,
		fuse: s.tune.fuse && haveCKernel && sizeOf(zero) == 4}
	r.N = s.opts.Nt * r.k
	nb := r.nb
	c := &r.c
	c.order = s.order
	c.hw = s.order / 2
	c.wrap = s.opts.Periodic
	c.nzp, c.nxp = g.Nz+2*nb, g.Nx+2*nb
	// Rows of whole 64-byte lines (16 float32): the AVX-512 kernels then
	// sweep aligned vectors from each row start (kernel_impl.h, row512).
	// The extra columns are halo: zero, never updated.
	c.rows, c.stride = c.nzp+2*c.hw, (c.nxp+2*c.hw+15)/16*16
	r.fields = c.rows * c.stride
	w := stencilWeights(s.order)
	c.c0 = T(2 * w[0])
	ws := []*T{&c.w1, &c.w2, &c.w3, &c.w4}
	for i := 1; i < len(w); i++ {
		*ws[i-1] = T(w[i])
	}
	// padded velocity (edge replication) and damping
	r.vp = make([]float64, c.nzp*c.nxp)
	r.eachPadded(false, func(_, j, m int) { r.vp[j] = v[m] })
	vref := s.opts.DampVelocity
	if vref == 0 {
		vref = vmin
	}
	damp := make([]float64, c.nzp*c.nxp)
	if nb > 0 {
		dampField(damp, g.Nz, g.Nx, nb, g.H, vref, s.opts.Boundary)
	}
	c.A = makeStaggered[T](r.fields, 3)
	r.bscale = make([]float64, c.nzp*c.nxp)
	var kmax float64
	c.Q = makeStaggered[T](r.fields, 5)
	for z := 0; z < c.nzp; z++ {
		for x := 0; x < c.nxp; x++ {
			j := z*c.nxp + x
			i := r.idx(z, x)
			a := r.vp[j] * r.dtf / g.H
			kap := damp[j] * r.dtf
			if s.opts.Boundary == Devito {
				// centred damping (Devito's u.dt): divide the update by 1 + κ/2
				den := 1 + kap/2
				c.A[i] = T(a * a / den)
				c.Q[i] = T(2 / den)
				r.bscale[j] = 1 / den
			} else {
				c.A[i] = T(a * a)
				c.Q[i] = T(2 - kap)
				r.bscale[j] = 1
			}
			kmax = max(kmax, kap)
		}
	}
	if s.opts.Boundary == Sponge && kmax >= 1 {
		return nil, fmt.Errorf("wave: sponge damping times the internal dt is %.3g >= 1 at the outer edge (unstable): widen Options.NB (now %d) or use the Devito boundary", kmax, nb)
	}
	// source values at internal steps: linear interpolation of the wavelet
	r.f = make([]T, r.N)
	wl := s.wavelet
	for m := range r.f {
		t := float64(m) / float64(r.k)
		i := int(t)
		fr := t - float64(i)
		a := wl[i] * (1 - fr)
		if fr > 0 && i+1 < len(wl) {
			a += wl[i+1] * fr
		}
		r.f[m] = T(a)
	}
	r.src = make([]int, len(s.shots))
	r.bsrc = make([]T, len(s.shots))
	r.rec = make([][]int, len(s.shots))
	for i, sh := range s.shots {
		r.src[i] = r.idx(sh.Source.Z+nb, sh.Source.X+nb)
		j := (sh.Source.Z+nb)*c.nxp + sh.Source.X + nb
		b := r.vp[j] * r.dtf
		r.bsrc[i] = T(b * b * r.bscale[j])
		r.rec[i] = make([]int, len(sh.Receivers))
		for j, p := range sh.Receivers {
			r.rec[i][j] = r.idx(p.Z+nb, p.X+nb)
		}
	}
	return r, nil
}

// idx maps a padded-grid cell (z, x) to the halo layout.
func (r *run[T]) idx(z, x int) int { return (z+r.c.hw)*r.c.stride + x + r.c.hw }

// checkFinite reports the first NaN or Inf in data laid out
// [len(list)][Nt][nrec] for the shots in list.
func checkFinite[T float](data []T, list []int, nrec int) error {
	if nrec == 0 || len(list) == 0 {
		return nil
	}
	per := len(data) / len(list)
	for i, x := range data {
		if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
			j := i % per
			return fmt.Errorf("wave: shot %d: non-finite value at sample %d, receiver %d (unstable simulation)", list[i/per], j/nrec, j%nrec)
		}
	}
	return nil
}

func toF64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// Forward simulates every shot for velocity v (m/s, [Nz][Nx]) and writes the
// recorded pressure to dst ([shot][time][receiver], len DataLen(NumShots())).
// It allocates two wavefields per worker. It returns an error for a bad
// velocity model or a non-finite result, and ctx.Err() when cancelled; it
// panics if len(dst) is wrong.
func (s *Simulator) Forward(ctx context.Context, v []float32, dst []float32) error {
	return s.ForwardShots(ctx, v, nil, dst)
}

// ForwardShots is Forward for the selected shots only (nil = all); dst is
// [len(shots)][Nt][receiver] in the order of shots.
func (s *Simulator) ForwardShots(ctx context.Context, v []float32, shots []int, dst []float32) error {
	list, err := s.shotList(shots)
	if err != nil {
		return err
	}
	if len(dst) != s.DataLen(len(list)) {
		panic(fmt.Sprintf("wave: Forward dst has length %d, want %d", len(dst), s.DataLen(len(list))))
	}
	r, err := newRun[float32](s, toF64(v))
	if err != nil {
		return err
	}
	return r.forwardFast(ctx, list, dst)
}
