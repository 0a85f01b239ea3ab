package wave

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// smallCase is a tiny float64 problem for adjoint and gradient checks.
type smallCase struct {
	name     string
	nz, nx   int
	order    int
	nb       int
	boundary Boundary
	dt       float64 // recording dt; large values force substeps
	nt       int
	budget   int64
	periodic bool
}

func (c smallCase) sim(t *testing.T) *Simulator {
	t.Helper()
	shots := []Shot{
		{Source: Point{1, 1}, Receivers: []Point{{1, 0}, {1, c.nx / 2}, {c.nz - 2, c.nx - 1}}},
		{Source: Point{c.nz / 2, c.nx - 2}, Receivers: []Point{{0, 0}, {2, c.nx / 3}, {c.nz - 1, 1}}},
	}
	s, err := NewSimulator(Grid{Nz: c.nz, Nx: c.nx, H: 10}, shots, Ricker(c.nt, 30, c.dt, 0.03),
		Options{Order: c.order, NB: c.nb, Boundary: c.boundary, Dt: c.dt, Nt: c.nt, DampVelocity: 2000, Workers: 2, MemoryBudget: c.budget, Periodic: c.periodic})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var smallCases = []smallCase{
	{name: "o4-sponge", nz: 9, nx: 8, order: 4, nb: 6, dt: 1e-3, nt: 60},
	{name: "o2-devito", nz: 7, nx: 9, order: 2, nb: 5, boundary: Devito, dt: 1e-3, nt: 50},
	{name: "o8-nopml", nz: 10, nx: 10, order: 8, nb: 0, dt: 1e-3, nt: 40},
	{name: "o4-substeps", nz: 8, nx: 8, order: 4, nb: 12, dt: 4e-3, nt: 25},
	{name: "o4-checkpoint", nz: 8, nx: 9, order: 4, nb: 6, dt: 1e-3, nt: 61, budget: 1},
	// periodic padded grids (the OpenFWI preset's torch.roll edges): thin
	// layers so that the waves wrap around many times
	{name: "o4-periodic", nz: 9, nx: 8, order: 4, nb: 6, dt: 1e-3, nt: 60, periodic: true},
	{name: "o8-periodic-checkpoint", nz: 8, nx: 9, order: 8, nb: 4, boundary: Devito, dt: 1e-3, nt: 61, budget: 1, periodic: true},
}

// smoothField returns a seeded smooth random field on nz×nx: a sum of a few
// low-wavenumber cosines.
func smoothField(rng *rand.Rand, nz, nx int, amp float64) []float64 {
	f := make([]float64, nz*nx)
	for k := 0; k < 4; k++ {
		kz, kx := rng.Float64()*2, rng.Float64()*2
		ph := rng.Float64() * 2 * math.Pi
		a := amp * (rng.Float64() - 0.5)
		for z := 0; z < nz; z++ {
			for x := 0; x < nx; x++ {
				f[z*nx+x] += a * math.Cos(math.Pi*(kz*float64(z)/float64(nz)+kx*float64(x)/float64(nx))+ph)
			}
		}
	}
	return f
}

func misfit64(t *testing.T, s *Simulator, v, dObs []float64, shots []int) float64 {
	t.Helper()
	r, err := newRun[float64](s, v)
	if err != nil {
		t.Fatal(err)
	}
	list, _ := s.shotList(shots)
	d := make([]float64, s.DataLen(len(list)))
	if err := r.forward(context.Background(), list, d); err != nil {
		t.Fatal(err)
	}
	per := s.opts.Nt * s.nrec
	var j float64
	for p, si := range list {
		for i := 0; i < per; i++ {
			e := d[p*per+i] - dObs[si*per+i]
			j += 0.5 * e * e
		}
	}
	return j
}

// TestGradientFiniteDifference checks ∂J/∂v from the discrete adjoint against
// central differences of J along random smooth directions (float64).
func TestGradientFiniteDifference(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range smallCases {
		t.Run(c.name, func(t *testing.T) {
			s := c.sim(t)
			rng := rand.New(rand.NewPCG(1, 2))
			n := c.nz * c.nx
			vTrue, v0 := make([]float64, n), make([]float64, n)
			pert := smoothField(rng, c.nz, c.nx, 400)
			for i := range vTrue {
				vTrue[i] = 2000 + 300*float64(i/c.nx)/float64(c.nz)
				v0[i] = vTrue[i] + pert[i]
			}
			r, err := newRun[float64](s, vTrue)
			if err != nil {
				t.Fatal(err)
			}
			dObs := make([]float64, s.DataLen(s.NumShots()))
			if err := r.forward(ctx, nil2all(s), dObs); err != nil {
				t.Fatal(err)
			}
			for _, shots := range [][]int{nil, {1}} {
				g := make([]float64, n)
				j0, err := gradient(ctx, s, v0, dObs, shots, g)
				if err != nil {
					t.Fatal(err)
				}
				if jj := misfit64(t, s, v0, dObs, shots); math.Abs(jj-j0) > 1e-12*jj {
					t.Fatalf("misfit %g from Gradient, %g from Forward", j0, jj)
				}
				for trial := 0; trial < 2; trial++ {
					dir := smoothField(rng, c.nz, c.nx, 1)
					const eps = 1e-2 // m/s
					vp, vm := make([]float64, n), make([]float64, n)
					for i := range v0 {
						vp[i], vm[i] = v0[i]+eps*dir[i], v0[i]-eps*dir[i]
					}
					fd := (misfit64(t, s, vp, dObs, shots) - misfit64(t, s, vm, dObs, shots)) / (2 * eps)
					var an float64
					for i := range g {
						an += g[i] * dir[i]
					}
					if rel := math.Abs(fd-an) / math.Abs(fd); !(rel < 1e-6) {
						t.Errorf("shots %v trial %d: adjoint %.10g, finite difference %.10g, rel. diff %.2g", shots, trial, an, fd, rel)
					}
				}
			}
		})
	}
}

func nil2all(s *Simulator) []int { l, _ := s.shotList(nil); return l }

// TestCheckpointMatchesFullStorage: recomputing segments from checkpoints
// must give exactly the gradient of full storage.
func TestCheckpointMatchesFullStorage(t *testing.T) {
	t.Parallel()
	c := smallCases[0]
	c.nt = 77
	full := c.sim(t)
	c.budget = 1
	ck := c.sim(t)
	rng := rand.New(rand.NewPCG(3, 4))
	n := c.nz * c.nx
	v := make([]float64, n)
	for i := range v {
		v[i] = 2500 + 200*rng.Float64()
	}
	dObs := make([]float64, full.DataLen(full.NumShots()))
	for i := range dObs {
		dObs[i] = rng.NormFloat64() * 1e-3
	}
	g1, g2 := make([]float64, n), make([]float64, n)
	if _, err := gradient(context.Background(), full, v, dObs, nil, g1); err != nil {
		t.Fatal(err)
	}
	if _, err := gradient(context.Background(), ck, v, dObs, nil, g2); err != nil {
		t.Fatal(err)
	}
	tp := newTape[float64](full, 77, 100, 1, 1, false)
	if tp.nseg < 2 {
		t.Fatalf("budget 1 byte gave %d segments; the test needs checkpointing", tp.nseg)
	}
	for i := range g1 {
		if g1[i] != g2[i] {
			t.Fatalf("cell %d: full storage %g, checkpointed %g", i, g1[i], g2[i])
		}
	}
}

// TestBalancedBackpropMatches: with 3 shots on 2 workers the row-band
// schedule runs Gradient and the extended Born adjoint; it must agree with
// the one-worker shot schedule (float64, rounding only).
func TestBalancedBackpropMatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range smallCases {
		t.Run(c.name, func(t *testing.T) {
			mk := func(workers int) *Simulator {
				shots := []Shot{
					{Source: Point{1, 1}, Receivers: []Point{{1, 0}, {1, c.nx / 2}, {c.nz - 2, c.nx - 1}}},
					{Source: Point{c.nz / 2, c.nx - 2}, Receivers: []Point{{0, 0}, {2, c.nx / 3}, {c.nz - 1, 1}}},
					{Source: Point{c.nz - 1, 2}, Receivers: []Point{{3, 3}, {c.nz - 1, c.nx - 1}, {0, c.nx - 1}}},
				}
				s, err := NewSimulator(Grid{Nz: c.nz, Nx: c.nx, H: 10}, shots, Ricker(c.nt, 30, c.dt, 0.03),
					Options{Order: c.order, NB: c.nb, Boundary: c.boundary, Dt: c.dt, Nt: c.nt, DampVelocity: 2000, Workers: workers, MemoryBudget: c.budget, Periodic: c.periodic})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			one, two := mk(1), mk(2)
			rng := rand.New(rand.NewPCG(5, 6))
			n := c.nz * c.nx
			v := make([]float64, n)
			for i := range v {
				v[i] = 2100 + 400*rng.Float64()
			}
			dObs := randn(rng, one.DataLen(3))
			for _, offsets := range [][]int{nil, {-1, 0, 2}} {
				run := func(s *Simulator) (float64, [][]float64) {
					nimg := max(1, len(offsets))
					g := make([][]float64, nimg)
					for k := range g {
						g[k] = make([]float64, n)
					}
					var j float64
					var err error
					if offsets == nil {
						j, err = gradient(ctx, s, v, dObs, []int{2, 0, 1}, g[0])
					} else {
						err = bornAdjointT(ctx, s, v, dObs, []int{2, 0, 1}, offsets, g)
					}
					if err != nil {
						t.Fatal(err)
					}
					return j, g
				}
				j1, g1 := run(one)
				j2, g2 := run(two)
				if math.Abs(j1-j2) > 1e-12*math.Abs(j1) {
					t.Errorf("offsets %v: misfit %g (1 worker) vs %g (balanced)", offsets, j1, j2)
				}
				for k := range g1 {
					var num, den float64
					for i := range g1[k] {
						num += (g1[k][i] - g2[k][i]) * (g1[k][i] - g2[k][i])
						den += g1[k][i] * g1[k][i]
					}
					if !(den > 0) || math.Sqrt(num/den) > 1e-12 {
						t.Errorf("offsets %v image %d: relative difference %.3g (norm² %g)", offsets, k, math.Sqrt(num/den), den)
					}
				}
			}
		})
	}
}

// TestStreamedTapeKernel: the non-temporal tape kernel (C build) computes the
// same step and the same stored Laplacian bit for bit as the regular kernel,
// and writes zeros in the halo columns of the rows it stores (never data).
func TestStreamedTapeKernel(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, order := range []int{2, 4, 8} {
		r, field := kernelFixture(t, 23, 37, 20, order, rng)
		c := &r.c
		p0, p1 := field(), field()
		q0 := append([]float32(nil), p0...)
		ws1, ws2 := make([]float32, r.fields), make([]float32, r.fields)
		for i := range ws2 {
			ws2[i] = 7 // the halo columns of the stored rows must come back 0
		}
		// an odd band of rows, so that the streamed region starts unaligned
		z0, z1 := c.hw+3, c.hw+c.nzp-2
		stepForward(c, p0, p1, ws1, z0, z1)
		stepTape(c, q0, p1, ws2, z0, z1, true)
		for i := range p0 {
			if p0[i] != q0[i] {
				t.Fatalf("order %d cell %d: step %g, streamed step %g", order, i, p0[i], q0[i])
			}
			z, x := i/c.stride, i%c.stride
			inRows, inCols := z >= z0 && z < z1, x >= c.hw && x < c.hw+c.nxp
			switch {
			case inRows && inCols && ws1[i] != ws2[i]:
				t.Fatalf("order %d cell %d: Laplacian %g, streamed %g", order, i, ws1[i], ws2[i])
			case haveCKernel && inRows && !inCols && ws2[i] != 0:
				t.Fatalf("order %d halo cell %d: streamed store left %g, want 0", order, i, ws2[i])
			case !inRows && ws2[i] != 7:
				t.Fatalf("order %d cell %d outside the rows was written (%g)", order, i, ws2[i])
			}
		}
	}
}

// TestStreamedGradientMatches: float32 gradients with the tape streamed
// (non-temporal stores), with the zero rows skipped (tape.cone) and with the
// fused two-step kernels equal those with regular stores of every row, one
// step at a time, bit for bit, for the shot-parallel and the row-band
// schedules, with and without checkpointing, and for odd and even step
// counts (an odd count leaves a single step at the end of each sweep).
func TestStreamedGradientMatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, periodic := range []bool{false, true} {
		c := smallCases[0]
		for _, nt := range []int{c.nt, c.nt + 1} {
			for _, nshot := range []int{2, 3} {
				for _, budget := range []int64{0, 1} {
					c.nt = nt
					shots := []Shot{
						{Source: Point{1, 1}, Receivers: []Point{{1, 0}, {1, c.nx / 2}, {c.nz - 2, c.nx - 1}}},
						{Source: Point{c.nz / 2, c.nx - 2}, Receivers: []Point{{0, 0}, {2, c.nx / 3}, {c.nz - 1, 1}}},
						{Source: Point{c.nz - 1, 2}, Receivers: []Point{{3, 3}, {c.nz - 1, c.nx - 1}, {0, c.nx - 1}}},
					}[:nshot]
					s, err := NewSimulator(Grid{Nz: c.nz, Nx: c.nx, H: 10}, shots, Ricker(c.nt, 30, c.dt, 0.03),
						Options{Order: 4, NB: c.nb, Dt: c.dt, Nt: c.nt, DampVelocity: 2000, Workers: 2, MemoryBudget: budget, Periodic: periodic})
					if err != nil {
						t.Fatal(err)
					}
					rng := rand.New(rand.NewPCG(7, 8))
					n := c.nz * c.nx
					v := make([]float32, n)
					for i := range v {
						v[i] = float32(2500 + 200*rng.Float64())
					}
					dObs := make([]float32, s.DataLen(nshot))
					for i := range dObs {
						dObs[i] = float32(rng.NormFloat64() * 1e-3)
					}
					g1, g2 := make([]float32, n), make([]float32, n)
					s.tune = tuning{streamMin: math.MaxInt64, cone: false, fuse: false}
					j1, err := s.Gradient(ctx, v, dObs, nil, g1)
					if err != nil {
						t.Fatal(err)
					}
					nz := 0
					for i := range g1 {
						if g1[i] != 0 {
							nz++
						}
					}
					if nz == 0 {
						t.Fatalf("%d shots, budget %d: zero gradient", nshot, budget)
					}
					for _, v2 := range []struct {
						stream     int64
						cone, fuse bool
					}{{0, false, false}, {math.MaxInt64, true, false}, {0, true, false}, {math.MaxInt64, false, true},
						{math.MaxInt64, true, true}, {0, true, true}} {
						s.tune = tuning{streamMin: v2.stream, cone: v2.cone, fuse: v2.fuse}
						j2, err := s.Gradient(ctx, v, dObs, nil, g2)
						if err != nil {
							t.Fatal(err)
						}
						if j1 != j2 {
							t.Fatalf("%d shots, budget %d, %+v: misfit %g, want %g", nshot, budget, v2, j2, j1)
						}
						for i := range g1 {
							if g1[i] != g2[i] {
								t.Fatalf("periodic %v, nt %d, %d shots, budget %d, %+v, cell %d: %g, want %g", periodic, nt, nshot, budget, v2, i, g2[i], g1[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestBarrierStop: a stop requested in generation g is honoured after the
// barrier of g by every worker, and a worker that reads it late (after the
// request was made) does not stop one generation early.
func TestBarrierStop(t *testing.T) {
	t.Parallel()
	b := newBarrier(2)
	p := &party{b: b, gen: 4}
	if b.stopped(3) || b.stopped(4) {
		t.Fatal("stop before any request")
	}
	p.stop(context.Canceled)
	p.gen = 7
	p.stop(errors.New("later")) // the first request wins
	if b.stopped(3) {
		t.Fatal("a late reader of generation 3 stops although the request is for generation 4")
	}
	if !b.stopped(4) || !b.stopped(5) {
		t.Fatal("request for generation 4 not seen at generation 4")
	}
	if err := b.err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("cause %v, want context.Canceled", err)
	}
}

// TestBarrierMisuse: when one worker waits more often than the others, the
// crew stops with an error instead of leaving the extra waiter spinning, and
// a crew that waits equally often passes.
func TestBarrierMisuse(t *testing.T) {
	t.Parallel()
	c := &coef[float32]{hw: 2, nzp: 40}
	for _, extra := range []int{0, 1, 3} {
		done := make(chan error)
		go func() {
			done <- crew(context.Background(), c, 3, func(ln *lane[float32]) {
				n := 50
				if ln.w == 1 {
					n += extra
				}
				for range n {
					if !ln.sync() {
						return
					}
				}
			})
		}()
		select {
		case err := <-done:
			if (err != nil) != (extra != 0) {
				t.Fatalf("worker 1 waits %d extra times: error %v", extra, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("worker 1 waits %d extra times: the crew hangs", extra)
		}
	}
}

// TestCancelBalancedGradient cancels row-band gradients (3 shots on 2
// workers) at varying moments; every call must return (a worker that stopped
// one phase early used to leave the other spinning at a barrier forever).
func TestCancelBalancedGradient(t *testing.T) {
	t.Parallel()
	c := smallCases[0]
	c.nt = 400
	shots := []Shot{
		{Source: Point{1, 1}, Receivers: []Point{{1, 0}}},
		{Source: Point{4, 4}, Receivers: []Point{{0, 0}}},
		{Source: Point{7, 2}, Receivers: []Point{{3, 3}}},
	}
	s, err := NewSimulator(Grid{Nz: c.nz, Nx: c.nx, H: 10}, shots, Ricker(c.nt, 30, c.dt, 0.03),
		Options{Order: 4, NB: c.nb, Dt: c.dt, Nt: c.nt, DampVelocity: 2000, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, c.nz*c.nx)
	for i := range v {
		v[i] = 2500
	}
	dObs := make([]float32, s.DataLen(3))
	g := make([]float32, len(v))
	done := make(chan error)
	for i := 0; i < 60; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			_, err := s.Gradient(ctx, v, dObs, nil, g)
			done <- err
		}()
		for k := 0; k < i*50; k++ {
			runtime.Gosched()
		}
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("gradient %d did not return after cancellation", i)
		}
	}
}

// TestTapeBF16: with Options.TapeBF16 the gradient stays within ~1e-3 of the
// exact one (relative L2) but differs from it (the tape really is bfloat16),
// and every schedule and variant (shot-parallel and row bands, full storage
// and checkpointing, streamed, cones, fused pairs) gives the same bfloat16
// gradient bit for bit, as they do for the float32 tape.
func TestTapeBF16(t *testing.T) {
	t.Parallel()
	if !haveAVX512 {
		t.Skip("the bfloat16 tape needs the AVX-512 kernels")
	}
	ctx := context.Background()
	c := smallCases[0]
	for _, nshot := range []int{2, 3} {
		shots := []Shot{
			{Source: Point{1, 1}, Receivers: []Point{{1, 0}, {1, c.nx / 2}, {c.nz - 2, c.nx - 1}}},
			{Source: Point{c.nz / 2, c.nx - 2}, Receivers: []Point{{0, 0}, {2, c.nx / 3}, {c.nz - 1, 1}}},
			{Source: Point{c.nz - 1, 2}, Receivers: []Point{{3, 3}, {c.nz - 1, c.nx - 1}, {0, c.nx - 1}}},
		}[:nshot]
		rng := rand.New(rand.NewPCG(9, 10))
		n := c.nz * c.nx
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(2500 + 200*rng.Float64())
		}
		var ref []float32 // the first bfloat16 gradient
		for _, budget := range []int64{0, 1} {
			o := Options{Order: 4, NB: c.nb, Dt: c.dt, Nt: c.nt, DampVelocity: 2000, Workers: 2, MemoryBudget: budget}
			exact, err := NewSimulator(Grid{Nz: c.nz, Nx: c.nx, H: 10}, shots, Ricker(c.nt, 30, c.dt, 0.03), o)
			if err != nil {
				t.Fatal(err)
			}
			o.TapeBF16 = true
			s16, err := NewSimulator(Grid{Nz: c.nz, Nx: c.nx, H: 10}, shots, Ricker(c.nt, 30, c.dt, 0.03), o)
			if err != nil {
				t.Fatal(err)
			}
			dObs := make([]float32, exact.DataLen(nshot))
			drng := rand.New(rand.NewPCG(11, 12))
			for i := range dObs {
				dObs[i] = float32(drng.NormFloat64() * 1e-3)
			}
			ge, g16 := sameMisfitGradients(t, fmt.Sprintf("%d shots, budget %d: with the bfloat16 tape", nshot, budget), exact, s16, v, dObs)
			var num, den float64
			for i := range ge {
				d := float64(g16[i] - ge[i])
				num += d * d
				den += float64(ge[i]) * float64(ge[i])
			}
			rel := math.Sqrt(num / den)
			t.Logf("%d shots, budget %d: relative L2 difference to the exact gradient %.2e", nshot, budget, rel)
			if !(rel > 1e-6 && rel < 5e-3) {
				t.Fatalf("%d shots, budget %d: relative difference %g, want in (1e-6, 5e-3)", nshot, budget, rel)
			}
			if ref == nil {
				ref = append([]float32(nil), g16...)
			}
			for _, v2 := range []struct {
				stream     int64
				cone, fuse bool
			}{{math.MaxInt64, false, false}, {0, true, false}, {math.MaxInt64, true, true}, {0, false, true}} {
				s16.tune = tuning{streamMin: v2.stream, cone: v2.cone, fuse: v2.fuse}
				g2 := make([]float32, n)
				if _, err := s16.Gradient(ctx, v, dObs, nil, g2); err != nil {
					t.Fatal(err)
				}
				for i := range ref {
					if g2[i] != ref[i] {
						t.Fatalf("%d shots, budget %d, %+v, cell %d: %g, want %g", nshot, budget, v2, i, g2[i], ref[i])
					}
				}
			}
		}
	}
}

// TestTapeBF16Values: the C kernels store bfloat16 Laplacians (rounded to
// nearest even) in the layout tape.at decodes: every interior value read back
// equals the float32 Laplacian of the same step rounded in Go.
func TestTapeBF16Values(t *testing.T) {
	t.Parallel()
	if !haveAVX512 {
		t.Skip("the bfloat16 tape needs the AVX-512 kernels")
	}
	rng := rand.New(rand.NewPCG(13, 14))
	for _, order := range []int{2, 4, 8} {
		r, field := kernelFixture(t, 19, 29, 7, order, rng)
		c := &r.c
		p1 := field()
		p0, q0 := make([]float32, r.fields), make([]float32, r.fields)
		w32 := make([]float32, r.fields)
		stepForward(c, p0, p1, w32, c.hw, c.hw+c.nzp)
		for _, stream := range []bool{false, true} {
			c16 := *c
			c16.tape16 = true
			w16 := make([]float32, r.fields/2)
			clear(q0)
			stepTape(&c16, q0, p1, w16, c.hw, c.hw+c.nzp, stream)
			tp := &tape[float32]{t16: true}
			for z := c.hw; z < c.hw+c.nzp; z++ {
				for x := c.hw; x < c.hw+c.nxp; x++ {
					ix := z*c.stride + x
					u := math.Float32bits(w32[ix])
					u += 0x7FFF + (u>>16)&1
					want := math.Float32frombits(u &^ 0xFFFF)
					if got := tp.at(w16, ix); got != want {
						t.Fatalf("order %d, stream %v, cell (%d, %d): read back %g, want %g (float32 %g)", order, stream, z, x, got, want, w32[ix])
					}
					if q0[ix] != p0[ix] {
						t.Fatalf("order %d, stream %v, cell (%d, %d): the step itself changed: %g vs %g", order, stream, z, x, q0[ix], p0[ix])
					}
				}
			}
		}
	}
}

// TestGradientMisfitMatchesGradient: the least-squares misfit through the
// GradientMisfit hook gives Gradient's misfit and gradient bit for bit, and a
// scaled misfit scales both.
func TestGradientMisfitMatchesGradient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := smallCases[0]
	s := c.sim(t)
	rng := rand.New(rand.NewPCG(3, 4))
	n := c.nz * c.nx
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(2200 + 300*rng.Float64())
	}
	dObs := make([]float32, s.DataLen(s.NumShots()))
	for i := range dObs {
		dObs[i] = float32(rng.NormFloat64() * 1e-3)
	}
	per := s.DataLen(1)
	for _, shots := range [][]int{nil, {1}} {
		g1, g2, g3 := make([]float32, n), make([]float32, n), make([]float32, n)
		j1, err := s.Gradient(ctx, v, dObs, shots, g1)
		if err != nil {
			t.Fatal(err)
		}
		l2 := func(scale float32) Misfit {
			return func(shot int, d []float32) float64 {
				obs := dObs[shot*per : (shot+1)*per]
				var j float64
				for i := range d {
					d[i] -= obs[i]
					j += 0.5 * float64(d[i]) * float64(d[i])
					d[i] *= scale
				}
				return float64(scale) * j
			}
		}
		j2, err := s.GradientMisfit(ctx, v, shots, l2(1), g2)
		if err != nil {
			t.Fatal(err)
		}
		if j1 != j2 {
			t.Errorf("shots %v: misfit %g, Gradient %g", shots, j2, j1)
		}
		for i := range g1 {
			if g1[i] != g2[i] {
				t.Fatalf("shots %v cell %d: %g, Gradient %g", shots, i, g2[i], g1[i])
			}
		}
		j3, err := s.GradientMisfit(ctx, v, shots, l2(2), g3)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(j3-2*j1) > 1e-12*j1 {
			t.Errorf("shots %v: scaled misfit %g, want %g", shots, j3, 2*j1)
		}
		for i := range g1 {
			if math.Abs(float64(g3[i]-2*g1[i])) > 1e-5*math.Abs(float64(g1[i]))+1e-30 {
				t.Fatalf("shots %v cell %d: scaled gradient %g, want %g", shots, i, g3[i], 2*g1[i])
			}
		}
	}
}

// TestRowBandsMatchOneWorker: the row-band gradient (3 shots on 2 workers)
// sums the same products in the same order as one worker running the shots
// one after the other, so the float32 gradients agree bit for bit, on a
// rigid and on a periodic grid.
func TestRowBandsMatchOneWorker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range []smallCase{smallCases[0], smallCases[5]} {
		grads := make([][]float32, 2)
		misfits := make([]float64, 2)
		for i, workers := range []int{1, 2} {
			shots := []Shot{
				{Source: Point{1, 1}, Receivers: []Point{{1, 0}, {1, c.nx / 2}, {c.nz - 2, c.nx - 1}}},
				{Source: Point{c.nz / 2, c.nx - 2}, Receivers: []Point{{0, 0}, {2, c.nx / 3}, {c.nz - 1, 1}}},
				{Source: Point{c.nz - 1, 2}, Receivers: []Point{{3, 3}, {c.nz - 1, c.nx - 1}, {0, c.nx - 1}}},
			}
			s, err := NewSimulator(Grid{Nz: c.nz, Nx: c.nx, H: 10}, shots, Ricker(c.nt, 30, c.dt, 0.03),
				Options{Order: c.order, NB: c.nb, Dt: c.dt, Nt: c.nt, DampVelocity: 2000, Workers: workers, Periodic: c.periodic})
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(15, 16))
			v := make([]float32, c.nz*c.nx)
			for k := range v {
				v[k] = float32(2500 + 200*rng.Float64())
			}
			dObs := make([]float32, s.DataLen(3))
			for k := range dObs {
				dObs[k] = float32(rng.NormFloat64() * 1e-3)
			}
			grads[i] = make([]float32, len(v))
			if misfits[i], err = s.Gradient(ctx, v, dObs, nil, grads[i]); err != nil {
				t.Fatal(err)
			}
		}
		if misfits[0] != misfits[1] {
			t.Fatalf("%s: misfit %g with one worker, %g on row bands", c.name, misfits[0], misfits[1])
		}
		for k := range grads[0] {
			if grads[0][k] != grads[1][k] {
				t.Fatalf("%s: cell %d: %g with one worker, %g on row bands", c.name, k, grads[0][k], grads[1][k])
			}
		}
	}
}
