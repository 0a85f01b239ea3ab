package wave

import (
	"fmt"
	"math"
)

// Grid is a regular 2D model grid of square cells.
//
// A model array on the grid is row-major [Nz][Nx] (index iz*Nx + ix, z slowest,
// row 0 = the surface). Velocities are in m/s.
type Grid struct {
	Nz, Nx int     // cells in depth and in x
	H      float64 // cell size (m), the same in z and x
}

// Cells returns Nz*Nx.
func (g Grid) Cells() int { return g.Nz * g.Nx }

// Validate reports whether the grid is usable.
func (g Grid) Validate() error {
	if g.Nz < 1 || g.Nx < 1 {
		return fmt.Errorf("wave: Grid must have Nz >= 1 and Nx >= 1, got Nz=%d Nx=%d", g.Nz, g.Nx)
	}
	if !(g.H > 0) || math.IsInf(g.H, 0) {
		return fmt.Errorf("wave: Grid.H (cell size, m) must be positive and finite, got %v", g.H)
	}
	return nil
}

// Point is a grid position (cell indices) on the model grid: Z is the row
// (depth index), X the column.
type Point struct{ Z, X int }

// Shot is one experiment: a point source and the receivers that record it.
// Every shot of a simulator must have the same number of receivers.
type Shot struct {
	Source    Point
	Receivers []Point
}

// Boundary selects the absorbing boundary (see doc.go, "# Boundaries").
type Boundary int

const (
	// Sponge is the Collino–Tsogka quadratic damping used by OpenFWI
	// (UPFWI's FWIForward.FWM), generalised to any width NB:
	// d(i) = κ (i/(NB−1))², κ = 3 vref ln(1e7) / (2 (NB−1) H), i = distance
	// (cells) into the layer, corners take the x profile.
	Sponge Boundary = iota
	// Devito is the Devito/JUDI.jl damp_op profile:
	// NB' = NB−3 damped cells, pos = (NB' − i + 1)/NB' (i = 0 outermost),
	// η = 1.5 ln(1000)/NB' · (pos − sin(2π pos)/(2π)) / H, summed over x and z
	// in the corners, converted to a damping rate d = η vref²/1000 (1/s).
	Devito
)

func (b Boundary) String() string {
	switch b {
	case Sponge:
		return "sponge"
	case Devito:
		return "devito"
	}
	return fmt.Sprintf("Boundary(%d)", int(b))
}

// ParseBoundary converts "sponge" or "devito" to a Boundary.
func ParseBoundary(s string) (Boundary, error) {
	switch s {
	case "sponge":
		return Sponge, nil
	case "devito":
		return Devito, nil
	}
	return 0, fmt.Errorf("wave: boundary must be sponge or devito, got %q", s)
}

// Options configures a Simulator. The zero value of a tunable means the
// documented default.
type Options struct {
	// Order is the spatial order of accuracy: 2, 4 or 8. 0 means 4.
	Order int
	// Boundary is the absorbing boundary type (default Sponge).
	Boundary Boundary
	// NB is the absorbing layer width in cells on each of the four sides; the
	// model is extended by edge replication. 0 means no absorbing layer (the
	// wavefield is zero outside the model: a rigid boundary).
	NB int
	// Dt is the recording time step (s) of the wavelet and of the data.
	Dt float64
	// Nt is the number of recorded time samples.
	Nt int
	// DampVelocity (m/s) is the reference velocity in the damping profile.
	// 0 means the minimum of the velocity given to each call (OpenFWI). The
	// gradient always treats the damping as independent of the model, so
	// set DampVelocity when exact gradients matter near min(v) changes.
	DampVelocity float64
	// Workers is the number of goroutines; 0 means GOMAXPROCS.
	Workers int
	// MemoryBudget (bytes) bounds the stored forward wavefields of each shot
	// in flight in Gradient and the Born adjoints (Workers shots with the
	// shot schedule, one shot at a time with the row-band schedule). When all
	// steps do not fit, the forward pass keeps checkpoints and recomputes
	// segments (about one extra forward). 0 means automatic: 512 MiB per
	// shot in flight (full storage when it fits: OpenFWI needs 402 MB per
	// shot), except with the row-band schedule and kernels without AVX-512,
	// where 32 MiB keeps the checkpoint segments in a 32 MiB last-level cache
	// and was measured faster than full storage (docs/wave.md; with the
	// AVX-512 kernels full storage is faster: 164 against 195 ms per
	// OpenFWI gradient on 2 cores).
	MemoryBudget int64
	// TapeBF16 stores the forward Laplacians that Gradient keeps for its
	// backward sweep as bfloat16 (8-bit mantissa, rounded to nearest even)
	// instead of float32: half the memory per stored step and half the
	// tape traffic (OpenFWI on 2 cores: docs/wave.md, "bfloat16 tape").
	// The gradient is then no longer the exact discrete adjoint: it differs
	// from it by ~1e-3 relative L2 (2.7e-3 on TestTapeBF16's small problem,
	// 3.8e-4 on the OpenFWI benchmark). Off by default; honoured by the C
	// kernels with AVX-512 only (elsewhere the tape stays float32), and
	// never used by the Born adjoints.
	TapeBF16 bool
	// Periodic makes the padded grid (model plus NB absorbing cells on each
	// side) a torus: the stencil reads across each edge of the padded grid
	// into the opposite edge instead of into zeros. This is what the
	// published OpenFWI forward (UPFWI's FWM, a Laplacian built with
	// torch.roll) does, and it matters on fast maps: waves cross the thin
	// sponge and come back in from the other side (docs/wave.md,
	// "Periodic edges"). OpenFWIOptions sets it; other geometries keep the
	// zero (rigid) outer edge. Requires NB >= Order/2, so that no source or
	// receiver sits on a cell that is copied across the edge.
	Periodic bool
	// CropImages restricts the Born family to the model grid, as JUDI/Devito
	// crop their gradients and image gathers to the physical domain: Born
	// and ExtendedBorn take the perturbation as zero in the absorbing layer
	// (instead of edge-replicated), and BornAdjoint and ExtendedBornAdjoint,
	// their exact adjoints, return the correlations on the model cells
	// without folding the layer onto the edge cells (which piles large
	// values onto the edge rows and columns of a gather). The shifted
	// correlations then run on the model cells only, about (NB-padded
	// area)/(model area) times fewer products. Gradient is unaffected.
	CropImages bool
	// CropGradient makes Gradient (and GradientMisfit) return the
	// correlations on the model cells only, without folding the absorbing
	// layer onto the edge cells: JUDI's default (its gradients are cropped
	// to the physical domain), which WISER's particle updates inherit. It is
	// then not the exact gradient of the edge-replicated model: the edge
	// rows and columns miss the layer's share, which with depth weighting
	// otherwise dominates the deepest row.
	CropGradient bool
}

// Validate checks every field once and returns an error naming the field, the
// allowed values and the value given.
func (o Options) Validate() error {
	switch o.Order {
	case 0, 2, 4, 8:
	default:
		return fmt.Errorf("wave: Options.Order must be 2, 4 or 8 (0 = 4), got %d", o.Order)
	}
	if o.Boundary != Sponge && o.Boundary != Devito {
		return fmt.Errorf("wave: Options.Boundary must be Sponge or Devito, got %d", int(o.Boundary))
	}
	if o.NB < 0 {
		return fmt.Errorf("wave: Options.NB (absorbing cells) must be >= 0, got %d", o.NB)
	}
	if o.Boundary == Devito && o.NB > 0 && o.NB < 4 {
		return fmt.Errorf("wave: Options.NB must be 0 or >= 4 with the Devito boundary (3-cell buffer), got %d", o.NB)
	}
	if !(o.Dt > 0) || math.IsInf(o.Dt, 0) {
		return fmt.Errorf("wave: Options.Dt (s) must be positive and finite, got %v", o.Dt)
	}
	if o.Nt < 1 {
		return fmt.Errorf("wave: Options.Nt (time samples) must be >= 1, got %d", o.Nt)
	}
	if o.DampVelocity < 0 || math.IsNaN(o.DampVelocity) || math.IsInf(o.DampVelocity, 0) {
		return fmt.Errorf("wave: Options.DampVelocity (m/s) must be >= 0 and finite, got %v", o.DampVelocity)
	}
	if o.Periodic && o.NB < o.order()/2 {
		return fmt.Errorf("wave: Options.Periodic needs NB >= Order/2 = %d absorbing cells, got NB=%d", o.order()/2, o.NB)
	}
	if o.Workers < 0 {
		return fmt.Errorf("wave: Options.Workers must be >= 0 (0 = GOMAXPROCS), got %d", o.Workers)
	}
	if o.MemoryBudget < 0 {
		return fmt.Errorf("wave: Options.MemoryBudget (bytes) must be >= 0, got %d", o.MemoryBudget)
	}
	return nil
}

func (o Options) order() int {
	if o.Order == 0 {
		return 4
	}
	return o.Order
}

// budget returns MemoryBudget with 0 resolved for the row-band schedule
// (rowBands) or the shot schedule.
func (o Options) budget(rowBands bool) int64 {
	switch {
	case o.MemoryBudget != 0:
		return o.MemoryBudget
	case rowBands && !haveAVX512:
		return 32 << 20
	}
	return 512 << 20
}

// tuning selects between variants of the engine that compute the same
// values by different routes (the tests compare them bit for bit, the
// benchmarks time them). It is part of the Simulator, not of Options:
// nothing but speed depends on it.
type tuning struct {
	// fuse runs pairs of steps in one pass over the rows (the fused C
	// float32 kernels; ignored elsewhere).
	fuse bool
	// cone skips the rows where the fields are exactly zero (sweep.go).
	cone bool
	// streamMin is the tape size (bytes, all shots in flight) above which
	// the Laplacians are streamed past the caches: the 32 MiB L3 of the
	// machine the kernels were tuned on, so that smaller segments
	// (checkpointing with a small budget) stay cache-resident between the
	// recompute and the backward sweep. Measured on OpenFWI (docs/wave.md):
	// a 21.7 MB segment (32 MiB budget, one shot in flight) took 256 ms per
	// gradient with regular stores and 297 ms streamed; the 394 MB full
	// tape 274 ms streamed and 289 ms regular.
	streamMin int64
	// corrBlock is how many backward steps share one pass of the shifted
	// correlations over the per-offset images (offsetImage.add); 0 adds
	// them step by step (the reference order; same sums bit for bit).
	corrBlock int
	// tapeAll stores every row of the tape also when the adjoint images
	// only the model rows (Options.CropImages; sweep.tz0): the reference.
	tapeAll bool
}

// defaultTuning is what production runs: every variant that pays.
func defaultTuning() tuning {
	return tuning{fuse: true, cone: true, streamMin: 32 << 20, corrBlock: 8}
}
