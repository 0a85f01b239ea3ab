package wave

import (
	"context"
	"fmt"
	"math"
	"testing"
)

// TestBlockedCorrelationsMatchReference: the production route of the
// extended Born adjoint — shifted correlations added in blocks of steps
// (tuning.corrBlock) and a tape kept only on the rows the cropped images
// read (sweep.tz0) — gives the gathers of the reference route (one step at
// a time, every row stored) bit for bit, in float32 (C kernels when
// compiled in) and float64, shot-parallel and on row bands, with full
// storage and checkpointing, periodic or not, cropped or not, with blocks
// that do not divide the steps or the segments, and on a grid wider than
// one 64-column chunk of the AVX-512 kernel.
func TestBlockedCorrelationsMatchReference(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := append([]smallCase{{name: "o8-wide", nz: 6, nx: 75, order: 8, nb: 6, boundary: Devito, dt: 1e-3, nt: 37}}, smallCases...)
	for _, c := range cases {
		for _, crop := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s-crop%v", c.name, crop), func(t *testing.T) {
				t.Parallel()
				s, v, rng := bornSetup(t, c)
				s.opts.CropImages = crop
				n := c.nz * c.nx
				offsets := []int{-7, -3, -1, 0, 2, 5}
				dd := randn(rng, s.DataLen(s.NumShots()))
				v32, dd32 := float32s(v), float32s(dd)
				ref := defaultTuning()
				ref.corrBlock, ref.tapeAll = 0, true
				for _, shots := range [][]int{nil, {1}} { // {1}: row bands on 2 workers
					s.tune = ref
					want32 := make([]float32, len(offsets)*n)
					if err := s.ExtendedBornAdjoint(ctx, v32, dd32, shots, offsets, want32); err != nil {
						t.Fatal(err)
					}
					want64 := bornImages(t, s, v, dd, shots, offsets)
					for _, block := range []int{1, 3, 8, 16} {
						s.tune = defaultTuning()
						s.tune.corrBlock = block
						got32 := make([]float32, len(offsets)*n)
						if err := s.ExtendedBornAdjoint(ctx, v32, dd32, shots, offsets, got32); err != nil {
							t.Fatal(err)
						}
						for i := range got32 {
							if math.Float32bits(got32[i]) != math.Float32bits(want32[i]) {
								t.Fatalf("shots %v, block %d: float32 gather %d (offset %d) is %g, reference %g",
									shots, block, i, offsets[i/n], got32[i], want32[i])
							}
						}
						got64 := bornImages(t, s, v, dd, shots, offsets)
						for k := range got64 {
							for i := range got64[k] {
								if got64[k][i] != want64[k][i] {
									t.Fatalf("shots %v, block %d: float64 gather %d at %d is %g, reference %g",
										shots, block, offsets[k], i, got64[k][i], want64[k][i])
								}
							}
						}
					}
				}
			})
		}
	}
}

// TestWithShots: a simulator made by WithShots computes what NewSimulator
// with those shots computes, shares its parent's buffer cache, and checks
// the shots it is given.
func TestWithShots(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := smallCases[0]
	base := c.sim(t)
	v := make([]float32, c.nz*c.nx)
	for i := range v {
		v[i] = 2000 + float32(i%7)*50
	}
	shots := []Shot{{Source: Point{2, 3}, Receivers: []Point{{0, 0}, {1, 5}, {c.nz - 1, 2}}}}
	want, err := NewSimulator(Grid{Nz: c.nz, Nx: c.nx, H: 10}, shots, base.wavelet, base.opts)
	if err != nil {
		t.Fatal(err)
	}
	other, err := base.WithShots(shots)
	if err != nil {
		t.Fatal(err)
	}
	dw, do := make([]float32, want.DataLen(1)), make([]float32, other.DataLen(1))
	if err := want.Forward(ctx, v, dw); err != nil {
		t.Fatal(err)
	}
	if err := other.Forward(ctx, v, do); err != nil {
		t.Fatal(err)
	}
	for i := range dw {
		if dw[i] != do[i] {
			t.Fatalf("sample %d: WithShots gives %g, NewSimulator %g", i, do[i], dw[i])
		}
	}
	// the forward handed its fields back to the shared cache
	base.bufs.mu.Lock()
	n := 0
	for _, l := range base.bufs.free {
		n += len(l)
	}
	base.bufs.mu.Unlock()
	if n == 0 {
		t.Error("WithShots: the parent's cache holds no buffer after a call on the child")
	}
	if _, err := base.WithShots([]Shot{{Source: Point{c.nz, 0}}}); err == nil {
		t.Error("WithShots accepted a source outside the grid")
	}
}
