package cig

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"genfwi/fwi"
	"genfwi/wave"
)

// SurveyConfig is the acquisition and imaging set-up of a CIG data set. The
// zero value is not usable; start from DefaultSurveyConfig.
type SurveyConfig struct {
	// Nz, Nx and H are the model grid: cells in depth and in x, cell size (m).
	Nz int     `json:"nz"`
	Nx int     `json:"nx"`
	H  float64 `json:"h"`
	// Shots is the number of sources, spread over [0, (Nx−1)·H] by
	// ContJitter; SourceDepth is their depth (m, rounded to a row).
	Shots       int     `json:"shots"`
	SourceDepth float64 `json:"source_depth"`
	// Receivers are spaced H from x = 0 at ReceiverDepth (m, rounded to a
	// row); at most Nx.
	Receivers     int     `json:"receivers"`
	ReceiverDepth float64 `json:"receiver_depth"`
	// T is the record length (s) and Dt the recording interval (s); a
	// record has round(T/Dt)+1 samples (t = 0, Dt, …, T as in JUDI).
	T  float64 `json:"t"`
	Dt float64 `json:"dt"`
	// Freq is the Ricker peak frequency (Hz, delay 1/Freq); HighPass (Hz)
	// the cut-off of the zero-phase Butterworth high-pass of order
	// HighPassOrder applied to it (0 = none).
	Freq          float64 `json:"freq"`
	HighPass      float64 `json:"high_pass"`
	HighPassOrder int     `json:"high_pass_order"`
	// Order is the spatial FD order (2, 4, 8); NB the absorbing layer
	// width (cells, Devito/JUDI damping profile); DampVelocity the
	// damping reference velocity (m/s, 0 = the minimum of each model).
	Order        int     `json:"order"`
	NB           int     `json:"nb"`
	DampVelocity float64 `json:"damp_velocity"`
	// CropGradient crops FWI gradients to the model grid as JUDI does
	// (wave.Options.CropGradient); false keeps the exact gradient.
	CropGradient bool `json:"crop_gradient,omitempty"`
	// SNRdB is the signal-to-noise ratio of the band-limited noise added to
	// the observed data; 0 means noise-free.
	SNRdB float64 `json:"snr_db"`
	// Offsets are the subsurface horizontal offsets of the gathers, in
	// cells (OffsetCells converts metres).
	Offsets []int `json:"offsets"`
	// Workers is the number of goroutines of the wave simulator (0 =
	// GOMAXPROCS). It does not change the results (Gather sums the shots
	// in a fixed order) and is not part of a data set's configuration.
	Workers int `json:"-"`
	// MemoryBudget is wave.Options.MemoryBudget (bytes per shot in flight
	// for the stored forward wavefields of the gathers; 0 = wave's
	// default). Checkpointing recomputes the same values, so it does not
	// change the results either and is not part of a configuration.
	MemoryBudget int64 `json:"-"`
}

// Default acquisition values of the WISE OpenFWI case (WISE.jl gen_cig_openfwi.jl, Yin et al. 2024).
const (
	DefaultNz, DefaultNx = 64, 64
	DefaultH             = 10.0
	DefaultShots         = 16
	DefaultReceivers     = 64
	DefaultT             = 1.0
	DefaultSNRdB         = 12.0
)

// DefaultSurveyConfig returns the CPU configuration of the WISE OpenFWI
// acquisition: a 64×64 grid of 10 m cells, 16 jittered sources and 64
// receivers at 10 m depth, T = 1 s at 1 ms, a 15 Hz Ricker wavelet
// high-passed at 3 Hz (order 5, zero phase), order-8 finite differences with
// a 40-cell Devito damping layer (WISE: 120 cells), 12 dB noise and the 21
// offsets −200…200 m.
func DefaultSurveyConfig() SurveyConfig {
	off, _ := OffsetCells(-200, 200, 21, DefaultH)
	return SurveyConfig{
		Nz: DefaultNz, Nx: DefaultNx, H: DefaultH,
		Shots: DefaultShots, SourceDepth: 10,
		Receivers: DefaultReceivers, ReceiverDepth: 10,
		T: DefaultT, Dt: 0.001,
		Freq: 15, HighPass: 3, HighPassOrder: 5,
		Order: 8, NB: 40,
		SNRdB:   DefaultSNRdB,
		Offsets: off,
	}
}

// PaperOffsets returns the 51 offsets −500…500 m (20 m apart) of WISE in
// cells of h metres.
func PaperOffsets(h float64) []int {
	off, _ := OffsetCells(-500, 500, 51, h)
	return off
}

// OffsetCells returns n offsets evenly spaced from start to end metres
// (inclusive, as Julia's range(start, stop=end, length=n)) converted to cells
// of h metres by floor division, as ImageGather does (−20 m / 12.5 m → −2).
// It returns an error if two offsets fall into the same cell.
func OffsetCells(start, end float64, n int, h float64) ([]int, error) {
	if n < 1 || !(h > 0) {
		return nil, fmt.Errorf("cig: offsets need n >= 1 and a positive cell size, got n=%d h=%g", n, h)
	}
	out := make([]int, n)
	seen := map[int]bool{}
	for i := range out {
		x := start
		if n > 1 {
			x = start + (end-start)*float64(i)/float64(n-1)
		}
		out[i] = int(math.Floor(x/h + 1e-9))
		if seen[out[i]] {
			return nil, fmt.Errorf("cig: offsets %g…%g m in %d steps put two offsets in cell %d (cell size %g m)", start, end, n, out[i], h)
		}
		seen[out[i]] = true
	}
	return out, nil
}

// Nt returns the number of recorded samples, round(T/Dt)+1.
func (c SurveyConfig) Nt() int { return int(math.Round(c.T/c.Dt)) + 1 }

// Validate checks every field and names the first bad one.
func (c SurveyConfig) Validate() error {
	switch {
	case c.Nz < 2 || c.Nx < 2:
		return fmt.Errorf("cig: survey grid must be at least 2×2, got Nz=%d Nx=%d", c.Nz, c.Nx)
	case !(c.H > 0) || math.IsInf(c.H, 0):
		return fmt.Errorf("cig: survey cell size H must be positive, got %g", c.H)
	case c.Shots < 1:
		return fmt.Errorf("cig: survey needs at least one shot, got %d", c.Shots)
	case c.Receivers < 1 || c.Receivers > c.Nx:
		return fmt.Errorf("cig: survey receivers must be in 1..Nx=%d, got %d", c.Nx, c.Receivers)
	case row(c.SourceDepth, c.H) < 0 || row(c.SourceDepth, c.H) >= c.Nz:
		return fmt.Errorf("cig: source depth %g m is outside the %d-row grid", c.SourceDepth, c.Nz)
	case row(c.ReceiverDepth, c.H) < 0 || row(c.ReceiverDepth, c.H) >= c.Nz:
		return fmt.Errorf("cig: receiver depth %g m is outside the %d-row grid", c.ReceiverDepth, c.Nz)
	case !(c.T > 0) || !(c.Dt > 0) || c.Dt > c.T:
		return fmt.Errorf("cig: survey needs 0 < Dt <= T, got T=%g Dt=%g", c.T, c.Dt)
	case !(c.Freq > 0) || c.Freq >= 0.5/c.Dt:
		return fmt.Errorf("cig: Ricker frequency must be in (0, Nyquist=%g) Hz, got %g", 0.5/c.Dt, c.Freq)
	case c.HighPass < 0 || (c.HighPass > 0 && (c.HighPassOrder < 1 || c.HighPassOrder > 20)):
		return fmt.Errorf("cig: high-pass needs a cut-off >= 0 and an order in 1..20, got %g Hz, order %d", c.HighPass, c.HighPassOrder)
	case c.SNRdB < 0 || math.IsNaN(c.SNRdB) || math.IsInf(c.SNRdB, 0):
		return fmt.Errorf("cig: SNR must be >= 0 dB (0 = noise-free), got %g", c.SNRdB)
	case len(c.Offsets) == 0:
		return fmt.Errorf("cig: survey needs at least one offset")
	case c.Workers < 0:
		return fmt.Errorf("cig: survey workers must be >= 0, got %d", c.Workers)
	}
	seen := map[int]bool{}
	for _, h := range c.Offsets {
		if seen[h] {
			return fmt.Errorf("cig: offset %d cells given twice", h)
		}
		if h <= -c.Nx || h >= c.Nx {
			return fmt.Errorf("cig: offset %d cells is not inside the %d-column grid", h, c.Nx)
		}
		seen[h] = true
	}
	return c.waveOptions().Validate()
}

func row(depth, h float64) int { return int(math.Round(depth / h)) }

func (c SurveyConfig) waveOptions() wave.Options {
	return wave.Options{Order: c.Order, Boundary: wave.Devito, NB: c.NB, Dt: c.Dt, Nt: c.Nt(),
		DampVelocity: c.DampVelocity, Workers: c.Workers, MemoryBudget: c.MemoryBudget, CropImages: true,
		CropGradient: c.CropGradient}
}

// Survey is the WISE acquisition on a fixed grid (WISE.jl, JUDI conventions): jittered
// sources, a fixed receiver line, the filtered Ricker wavelet, the Devito/JUDI
// damping layer and band-limited noise. It is safe for concurrent use.
type Survey struct {
	cfg       SurveyConfig
	wavelet   []float64
	receivers []wave.Point
	srcRow    int
	// gathers is a one-worker simulator whose buffer cache every Gather's
	// simulator shares (wave.Simulator.WithShots): the sources move with
	// every observation, and fresh wavefields and tapes (41 MB per shot in
	// flight at the default size) would otherwise be cleared by Go and
	// faulted in again for every gather (≈ 5 % of its time). FreeBuffers
	// empties the cache.
	gathers *wave.Simulator
}

// NewSurvey validates cfg and prepares the wavelet and receivers.
func NewSurvey(cfg SurveyConfig) (*Survey, error) {
	cfg.Offsets = append([]int(nil), cfg.Offsets...)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	nt := cfg.Nt()
	w := wave.Ricker(nt, cfg.Freq, cfg.Dt, 0)
	if cfg.HighPass > 0 {
		if err := wave.HighPass(w, w, cfg.Dt, cfg.HighPass, cfg.HighPassOrder); err != nil {
			return nil, fmt.Errorf("cig: wavelet high-pass: %w", err)
		}
	}
	s := &Survey{cfg: cfg, wavelet: w, srcRow: row(cfg.SourceDepth, cfg.H)}
	rz := row(cfg.ReceiverDepth, cfg.H)
	for i := range cfg.Receivers {
		s.receivers = append(s.receivers, wave.Point{Z: rz, X: i})
	}
	opts := cfg.waveOptions()
	opts.Workers = 1
	var err error
	s.gathers, err = wave.NewSimulator(wave.Grid{Nz: cfg.Nz, Nx: cfg.Nx, H: cfg.H},
		[]wave.Shot{{Source: wave.Point{Z: s.srcRow}, Receivers: s.receivers}}, w, opts)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// FreeBuffers drops the work buffers the survey keeps between gathers.
func (s *Survey) FreeBuffers() { s.gathers.FreeBuffers() }

// Config returns the survey configuration.
func (s *Survey) Config() SurveyConfig {
	c := s.cfg
	c.Offsets = append([]int(nil), c.Offsets...)
	return c
}

// Wavelet returns a copy of the source wavelet (Nt samples at Dt).
func (s *Survey) Wavelet() []float64 { return append([]float64(nil), s.wavelet...) }

// DataLen returns the length of one observed data set: Shots·Nt·Receivers.
func (s *Survey) DataLen() int { return s.cfg.Shots * s.cfg.Nt() * s.cfg.Receivers }

// GatherLen returns the length of one gather: len(Offsets)·Nz·Nx.
func (s *Survey) GatherLen() int { return len(s.cfg.Offsets) * s.cfg.Nz * s.cfg.Nx }

// Obs is one simulated observation: the data of every shot and what produced
// them.
type Obs struct {
	// Seed is the seed given to Observe.
	Seed uint64
	// SourceX are the continuous ContJitter source positions (m); Sources
	// the grid points used (x rounded to the nearest column).
	SourceX []float64
	Sources []wave.Point
	// Data are the observed data d + n, [shot][t][receiver].
	Data []float32
	// Noise is n (nil when noise-free); CleanNorm is ‖d‖ (noise-free data)
	// and SNRdB the realised 20·log10(‖d‖/‖n‖) (0 when noise-free).
	Noise     []float32
	CleanNorm float64
	SNRdB     float64
	// Background is the 1d-special background of the true model,
	// the default imaging velocity of Gather.
	Background []float32
}

// ContJitter returns n positions in [0, l] (m), one in each of n equal
// intervals of width w = l/n, uniformly jittered about the interval centres:
// x_i = (i + ½)·w + w·(U_i − ½) (WISE's ContJitter). It draws n values from rng.
func ContJitter(l float64, n int, rng *rand.Rand) []float64 {
	w := l / float64(n)
	x := make([]float64, n)
	for i := range x {
		x[i] = (float64(i)+0.5)*w + w*(rng.Float64()-0.5)
	}
	return x
}

// Random streams of a sample: the source jitter and the noise use separate
// PCG streams of the same seed, so changing the SNR never moves the sources.
const (
	streamJitter = 0x6a69747465720001 // "jitter"
	streamNoise  = 0x6e6f697365000002 // "noise"
)

// sources returns the jittered positions and grid points for seed.
func (s *Survey) sources(seed uint64) ([]float64, []wave.Point) {
	l := float64(s.cfg.Nx-1) * s.cfg.H
	x := ContJitter(l, s.cfg.Shots, rand.New(rand.NewPCG(seed, streamJitter)))
	pts := make([]wave.Point, len(x))
	for i, xi := range x {
		c := int(math.Round(xi / s.cfg.H))
		pts[i] = wave.Point{Z: s.srcRow, X: min(max(c, 0), s.cfg.Nx-1)}
	}
	return x, pts
}

// checkVelocity reports the first non-finite or non-positive value or a wrong
// length.
func (s *Survey) checkVelocity(what string, v []float32) error {
	if n := s.cfg.Nz * s.cfg.Nx; len(v) != n {
		return fmt.Errorf("cig: %s has %d values, want Nz·Nx = %d·%d = %d", what, len(v), s.cfg.Nz, s.cfg.Nx, n)
	}
	for i, x := range v {
		if !(x > 0) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("cig: %s at (z %d, x %d) is %v m/s; velocities must be positive and finite", what, i/s.cfg.Nx, i%s.cfg.Nx, x)
		}
	}
	return nil
}

// Observe simulates the observed data for velocity vel (m/s, [Nz][Nx]): the
// sources are placed by ContJitter with a stream seeded by seed, and, when
// SNRdB > 0, band-limited noise (white Gaussian noise circularly convolved
// with the wavelet, scaled to ‖n‖ = ‖d‖·10^(−SNR/20)) from another stream of
// the same seed is added. The same vel and seed always give the same Obs.
func (s *Survey) Observe(ctx context.Context, vel []float32, seed uint64) (*Obs, error) {
	return s.observe(ctx, vel, seed, s.cfg.SNRdB > 0, s.cfg.SNRdB)
}

// ObserveSNR is Observe with band-limited noise at snrDB whatever the
// survey's SNRdB, including 0 dB (‖n‖ = ‖d‖, WISER's out-of-distribution
// case) and negative values.
func (s *Survey) ObserveSNR(ctx context.Context, vel []float32, seed uint64, snrDB float64) (*Obs, error) {
	if math.IsNaN(snrDB) || math.IsInf(snrDB, 0) {
		return nil, fmt.Errorf("cig: SNR must be a finite number of dB, got %v", snrDB)
	}
	return s.observe(ctx, vel, seed, true, snrDB)
}

func (s *Survey) observe(ctx context.Context, vel []float32, seed uint64, noisy bool, snrDB float64) (*Obs, error) {
	if err := s.checkVelocity("velocity", vel); err != nil {
		return nil, err
	}
	o := &Obs{Seed: seed}
	o.SourceX, o.Sources = s.sources(seed)
	sim, err := s.Simulator(o)
	if err != nil {
		return nil, err
	}
	o.Data = make([]float32, s.DataLen())
	if err := sim.Forward(ctx, vel, o.Data); err != nil {
		return nil, err
	}
	o.CleanNorm = norm(o.Data)
	if noisy {
		nt := s.cfg.Nt()
		n, err := fwi.BandLimitedNoise(o.Data, s.cfg.Shots, nt, s.cfg.Receivers, s.wavelet, snrDB,
			rand.New(rand.NewPCG(seed, streamNoise)))
		if err != nil {
			return nil, fmt.Errorf("cig: noise: %w", err)
		}
		o.Noise = n
		for i := range o.Data {
			o.Data[i] += n[i]
		}
		o.SNRdB = 20 * math.Log10(o.CleanNorm/norm(n))
	}
	o.Background = Background(vel, s.cfg.Nz, s.cfg.Nx)
	return o, nil
}

func norm(v []float32) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// Background returns the "1d-special" background velocity of WISE's OpenFWI
// case (WISE.jl gen_cig_openfwi.jl): the lateral mean of the slowness of vel, repeated
// across x, smoothed by a Gaussian of σ = 1 cell (replicated edges), back to
// velocity: v0 = 1/G_σ=1(repeat_x(mean_x(1/v))). It is fwi.OneDSpecial. vel is
// nz×nx m/s; it returns nil if a velocity is not positive and finite, and
// panics if len(vel) != nz·nx.
func Background(vel []float32, nz, nx int) []float32 {
	v0, err := fwi.OneDSpecial(vel, nz, nx)
	if err != nil {
		return nil
	}
	return v0
}

// Simulator returns the wave simulator of obs's sources (the survey's grid,
// receivers, wavelet and options): WISER's per-shot FWI gradients use it so
// that they share the physics of the data.
func (s *Survey) Simulator(obs *Obs) (*wave.Simulator, error) {
	return s.simulator(obs, s.cfg.Workers)
}

func (s *Survey) simulator(obs *Obs, workers int) (*wave.Simulator, error) {
	if obs == nil || len(obs.Sources) != s.cfg.Shots {
		return nil, fmt.Errorf("cig: observation has %d sources, the survey %d shots", lenSources(obs), s.cfg.Shots)
	}
	g := wave.Grid{Nz: s.cfg.Nz, Nx: s.cfg.Nx, H: s.cfg.H}
	opts := s.cfg.waveOptions()
	opts.Workers = workers
	return wave.NewSimulator(g, s.shots(obs), s.wavelet, opts)
}

// shots returns obs's shots: its sources with the survey's receivers.
func (s *Survey) shots(obs *Obs) []wave.Shot {
	shots := make([]wave.Shot, len(obs.Sources))
	for i, p := range obs.Sources {
		shots[i] = wave.Shot{Source: p, Receivers: s.receivers}
	}
	return shots
}

// workers resolves SurveyConfig.Workers.
func (s *Survey) workers() int {
	if s.cfg.Workers > 0 {
		return s.cfg.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// parallel calls fn(ctx, i) for i = 0..n−1 on up to w goroutines; the first
// error cancels the others and is returned.
func parallel(ctx context.Context, w, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first error
		next  int
		wg    sync.WaitGroup
	)
	for range min(w, n) {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				stop := first != nil
				mu.Unlock()
				if stop || i >= n {
					return
				}
				if err := fn(ctx, i); err != nil {
					mu.Lock()
					if first == nil || errors.Is(first, context.Canceled) {
						first = err
					}
					mu.Unlock()
					cancel()
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

func lenSources(o *Obs) int {
	if o == nil {
		return 0
	}
	return len(o.Sources)
}

// DepthWeight returns the depth weight of row iz (0-based): (iz+1)·h, the
// 1-based row index times the cell size, as WISE's train_openfwi.jl
// multiplies the gathers by z·d[2].
func DepthWeight(iz int, h float64) float64 { return float64(iz+1) * h }

// Gather writes to dst ([offset][z][x], len GatherLen) the normalised
// subsurface-offset common-image gather of obs: the adjoint of the extended
// Born operator with respect to squared slowness (s²/km², as JUDI's J),
// applied to r = obs.Data (observed data plus noise, no background
// subtraction, as WISE's gen_cig_openfwi.jl), imaged in v0 (nil means
// obs.Background), multiplied by the depth weight (iz+1)·H and divided by
// maxY (pass 1 for the raw depth-weighted gather). The shots are imaged one
// at a time and summed in shot order, so the result does not depend on the
// number of workers.
func (s *Survey) Gather(ctx context.Context, obs *Obs, v0 []float32, maxY float32, dst []float32) error {
	if obs == nil {
		return errors.New("cig: Gather needs an observation")
	}
	if len(dst) != s.GatherLen() {
		return fmt.Errorf("cig: gather buffer has %d values, want offsets·Nz·Nx = %d", len(dst), s.GatherLen())
	}
	if !(maxY > 0) || math.IsInf(float64(maxY), 0) {
		return fmt.Errorf("cig: gather normalisation maxY must be positive and finite, got %v", maxY)
	}
	if len(obs.Data) != s.DataLen() {
		return fmt.Errorf("cig: observed data have %d values, want shots·Nt·receivers = %d", len(obs.Data), s.DataLen())
	}
	if v0 == nil {
		v0 = obs.Background
	}
	if err := s.checkVelocity("background velocity", v0); err != nil {
		return err
	}
	if obs == nil || len(obs.Sources) != s.cfg.Shots {
		return fmt.Errorf("cig: observation has %d sources, the survey %d shots", lenSources(obs), s.cfg.Shots)
	}
	sim, err := s.gathers.WithShots(s.shots(obs))
	if err != nil {
		return err
	}
	n := s.cfg.Nz * s.cfg.Nx
	// One shot per goroutine call on a one-worker simulator (no row-band
	// barriers), then the shots summed in shot order.
	per := make([][]float32, s.cfg.Shots)
	err = parallel(ctx, s.workers(), s.cfg.Shots, func(ctx context.Context, shot int) error {
		per[shot] = make([]float32, s.GatherLen())
		return sim.ExtendedBornAdjoint(ctx, v0, obs.Data, []int{shot}, s.cfg.Offsets, per[shot])
	})
	if err != nil {
		return err
	}
	acc := make([]float64, s.GatherLen())
	for _, one := range per {
		for i, x := range one {
			acc[i] += float64(x)
		}
	}
	// δv (m/s) = 1000·(−v_km³/2)·δm (s²/km²), so J_mᵀ r = −500·v_km³·J_vᵀ r.
	scale := make([]float64, n)
	for i, v := range v0 {
		vk := float64(v) / 1000
		iz := i / s.cfg.Nx
		scale[i] = -500 * vk * vk * vk * DepthWeight(iz, s.cfg.H) / float64(maxY)
	}
	for k := range s.cfg.Offsets {
		for i := range n {
			dst[k*n+i] = float32(acc[k*n+i] * scale[i])
		}
	}
	return nil
}

// FWISurvey returns obs's acquisition as an fwi.Survey (the survey's grid,
// obs's sources with the receiver line, the full-band filtered wavelet and
// the wave options) for fwi.Invert, e.g. a plain FWI baseline on the data a
// posterior was conditioned on. dampVelocity (m/s, > 0) fixes the damping
// layer's reference velocity so that the gradient is exact for every model
// the optimiser visits.
func (s *Survey) FWISurvey(obs *Obs, dampVelocity float64) (fwi.Survey, error) {
	if obs == nil || len(obs.Sources) != s.cfg.Shots {
		return fwi.Survey{}, fmt.Errorf("cig: observation has %d sources, the survey %d shots", lenSources(obs), s.cfg.Shots)
	}
	if !(dampVelocity > 0) || math.IsInf(dampVelocity, 0) {
		return fwi.Survey{}, fmt.Errorf("cig: damping reference velocity must be positive and finite, got %g m/s", dampVelocity)
	}
	shots := make([]wave.Shot, len(obs.Sources))
	for i, p := range obs.Sources {
		shots[i] = wave.Shot{Source: p, Receivers: s.receivers}
	}
	opts := s.cfg.waveOptions()
	opts.DampVelocity = dampVelocity
	return fwi.Survey{Grid: wave.Grid{Nz: s.cfg.Nz, Nx: s.cfg.Nx, H: s.cfg.H}, Shots: shots,
		Wavelet: append([]float64(nil), s.wavelet...), Opts: opts}, nil
}
