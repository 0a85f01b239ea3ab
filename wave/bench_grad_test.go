package wave

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkGradientVariants times Gradient on the OpenFWI geometry (a layered
// model, 5 shots, all cores) for the tape variants of adjoint.go: memory budget
// (MiB), non-temporal stores, zero cones and fused two-step kernels
// (tuning), after one warm-up call (buffers cached).
func BenchmarkGradientVariants(b *testing.B) {
	v, obs := layeredOpenFWI(b)
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
		mb                 int64
		stream, cone, fuse bool
	}
	cfgs := []cfg{{512, true, true, false}, {512, true, true, true}, {32, false, true, false}, {32, false, true, true}}
	for _, c := range cfgs {
		b.Run(fmt.Sprintf("b%d-stream%v-cone%v-fuse%v", c.mb, c.stream, c.cone, c.fuse), func(b *testing.B) {
			o := OpenFWIOptions(0)
			o.MemoryBudget = c.mb << 20
			s, err := NewSimulator(Grid{Nz: 70, Nx: 70, H: 10}, OpenFWIGeometry(), RickerOpenFWI(OpenFWINt, 15, 1e-3), o)
			if err != nil {
				b.Fatal(err)
			}
			s.tune = tuning{streamMin: 1 << 62, cone: c.cone, fuse: c.fuse}
			if c.stream {
				s.tune.streamMin = 32 << 20
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
	ctx := context.Background()
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
	for _, fuse := range []bool{false, true} {
		s.tune.fuse = fuse
		r, err := newRun[float32](s, toF64(v))
		if err != nil {
			b.Fatal(err)
		}
		ln := newLane(ctx, &r.c, 0, 1, nil)
		fw := r.newSweep(nil, nil)
		d := make([]float32, OpenFWISample/OpenFWIShots)
		run(fmt.Sprintf("forward-fuse%v", fuse), func() { fw.start(shot, d); fw.forwardPass(ln) })
		fw.release()
		for _, mb := range []int64{512, 32} {
			for _, image := range []bool{true, false} {
				tp := newTape[float32](s, r.N, r.fields, mb<<20, 1, false)
				im := r.newImages(r.newImageSpec(nil))
				if !image {
					im.plain = nil
				}
				sw := r.newSweep(tp, im)
				sw.start(shot, nil)
				if image {
					run(fmt.Sprintf("tape-b%d-fuse%v", mb, fuse), func() { sw.start(shot, nil); sw.forwardPass(ln) })
				} else {
					sw.forwardPass(ln)
				}
				name := fmt.Sprintf("adjoint-b%d-fuse%v", mb, fuse)
				if !image {
					name = fmt.Sprintf("adjoint-noimage-b%d-fuse%v", mb, fuse)
				}
				run(name, func() { clear(sw.M[0]); clear(sw.M[1]); sw.backwardPass(ln) })
				sw.release()
				im.release(s)
			}
		}
	}
}
