package nn

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"genfwi/autograd"
	"genfwi/tensor"
)

// BenchmarkRefAETrainStep times one training step of the nn-refae model
// (batch 16×1×64×64, MSE, Adam) under two threading strategies:
// "engine" — the engine's goroutines parallelise over the batch, each
// running a single-threaded OpenBLAS GEMM (the default); "blas" — the
// engine runs sequentially and OpenBLAS uses GOMAXPROCS threads inside each
// GEMM.
func BenchmarkRefAETrainStep(b *testing.B) {
	for _, mode := range []string{"engine", "blas"} {
		b.Run(mode, func(b *testing.B) {
			if mode == "blas" {
				tensor.SetThreads(1)
				tensor.SetBLASThreads(runtime.GOMAXPROCS(0))
				defer func() { tensor.SetThreads(0); tensor.SetBLASThreads(1) }()
			}
			rng := rand.New(rand.NewPCG(1, 2))
			m := NewRefAE(rng)
			a := NewArena(m.Params())
			opt := NewAdam()
			tp := autograd.NewTape()
			x, y := tensor.Randn(rng, 1, 16, 1, 64, 64), tensor.Randn(rng, 1, 16, 1, 64, 64)
			step := func() {
				tp.Reset()
				a.ZeroGrad()
				l := autograd.MSE(m.Forward(tp.Const(x)), tp.Const(y))
				autograd.Backward(l)
				opt.Step(a, 1e-3)
			}
			step() // allocate the tape's buffers
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				step()
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/step")
		})
	}
}
