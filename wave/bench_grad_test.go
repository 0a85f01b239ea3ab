package wave

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkGradientVariants times Gradient on the OpenFWI geometry (a layered
// model, 5 shots, all cores) for the tape variants of adjoint.go: memory budget
// (MiB), shots in flight in the row-band schedule, non-temporal stores, zero
// cones, shot-parallel split of the shots that divide among the workers
// (splitShots) and fused two-step kernels (useFuse), after one warm-up call
// (buffers cached).
func BenchmarkGradientVariants(b *testing.B) {
	v := make([]float32, OpenFWIModel)
	for i := range v {
		v[i] = 1500 + float32(i/70)*40
	}
	obs := make([]float32, OpenFWISample)
	if err := OpenFWIForward(context.Background(), v, obs, 0); err != nil {
		b.Fatal(err)
	}
	for i := range v {
		v[i] += 50
	}
	fs, err := NewOpenFWI(0)
	if err != nil {
		b.Fatal(err)
	}
	syn := make([]float32, OpenFWISample)
	b.Run("forward", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := fs.Forward(context.Background(), v, syn); err != nil {
				b.Fatal(err)
			}
		}
	})
	type cfg struct {
		mb     int64
		grp    int
		stream bool
		cone   bool
		split  bool
		fuse   bool
	}
	cfgs := []cfg{{512, 1, true, true, false, false}, {512, 1, true, true, false, true},
		{32, 1, false, true, false, false}, {32, 1, false, true, false, true}, {512, 1, true, true, true, true}}
	for _, c := range cfgs {
		b.Run(fmt.Sprintf("b%d-g%d-stream%v-cone%v-split%v-fuse%v", c.mb, c.grp, c.stream, c.cone, c.split, c.fuse), func(b *testing.B) {
			groupShots, useCone, splitShots, useFuse = c.grp, c.cone, c.split, c.fuse
			streamMin = 1 << 62
			if c.stream {
				streamMin = 32 << 20
			}
			o := OpenFWIOptions(0)
			o.MemoryBudget = c.mb << 20
			s, err := NewSimulator(Grid{Nz: 70, Nx: 70, H: 10}, OpenFWIGeometry(), RickerOpenFWI(OpenFWINt, 15, 1e-3), o)
			if err != nil {
				b.Fatal(err)
			}
			g := make([]float32, OpenFWIModel)
			if _, err := s.Gradient(context.Background(), v, obs, nil, g); err != nil { // warm buffers
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.Gradient(context.Background(), v, obs, nil, g); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			s.FreeBuffers()
		})
	}
	groupShots, useCone, streamMin, splitShots, useFuse = 1, true, 32<<20, false, true
}

// BenchmarkGradientSweeps times the sweeps of one OpenFWI shot's gradient on
// one thread (forward with tape, adjoint sweep including the recompute of
// checkpointed segments, and the adjoint without imaging), with and without
// the fused two-step kernels, for full storage (512 MiB) and a 32 MiB
// budget. The plain forward of the same shot is the reference.
func BenchmarkGradientSweeps(b *testing.B) {
	v := make([]float32, OpenFWIModel)
	for i := range v {
		v[i] = 1550 + float32(i/70)*40
	}
	s, err := NewOpenFWI(1)
	if err != nil {
		b.Fatal(err)
	}
	r, err := newRun[float32](s, toF64(v))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	p0, p1 := getBuf[float32](s, r.fields), getBuf[float32](s, r.fields)
	l0, l1 := getBuf[float32](s, r.fields), getBuf[float32](s, r.fields)
	g := getBuf[float32](s, r.fields)
	d := make([]float32, OpenFWISample/OpenFWIShots)
	const shot = 2
	run := func(name string, f func()) {
		b.Run(name, func(b *testing.B) {
			f() // warm up
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f()
			}
		})
	}
	defer func() { useFuse = true }()
	for _, fuse := range []bool{false, true} {
		useFuse = fuse
		run(fmt.Sprintf("forward-fuse%v", fuse), func() { r.forwardShot(ctx, shot, p0, p1, d, nil) })
		for _, mb := range []int64{512, 32} {
			tp := newTape[float32](s, r.N, r.fields, mb<<20, 1, false)
			tp.begin(&r.c, r.src[shot], r.rec[shot], true)
			run(fmt.Sprintf("tape-b%d-fuse%v", mb, fuse), func() { r.forwardShot(ctx, shot, p0, p1, d, tp) })
			run(fmt.Sprintf("adjoint-b%d-fuse%v", mb, fuse), func() { r.adjointShot(ctx, shot, tp, d, l0, l1, p0, p1, g, nil) })
			run(fmt.Sprintf("adjoint-noimage-b%d-fuse%v", mb, fuse), func() { r.adjointShot(ctx, shot, tp, d, l0, l1, p0, p1, nil, nil) })
			tp.release(s)
		}
	}
}
