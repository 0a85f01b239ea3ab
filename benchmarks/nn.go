package benchmarks

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"genfwi/autograd"
	"genfwi/nn"
	"genfwi/tensor"
)

// The tensor-engine benchmark cases of docs/benchmarks.md: nn-refae (train
// step and forward of the reference autoencoder) and sgemm.

// nnBenchCases are the bench cases of bench_nn.go.
func nnBenchCases() []*Case {
	return []*Case{
		&Case{Name: "nn-refae", Short: "train step and forward of the 930 949-parameter reference autoencoder, batch 16×1×64×64", Run: benchRefAE},
		&Case{Name: "sgemm", Short: "float32 GEMM GFLOP/s at the four conv-sized shapes", Run: benchSGEMM},
	}
}

// median returns the median of xs (xs is sorted in place).
func median(xs []float64) float64 {
	sort.Float64s(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// peakRSSMB returns the process's peak resident set size in MB (getrusage).
func peakRSSMB() float64 {
	// VmHWM can be reset (resetPeakRSS); fall back to getrusage elsewhere.
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
				if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
					return kb / 1024
				}
			}
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return float64(ru.Maxrss) / 1024 // Linux reports KiB
}

// resetPeakRSS returns freed heap memory to the OS and restarts the peak-RSS
// count (Linux: "5" to /proc/self/clear_refs resets VmHWM to the current RSS),
// so that several configurations measured in one process each report their
// own peak instead of the largest so far. It reports whether the reset
// worked.
func resetPeakRSS() bool {
	debug.FreeOSMemory()
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

func benchRefAE(ctx context.Context, o *Options) (map[string]any, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	model := nn.NewRefAE(rng)
	arena := nn.NewArena(model.Params())
	if arena.NumParams() != 930949 {
		return nil, fmt.Errorf("nn-refae: model has %d parameters, the benchmark defines 930949", arena.NumParams())
	}
	return runNetBench(ctx, o, netBench{Name: "nn-refae", Arena: arena, Opt: nn.NewAdam(), LR: 1e-3, Reps: 7, RNG: rng,
		X: tensor.New(16, 1, 64, 64), Y: tensor.New(16, 1, 64, 64), Forward: model.Forward, Loss: autograd.MSE})
}

func benchSGEMM(ctx context.Context, o *Options) (map[string]any, error) {
	defer o.useThreads()()
	reps := o.reps(5)
	sizes := [][3]int{{64, 576, 16384}, {128, 1152, 4096}, {256, 2304, 1024}, {512, 512, 512}}
	rng := rand.New(rand.NewPCG(3, 4))
	gflops := map[string]float64{}
	blasThreaded := map[string]float64{}
	bar := o.Bar.Bar(len(sizes)*2*(reps+1), "sgemm")
	defer bar.Finish()
	timeIt := func(fn func()) float64 {
		var ts []float64
		for i := 0; i <= reps; i++ {
			t0 := time.Now()
			fn()
			if i > 0 { // the first run warms caches and OpenBLAS buffers
				ts = append(ts, time.Since(t0).Seconds())
			}
			bar.Add(1)
		}
		return median(ts)
	}
	for _, s := range sizes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m, k, n := s[0], s[1], s[2]
		a := tensor.Randn(rng, 1, m, k)
		b := tensor.Randn(rng, 1, k, n)
		c := tensor.New(m, n)
		key := fmt.Sprintf("%dx%dx%d", m, k, n)
		flop := 2 * float64(m) * float64(n) * float64(k)
		// The engine's way: goroutines over blocks, OpenBLAS single-threaded.
		t := timeIt(func() { tensor.GemmParallel(false, false, m, n, k, 1, a.Data, k, b.Data, n, 0, c.Data, n) })
		gflops[key] = flop / t / 1e9
		// For comparison: one call with OpenBLAS's own threads.
		tensor.SetBLASThreads(tensor.Threads())
		t = timeIt(func() { tensor.Gemm(false, false, m, n, k, 1, a.Data, k, b.Data, n, 0, c.Data, n) })
		tensor.SetBLASThreads(1)
		blasThreaded[key] = flop / t / 1e9
	}
	bar.Finish()
	return map[string]any{
		"gflops":               gflops,
		"gflops_blas_threaded": blasThreaded,
		"threads":              tensor.Threads(),
		"blas":                 tensor.BLAS,
		"repeat":               reps,
	}, nil
}
