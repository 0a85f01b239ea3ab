package experiments

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"

	"genfwi/internal/progress"
	"genfwi/npy"
	"genfwi/wave"
)

// SimItem is one velocity map to simulate, named by its file and sample.
type SimItem struct {
	// File and Sample name the map in messages and results.
	File   string
	Sample int
	// V is the map, row-major [z][x] in m/s.
	V []float32
}

// SimulateOptions are the options of Simulate.
type SimulateOptions struct {
	// Items are the maps, all of one grid.
	Items []SimItem
	// NewSimulator builds the simulator with the given goroutines per
	// sample.
	NewSimulator func(workers int) (*wave.Simulator, error)
	// Workers is the number of goroutines (0 = GOMAXPROCS).
	Workers int
	// Out, if not empty, receives the data [N, shots, nt, receivers].
	Out string
	// Bar reports the samples done.
	Bar progress.Start
}

// SimulateResult is the extremes of the simulated data and the timing.
type SimulateResult struct {
	// DataMin and DataMax are the extremes of all simulated data.
	DataMin, DataMax float64
	// ArgMin and ArgMax are the items holding the extremes.
	ArgMin, ArgMax SimItem
	// Seconds is the wall time of the simulations, SecondsPerSample its
	// share per map.
	Seconds          float64
	SecondsPerSample float64
	// Workers is the parallelism used (over samples or within one).
	Workers int
}

// Simulate simulates every item (several samples: one per worker, shots in
// sequence, which avoids the imbalance of 5 shots on 2 cores; fewer samples
// than workers: the workers share each sample), writes the data to Out if
// given (atomically, only when every sample succeeded) and returns the
// extremes of the data. Every map is checked against the simulator (CFL,
// positivity) before the first simulation.
func Simulate(ctx context.Context, o SimulateOptions) (*SimulateResult, error) {
	items := o.Items
	if len(items) == 0 {
		return nil, fmt.Errorf("nothing to simulate")
	}
	nw := o.Workers
	if nw == 0 {
		nw = runtime.GOMAXPROCS(0)
	}
	simWorkers := 1
	if len(items) < nw {
		simWorkers, nw = nw, 1
	}
	sim, err := o.NewSimulator(simWorkers)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if _, err := sim.Info(it.V); err != nil {
			return nil, fmt.Errorf("%s sample %d: %w", it.File, it.Sample, err)
		}
	}
	var fw *npy.FileWriter
	if o.Out != "" {
		fw, err = npy.Create(o.Out, npy.Float32, []int{len(items), sim.NumShots(), sim.Options().Nt, sim.NumReceivers()})
		if err != nil {
			return nil, &InputError{"Out", err}
		}
		defer fw.Abort()
	}
	nw = max(1, min(nw, len(items)))
	bar := o.Bar.Bar(len(items), "simulate")
	defer bar.Finish()
	type ext struct {
		min, max       float64
		argmin, argmax int // item index
	}
	res := make([]ext, nw)
	errs := make([]error, nw)
	per := sim.DataLen(sim.NumShots())
	var wg sync.WaitGroup
	start := time.Now()
	for w := range nw {
		res[w] = ext{min: math.Inf(1), max: math.Inf(-1)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]float32, per)
			for k := w; k < len(items); k += nw {
				err := sim.Forward(ctx, items[k].V, buf)
				if err == nil && fw != nil {
					err = fw.WriteSampleFloat32(k, buf)
				}
				if err != nil {
					errs[w] = fmt.Errorf("%s sample %d: %w", items[k].File, items[k].Sample, err)
					return
				}
				e := &res[w]
				for _, x := range buf {
					if float64(x) < e.min {
						e.min, e.argmin = float64(x), k
					}
					if float64(x) > e.max {
						e.max, e.argmax = float64(x), k
					}
				}
				bar.Add(1)
			}
		}()
	}
	wg.Wait()
	bar.Finish()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	secs := time.Since(start).Seconds()
	tot := ext{min: math.Inf(1), max: math.Inf(-1)}
	for _, e := range res {
		if e.min < tot.min {
			tot.min, tot.argmin = e.min, e.argmin
		}
		if e.max > tot.max {
			tot.max, tot.argmax = e.max, e.argmax
		}
	}
	if fw != nil {
		if err := fw.Commit(); err != nil {
			return nil, &InputError{"Out", err}
		}
	}
	return &SimulateResult{DataMin: tot.min, DataMax: tot.max, ArgMin: items[tot.argmin], ArgMax: items[tot.argmax],
		Seconds: secs, SecondsPerSample: secs / float64(len(items)), Workers: max(nw, simWorkers)}, nil
}
