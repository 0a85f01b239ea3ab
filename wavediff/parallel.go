package wavediff

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
)

// forEach calls do for i = 0 … n−1 on workers goroutines (0 = GOMAXPROCS),
// each taking the next index when it is done with one, so that items of
// uneven cost keep every worker busy. newWorker runs once per goroutine and
// returns its do, which may keep per-goroutine scratch buffers. onDone (may
// be nil) is called after every item. The first error cancels the rest;
// forEach returns the errors joined, or ctx's error if it was cancelled.
func forEach(ctx context.Context, n, workers int, newWorker func() func(ctx context.Context, i int) error, onDone func()) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			do := newWorker()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := do(ctx, i); err != nil {
					errs[w] = err
					cancel()
					return
				}
				if onDone != nil {
					onDone()
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return ctx.Err()
}
