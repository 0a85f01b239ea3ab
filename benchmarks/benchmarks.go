// Package benchmarks holds the cases of "genfwi bench" (docs/benchmarks.md):
// the wave engine (wave-openfwi, wave-large, grad-openfwi), the tensor
// engine (sgemm, nn-refae), the networks of WaveDiffusion, InversionNet,
// WISE and WISER, and WISE's CIG data layer. Each case runs from a context
// and Options and returns its headline figures, so that it runs without a
// process.
package benchmarks

import (
	"context"
	"runtime"
	"sort"

	"genfwi/internal/progress"
	"genfwi/tensor"
)

// Options are the settings every case shares.
type Options struct {
	// Threads are the worker threads (0 = GOMAXPROCS).
	Threads int
	// Repeat is the number of timed repetitions after warm-up (0 = the
	// case's default).
	Repeat int
	// Data is the root of the OpenFWI velocity files
	// (FlatVel_A/model/model1.npy, ...).
	Data string
	// Bar reports progress (nil = silent).
	Bar progress.Start
}

// Case is one benchmark case.
type Case struct {
	Name  string
	Short string
	// Run returns the headline figures.
	Run func(ctx context.Context, o *Options) (map[string]any, error)
}

// Cases returns every case, sorted by name.
func Cases() []*Case {
	var cs []*Case
	for _, l := range [][]*Case{cigBenchCases(), invnetBenchCases(), nnBenchCases(), waveBenchCases(),
		wdmodelsBenchCases(), wiseBenchCases(), wiserBenchCases()} {
		cs = append(cs, l...)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
	return cs
}

// threads is the number of wave workers: Threads, or GOMAXPROCS.
func (o *Options) threads() int {
	if o.Threads > 0 {
		return o.Threads
	}
	return runtime.GOMAXPROCS(0)
}

// reps is Repeat, or the case's default def.
func (o *Options) reps(def int) int {
	if o.Repeat > 0 {
		return o.Repeat
	}
	return def
}

// useThreads sets the tensor engine's threads to Threads for one case and
// returns the function that restores the default.
func (o *Options) useThreads() func() {
	tensor.SetThreads(o.Threads)
	return func() { tensor.SetThreads(0) }
}
