package tensor

import (
	"runtime"
	"sync"
	"sync/atomic"
)

var threads atomic.Int32

// SetThreads sets the number of worker goroutines used by Parallel and
// GemmParallel; n <= 0 restores the default, GOMAXPROCS.
func SetThreads(n int) { threads.Store(int32(max(n, 0))) }

// Threads returns the number of workers Parallel uses.
func Threads() int {
	if n := int(threads.Load()); n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// Parallel calls fn(worker, i) for every i in [0, n), spreading the indices
// over w = Workers(n) goroutines. worker is in [0, w) and identifies the
// goroutine, so fn may use per-worker scratch space and partial sums. The
// assignment is static — worker k gets the k-th contiguous block of indices,
// in increasing order — so per-worker reductions are bit-reproducible for a
// given thread count. With one worker it runs inline.
func Parallel(n int, fn func(worker, i int)) {
	w := Workers(n)
	if w <= 1 {
		for i := 0; i < n; i++ {
			fn(0, i)
		}
		return
	}
	var wg sync.WaitGroup
	wg.Add(w)
	for k := 0; k < w; k++ {
		go func(k int) {
			defer wg.Done()
			for i := k * n / w; i < (k+1)*n/w; i++ {
				fn(k, i)
			}
		}(k)
	}
	wg.Wait()
}

// Workers returns how many goroutines Parallel(n, ...) uses.
func Workers(n int) int { return max(min(Threads(), n), 1) }

// ParallelRange splits [0, n) into at most Threads() contiguous chunks of at
// least minChunk elements and calls fn(lo, hi) on each, concurrently. It is
// meant for memory-bound elementwise loops.
func ParallelRange(n, minChunk int, fn func(lo, hi int)) {
	if minChunk < 1 {
		minChunk = 1
	}
	w := min(Threads(), (n+minChunk-1)/minChunk)
	if w <= 1 {
		fn(0, n)
		return
	}
	chunk := (n + w - 1) / w
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
