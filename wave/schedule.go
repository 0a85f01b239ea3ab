package wave

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Schedules decide which worker runs which rows of which shot when; the
// rules of a step are the sweep's (sweep.go). There are two:
//
//   - shot-parallel: every worker runs whole shots, one after the other,
//     with its own sweep (no synchronisation between workers);
//   - row bands: all workers run one shot together, each on its own band of
//     rows of every step, meeting at a barrier after each step (or after each
//     half of a fused pair).
//
// Both drive the same passes (forwardPass, backwardPass below) through a
// lane, which tells a worker its rows and lets it wait for the others. Row
// bands serve the shot counts that do not divide evenly among the workers
// (OpenFWI: 5 shots on 2 cores would take 3 rounds for 2.5 rounds of work).

// lane is one worker's part in a schedule: the rows of the shot in hand it
// runs, and how it meets the other workers of its crew between steps.
type lane[T float] struct {
	ctx   context.Context
	w, nw int    // worker index and crew size (1: whole shots alone)
	hw    int    // stencil half-width
	nzp   int    // padded-grid rows
	wrap  bool   // periodic grid
	p     *party // the crew's barrier; nil when alone
	calls int    // sync calls so far (phases)
	err   error  // why a lone worker stopped
	// scratch of residualAt
	idx []int32
	val []T
	// the worker's queued shifted correlations (offsetImage.add)
	cq corrQueue[T]
}

func newLane[T float](ctx context.Context, c *coef[T], w, nw int, p *party) *lane[T] {
	return &lane[T]{ctx: ctx, w: w, nw: nw, hw: c.hw, nzp: c.nzp, wrap: c.wrap, p: p}
}

// rows returns the worker's share of rows [a, b): all of them when alone,
// else one of nw contiguous, nearly equal bands. With one shot the rows are
// split where the fields can be nonzero (cone) rather than over the whole
// grid, so that the zero cones save time on every worker instead of idling
// some. On a periodic grid (where a, b is the whole grid) no boundary falls
// inside the first or last hw rows (wrapBound).
func (l *lane[T]) rows(a, b int) (int, int) {
	if l.p == nil {
		return a, b
	}
	lo, hi := l.w*(b-a)/l.nw, (l.w+1)*(b-a)/l.nw
	if l.wrap {
		lo, hi = wrapBound(lo, l.nzp, l.hw), wrapBound(hi, l.nzp, l.hw)
	}
	return a + lo, a + hi
}

// inner returns the rows of band [z0, z1) whose second fused step reads no
// row of another band: hw rows in from each end when the rows are shared,
// the whole band when alone.
func (l *lane[T]) inner(z0, z1 int) (int, int) {
	if l.p == nil {
		return z0, z1
	}
	return z0 + l.hw, z1 - l.hw
}

// wrapBound moves a band boundary at row offset off (0..nzp) of a shot out
// of the first and the last hw rows, which read the halo rows of a periodic
// grid: those rows then belong to one band, whose worker alone fills the
// halo rows before each step (wrapRows) while no other worker writes the
// rows it copies.
func wrapBound(off, nzp, hw int) int {
	switch {
	case off > 0 && off < hw:
		return 0
	case off > nzp-hw && off < nzp:
		return nzp - hw
	}
	return off
}

// sync ends a phase: a crew waits at its barrier, and worker 0 polls the
// context every ctxEvery phases; a lone worker only polls the context. It
// reports whether to go on.
func (l *lane[T]) sync() bool {
	phase := l.calls
	l.calls++
	poll := phase%ctxEvery == 0
	if l.p == nil {
		if poll {
			l.err = l.ctx.Err()
		}
		return l.err == nil
	}
	if l.w == 0 && poll {
		if err := l.ctx.Err(); err != nil {
			l.p.stop(err)
		}
	}
	return l.p.wait()
}

// fail stops the schedule with err at the lane's next sync.
func (l *lane[T]) fail(err error) {
	if l.p == nil {
		l.err = err
		return
	}
	l.p.stop(err)
}

// lead reports whether this worker does the per-shot work that is not split
// into rows (residual, final sums).
func (l *lane[T]) lead() bool { return l.w == 0 }

// ctxEvery is how many phases (steps or half pairs) run between context
// checks.
const ctxEvery = 64

// barrier is a reusable barrier for a fixed crew of workers that spins
// briefly and then yields (steps last tens of microseconds, far less than a
// parked goroutine takes to wake). Its correct use — every worker waits
// equally often — is checked rather than assumed: each worker's party counts
// the generations it has passed, a worker that arrives out of step or waits
// for a worker that has already left stops the crew with an error instead
// of spinning forever, and err compares the counts at the end.
//
// A stop (cancellation, a failed check) is requested for the generation the
// requester is in and honoured by every worker after that generation's
// barrier, the same one for all: a plain flag read after each barrier would
// let a worker that is slow to read it see a request made for the next
// generation, return one phase early and leave the others spinning (seen as
// a hang on Ctrl-C in genfwi fwi).
type barrier struct {
	n      int32
	count  atomic.Int32
	gen    atomic.Uint32
	left   atomic.Int32
	stopAt atomic.Int64 // generation+1 of the stop request; 0: none

	mu         sync.Mutex
	cause      error
	minGen     uint32
	maxGen     uint32
	leftBefore bool
}

// party is one worker's handle on a barrier.
type party struct {
	b   *barrier
	gen uint32 // barriers passed
}

func newBarrier(n int) *barrier { return &barrier{n: int32(n)} }

// wait blocks until every party has arrived at the current generation and
// reports whether to go on (false: a stop was requested for it, or misuse).
func (p *party) wait() bool {
	b := p.b
	g := p.gen
	if cur := b.gen.Load(); cur != g {
		p.stop(fmt.Errorf("wave: internal error: a row-band worker arrived at barrier %d while the others are at %d", g, cur))
		return false
	}
	p.gen++
	if b.count.Add(1) == b.n {
		b.count.Store(0)
		b.gen.Store(g + 1)
	} else {
		for i := 0; b.gen.Load() == g; i++ {
			if i > 64 {
				runtime.Gosched()
			}
			if b.left.Load() > 0 && b.gen.Load() == g {
				p.stop(fmt.Errorf("wave: internal error: a row-band worker left while the others waited at barrier %d", g))
				return false
			}
		}
	}
	return !b.stopped(g)
}

// stopped reports whether a stop was requested for generation g or earlier.
func (b *barrier) stopped(g uint32) bool {
	a := b.stopAt.Load()
	return a != 0 && a <= int64(g)+1
}

// stop asks every party to stop after the barrier of the caller's current
// generation; the first request and its cause win.
func (p *party) stop(err error) {
	b := p.b
	b.mu.Lock()
	if b.cause == nil {
		b.cause = err
	}
	b.mu.Unlock()
	b.stopAt.CompareAndSwap(0, int64(p.gen)+1)
}

// leave records that the party's worker has returned.
func (p *party) leave() {
	b := p.b
	b.mu.Lock()
	if !b.leftBefore {
		b.minGen, b.maxGen, b.leftBefore = p.gen, p.gen, true
	}
	b.minGen, b.maxGen = min(b.minGen, p.gen), max(b.maxGen, p.gen)
	b.mu.Unlock()
	b.left.Add(1)
}

// err returns, once every party has left, why the crew stopped, or an error
// if the workers passed different numbers of barriers.
func (b *barrier) err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cause != nil {
		return b.cause
	}
	if b.minGen != b.maxGen {
		return fmt.Errorf("wave: internal error: row-band workers passed between %d and %d barriers", b.minGen, b.maxGen)
	}
	return nil
}

// crew runs body on nw workers that share one shot (row bands) and returns
// why they stopped early, if they did.
func crew[T float](ctx context.Context, c *coef[T], nw int, body func(*lane[T])) error {
	b := newBarrier(nw)
	var wg sync.WaitGroup
	for w := range nw {
		ln := newLane(ctx, c, w, nw, &party{b: b})
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer ln.p.leave()
			body(ln)
		}()
	}
	wg.Wait()
	return b.err()
}

// forEach runs fn for every shot in list on nw workers. Worker w takes the
// positions w, w+nw, w+2nw, ... (a static assignment, so per-worker sums and
// thus results are deterministic). The first error stops the others.
func forEach(ctx context.Context, nw int, list []int, fn func(ctx context.Context, worker, pos int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, nw)
	var wg sync.WaitGroup
	for w := range nw {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pos := w; pos < len(list); pos += nw {
				if err := ctx.Err(); err != nil {
					errs[w] = err
					return
				}
				if err := fn(ctx, w, pos); err != nil {
					errs[w] = err
					cancel()
					return
				}
			}
		}()
	}
	wg.Wait()
	var first error
	for _, err := range errs {
		if err != nil && (first == nil || first == context.Canceled) {
			first = err
		}
	}
	return first
}

// advance runs forward step n, or steps n and n+1 as a fused pair when the
// kernels allow and n+1 < end, on the lane's rows; it returns the next step
// and whether to go on. replay < 0 in the first pass, else the first step of
// the segment being recomputed.
func (s *sweep[T]) advance(ln *lane[T], n, end, replay int) (int, bool) {
	c := &s.r.c
	top, bot := c.hw, c.hw+c.nzp
	if s.r.fuse && n%2 == 0 && n+1 < end {
		z0, z1 := ln.rows(s.z.wRows(n+2, top, bot))
		lo, hi := ln.inner(z0, z1)
		s.fwdPair(n, z0, z1, lo, hi, replay)
		if !ln.sync() {
			return n, false
		}
		s.fwdPairEdges(n, z0, z1, lo, hi, replay)
		return n + 2, ln.sync()
	}
	z0, z1 := ln.rows(s.z.wRows(n+1, top, bot))
	s.fwdStep(n, z0, z1, replay)
	return n + 1, ln.sync()
}

// forwardPass runs the shot's forward sweep on the lane's rows, filling the
// tape if the sweep has one. It reports whether it ran to the end.
func (s *sweep[T]) forwardPass(ln *lane[T]) bool {
	c := &s.r.c
	for n, ok := 0, true; n < s.r.N; {
		z0, z1 := ln.rows(c.hw, c.hw+c.nzp)
		// The next step's rows may differ from the copied ones.
		if s.checkpoint(n, z0, z1) && !ln.sync() {
			return false
		}
		if n, ok = s.advance(ln, n, s.r.N, -1); !ok {
			return false
		}
	}
	return true
}

// backwardPass runs the shot's adjoint sweep on the lane's rows after
// forwardPass, one tape segment at a time from the last (recomputing the
// earlier ones from their checkpoints). It reports whether it ran to the end.
func (s *sweep[T]) backwardPass(ln *lane[T]) bool {
	c := &s.r.c
	top, bot := c.hw, c.hw+c.nzp
	tp := s.tp
	for seg := tp.nseg - 1; seg >= 0; seg-- {
		m0 := seg * tp.L
		m1 := min(m0+tp.L, tp.N)
		if seg != tp.nseg-1 {
			z0, z1 := ln.rows(top, bot)
			s.restore(seg, z0, z1)
			if !ln.sync() {
				return false
			}
			for n, ok := m0, true; n < m1; {
				if n, ok = s.advance(ln, n, m1, m0); !ok {
					return false
				}
			}
		}
		for n := m1; n > m0; {
			if s.r.fuse && deferImage(n) {
				z0, z1 := ln.rows(s.z.muRows(n-1, top, bot))
				lo, hi := ln.inner(z0, z1)
				s.bwdPair(ln, n, m0, z0, z1, lo, hi)
				if !ln.sync() {
					return false
				}
				s.bwdPairEdges(ln, n, m0, z0, z1, lo, hi)
				n -= 2
			} else {
				z0, z1 := ln.rows(s.z.muRows(n, top, bot))
				s.adjStep(ln, n, m0, m1, z0, z1)
				n--
			}
			if !ln.sync() {
				return false
			}
		}
		// The replay of the previous segment overwrites the queued w.
		if s.img.off != nil {
			s.img.off.drain(&ln.cq)
		}
	}
	// Every worker's correlations are in the slab before the lead adds
	// it to the images (endShot).
	if s.img.off != nil && ln.p != nil {
		return ln.sync()
	}
	return true
}

// gradientPass runs shot si (started with start) on the lane's rows: the
// forward with its tape, the residual (resid, by the lead worker), and the
// backward sweep into the sweep's images. It reports whether it ran to the
// end.
func (s *sweep[T]) gradientPass(ln *lane[T], resid func(d []T) float64) bool {
	if !s.forwardPass(ln) {
		return false
	}
	if ln.lead() {
		if err := checkFinite(s.d, []int{s.si}, len(s.rec)); err != nil {
			ln.fail(err)
		} else {
			s.img.misfit += resid(s.d)
		}
	}
	if !ln.sync() || !s.backwardPass(ln) {
		return false
	}
	if ln.lead() {
		s.img.endShot(s)
	}
	return true
}

// forward runs the listed shots of the run's model into dst
// ([len(list)][Nt][nrec]), shot-parallel.
func (r *run[T]) forward(ctx context.Context, list []int, dst []T) error {
	nw := r.s.workers(len(list))
	per := r.s.opts.Nt * r.s.nrec
	sws := make([]*sweep[T], nw)
	defer func() {
		for _, sw := range sws {
			if sw != nil {
				sw.release()
			}
		}
	}()
	return forEach(ctx, nw, list, func(ctx context.Context, w, pos int) error {
		if sws[w] == nil {
			sws[w] = r.newSweep(nil, nil)
		}
		sw, ln := sws[w], newLane(ctx, &r.c, 0, 1, nil)
		sw.start(list[pos], dst[pos*per:(pos+1)*per])
		if !sw.forwardPass(ln) {
			return ln.err
		}
		return checkFinite(sw.d, list[pos:pos+1], r.s.nrec)
	})
}

// forwardBands runs the listed shots one after the other, each on row bands
// over nw workers. Results equal forward's bit for bit.
func (r *run[T]) forwardBands(ctx context.Context, list []int, dst []T, nw int) error {
	per := r.s.opts.Nt * r.s.nrec
	sw := r.newSweep(nil, nil)
	defer sw.release()
	for pos, si := range list {
		sw.start(si, dst[pos*per:(pos+1)*per])
		if err := crew(ctx, &r.c, nw, func(ln *lane[T]) { sw.forwardPass(ln) }); err != nil {
			return err
		}
	}
	return checkFinite(dst, list, r.s.nrec)
}

// forwardFast is the production forward: shots in parallel; when they do
// not divide evenly among the workers (5 OpenFWI shots on 2 cores), the
// shots that do run in parallel and only the remainder on row bands.
// Measured on OpenFWI, 2 cores, AVX-512 kernels: 4 shots in parallel
// 37.9 ms + 1 banded 9.3 ms = 47.2 ms, against 55.1 ms for all 5 banded
// (5 shots in flight overflow the L2 caches).
func (r *run[T]) forwardFast(ctx context.Context, list []int, dst []T) error {
	nw := r.s.rawWorkers()
	if !rowBands(nw, len(list)) {
		return r.forward(ctx, list, dst)
	}
	q := len(list) / nw * nw
	per := r.s.opts.Nt * r.s.nrec
	if q > 0 {
		if err := r.forward(ctx, list[:q], dst[:q*per]); err != nil {
			return err
		}
	}
	return r.forwardBands(ctx, list[q:], dst[q*per:], min(nw, r.c.nzp))
}

// rowBands reports whether n shots on nw workers run (partly) on row bands:
// when they do not divide evenly and are too few for the imbalance to
// average out.
func rowBands(nw, n int) bool { return nw > 1 && n%nw != 0 && n < 4*nw }

// backprop is the shared driver of Gradient and the (extended) Born adjoint.
// For each listed shot it runs the forward with a tape, forms the residual
// (resid(pos, d) fills it in place from the synthetic data and returns the
// misfit contribution), back-propagates it and folds the correlations into
// dst[k] (one model-grid image per offset; offsets nil = plain gradient).
//
// Shot-parallel, each worker sums its shots' images; on row bands (when
// the shots do not divide evenly among the workers) the shots run one after
// the other on all workers into one set of images, which is what one worker
// alone computes, bit for bit. Every shot's tape is written once and read
// once either way, so running the banded shots one after the other keeps
// the cores as busy while holding one tape instead of several (OpenFWI with
// full storage: 394 MB instead of 1.97 GB).
func (r *run[T]) backprop(ctx context.Context, list []int, offsets []int, resid func(pos int, d []T) float64, dst [][]float64) (float64, error) {
	s := r.s
	spec := r.newImageSpec(offsets)
	var accs []*images[T]
	var sws []*sweep[T]
	defer func() {
		for _, sw := range sws {
			sw.release()
		}
		for _, im := range accs {
			im.release(s)
		}
	}()
	newSweep := func(bands bool, inflight int) *sweep[T] {
		im := r.newImages(spec)
		accs = append(accs, im)
		t0, t1 := r.tapeRows()
		tp := newTapeRows[T](s, r.N, r.fields, r.c.stride, t0, t1, s.opts.budget(bands), inflight, r.c.tape16)
		sw := r.newSweep(tp, im)
		sws = append(sws, sw)
		return sw
	}
	var err error
	if W := s.rawWorkers(); rowBands(W, len(list)) {
		sw := newSweep(true, 1)
		for pos, si := range list {
			sw.start(si, nil)
			err = crew(ctx, &r.c, min(W, r.c.nzp), func(ln *lane[T]) {
				sw.gradientPass(ln, func(d []T) float64 { return resid(pos, d) })
			})
			if err != nil {
				break
			}
		}
	} else {
		nw := s.workers(len(list))
		for range nw {
			newSweep(false, nw)
		}
		err = forEach(ctx, nw, list, func(ctx context.Context, w, pos int) error {
			sw, ln := sws[w], newLane(ctx, &r.c, 0, 1, nil)
			sw.start(list[pos], nil)
			if !sw.gradientPass(ln, func(d []T) float64 { return resid(pos, d) }) {
				return ln.err
			}
			return nil
		})
	}
	if err != nil {
		return 0, err
	}
	var misfit float64
	for _, im := range accs {
		misfit += im.misfit
		im.fold(dst)
	}
	return misfit, nil
}
