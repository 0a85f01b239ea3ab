package wave

import (
	"context"
	"runtime"
	"sort"
	"sync/atomic"
)

// Balanced forward: when the shots do not divide evenly among the workers
// (OpenFWI: 5 shots on 2 cores means 3 rounds for 2.5 rounds of work), every
// time step of every shot is split into equal bands of rows, one band per
// worker, with a barrier between steps. Fields are addressed by step parity
// (F[n%2] holds p^n, F[(n+1)%2] receives p^{n+1}), so workers never swap
// shared slices.

// spinBarrier is a reusable barrier for a fixed number of goroutines that
// spins briefly and then yields; steps last tens of microseconds, far less
// than a parked goroutine takes to wake.
type spinBarrier struct {
	n     int32
	count atomic.Int32
	gen   atomic.Uint32
}

func (b *spinBarrier) wait() {
	g := b.gen.Load()
	if b.count.Add(1) == b.n {
		b.count.Store(0)
		b.gen.Add(1)
		return
	}
	for i := 0; b.gen.Load() == g; i++ {
		if i > 64 {
			runtime.Gosched()
		}
	}
}

// phaseStop carries worker 0's cancellation request to every worker at the
// same barrier. A plain flag read after each barrier is racy: a worker that
// is slow to read it after barrier k can see the flag that worker 0 has
// already set for barrier k+1, return one phase early, and leave the others
// spinning forever at barrier k+1 (seen as a hang on Ctrl-C in genfwi fwi).
// Recording the phase of the request makes every worker stop after the same
// barrier.
type phaseStop struct{ at atomic.Int64 } // phase+1 of the request, 0 = none

// request asks to stop after the barrier that ends phase (first call wins).
func (p *phaseStop) request(phase int) { p.at.CompareAndSwap(0, int64(phase)+1) }

// stopped reports whether to stop after the barrier that ended phase.
func (p *phaseStop) stopped(phase int) bool {
	a := p.at.Load()
	return a != 0 && a <= int64(phase)+1
}

// requested reports whether a stop was requested at all.
func (p *phaseStop) requested() bool { return p.at.Load() != 0 }

// band is a run of rows of one shot: rows z0..z1−1 (halo layout) of shot
// position pos.
type band struct{ pos, z0, z1 int }

// bands splits S shots × nzp rows into nw contiguous, nearly equal parts.
// On a periodic grid (wrap) no part boundary falls inside the first or the
// last hw rows of a shot (wrapBound).
func bands(S, nzp, hw, nw int, wrap bool) [][]band {
	total := S * nzp
	out := make([][]band, nw)
	bound := func(w int) int {
		g := w * total / nw
		if !wrap || g == total {
			return g
		}
		return g - g%nzp + wrapBound(g%nzp, nzp, hw)
	}
	for w := 0; w < nw; w++ {
		lo, hi := bound(w), bound(w+1)
		for g := lo; g < hi; {
			s := g / nzp
			end := min(hi, (s+1)*nzp)
			out[w] = append(out[w], band{pos: s, z0: hw + g - s*nzp, z1: hw + end - s*nzp})
			g = end
		}
	}
	return out
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

// forwardBalanced runs the listed shots with every step split across nw
// workers (see the file comment). Results equal forward's bit for bit.
func (r *run[T]) forwardBalanced(ctx context.Context, list []int, dst []T, nw int) error {
	c := &r.c
	S := len(list)
	per := r.s.opts.Nt * r.s.nrec
	F := make([][2][]T, S)
	for i := range F {
		F[i] = [2][]T{getBuf[T](r.s, r.fields), getBuf[T](r.s, r.fields)}
		clear(F[i][0])
		clear(F[i][1])
	}
	defer func() {
		for _, f := range F {
			putBuf(r.s, f[0], f[1])
		}
	}()
	parts := bands(S, c.nzp, c.hw, nw, c.wrap)
	stride := c.stride
	var (
		bar  = spinBarrier{n: int32(nw)}
		stop phaseStop
		done = make(chan struct{}, nw)
	)
	for w := 0; w < nw; w++ {
		go func(w int) {
			defer func() { done <- struct{}{} }()
			mine := parts[w]
			for n := 0; n < r.N; n++ {
				if w == 0 && n%ctxEvery == 0 && ctx.Err() != nil {
					stop.request(n)
				}
				for _, b := range mine {
					si := list[b.pos]
					p0, p1 := F[b.pos][(n+1)%2], F[b.pos][n%2]
					stepForward(c, p0, p1, nil, b.z0, b.z1)
					if src := r.src[si]; src/stride >= b.z0 && src/stride < b.z1 {
						p0[src] += r.bsrc[si] * r.f[n]
					}
					if (n+1)%r.k == 0 {
						j := (n+1)/r.k - 1
						o := dst[b.pos*per+j*r.s.nrec : b.pos*per+(j+1)*r.s.nrec]
						for i, ix := range r.rec[si] {
							if z := ix / stride; z >= b.z0 && z < b.z1 {
								o[i] = p0[ix]
							}
						}
					}
				}
				bar.wait()
				if stop.stopped(n) {
					return
				}
			}
		}(w)
	}
	for w := 0; w < nw; w++ {
		<-done
	}
	if stop.requested() {
		return ctx.Err()
	}
	return checkFinite(dst, list, r.s.nrec)
}

// backpropBalanced is backprop with every step of every listed shot split
// into row bands over nw workers (forward with tapes, residuals, backward
// sweep), for shot counts that do not divide among the workers. Each shot
// keeps its own fields, tape and images; images are summed over shots in
// order at the end.
func (r *run[T]) backpropBalanced(ctx context.Context, list []int, nimg, h0 int, shifted, shiftIdx []int, invA []T,
	resid func(pos int, d []T) float64, dst [][]float64, nw int) (float64, error) {
	s := r.s
	c := &r.c
	S := len(list)
	per := s.opts.Nt * s.nrec
	stride := c.stride
	type shotState struct {
		F, Lm [2][]T // forward fields and μ fields, addressed by parity
		tp    *tape[T]
		d     []T
		g     [][]T
		off   *offsetImage[T]
		gb    float64
	}
	st := make([]*shotState, S)
	for i := range st {
		ss := &shotState{tp: newTape[T](s, r.N, r.fields, s.opts.budget(true), S, r.c.tape16), d: make([]T, per), g: make([][]T, nimg)}
		ss.tp.begin(c, r.src[list[i]], r.rec[list[i]], len(shifted) == 0)
		for k := 0; k < 2; k++ {
			ss.F[k], ss.Lm[k] = getBuf[T](s, r.fields), getBuf[T](s, r.fields)
			clear(ss.F[k])
			clear(ss.Lm[k])
		}
		for k := range ss.g {
			ss.g[k] = getBuf[T](s, r.fields)
			clear(ss.g[k])
		}
		if len(shifted) > 0 {
			gs := make([][]T, len(shiftIdx))
			for i, k := range shiftIdx {
				gs[i] = ss.g[k]
			}
			ss.off = r.newOffsetImage(invA, shifted, gs)
		}
		st[i] = ss
	}
	defer func() {
		for _, ss := range st {
			putBuf(s, ss.F[0], ss.F[1], ss.Lm[0], ss.Lm[1])
			putBuf(s, ss.g...)
			ss.tp.release(s)
		}
	}()
	parts := bands(S, c.nzp, c.hw, nw, c.wrap)
	inBand := func(ix int, b band) bool { z := ix / stride; return z >= b.z0 && z < b.z1 }
	copyRows := func(dst, src []T, b band) { copy(dst[b.z0*stride:b.z1*stride], src[b.z0*stride:b.z1*stride]) }
	var (
		bar    = spinBarrier{n: int32(nw)}
		stop   phaseStop
		misfit float64
		done   = make(chan struct{}, nw)
	)
	// sync ends a phase step: worker 0 polls the context every ctxEvery calls;
	// after the barrier every worker takes the same decision (phaseStop;
	// every worker calls sync equally often, so calls numbers the phases).
	worker := func(w int) {
		defer func() { done <- struct{}{} }()
		mine := parts[w]
		calls := 0
		sync := func() bool {
			phase := calls
			calls++
			if w == 0 && phase%ctxEvery == 0 && ctx.Err() != nil {
				stop.request(phase)
			}
			bar.wait()
			return stop.stopped(phase)
		}
		// With one shot the rows of each step are split where the fields can
		// be nonzero (tape.wRows, muRows) rather than over the whole grid, so
		// that the zero cones save time on both workers instead of idling
		// one. Copies of whole fields keep the fixed bands.
		dyn := S == 1
		one := make([]band, 1)
		part := func(fixed []band, a, b int) []band {
			if !dyn {
				return fixed
			}
			lo, hi := w*(b-a)/nw, (w+1)*(b-a)/nw
			if c.wrap { // a, b are the whole grid: no cones on a torus
				lo, hi = wrapBound(lo, c.nzp, c.hw), wrapBound(hi, c.nzp, c.hw)
			}
			one[0] = band{pos: 0, z0: a + lo, z1: a + hi}
			return one
		}
		zTop, zBot := c.hw, c.hw+c.nzp
		hw := c.hw
		// edges returns the rows of band b within hw of its ends.
		edges := func(b band) [2][2]int {
			return [2][2]int{{b.z0, min(b.z0+hw, b.z1)}, {max(b.z1-hw, b.z0+hw), b.z1}}
		}
		// Fused pairs of steps (one shot, C float32 kernels, no shifted
		// images): phase A runs both steps in one pass over the band, the
		// second step only on the rows that need no other band's rows
		// (hw from either end), so it neither reads nor overwrites rows the
		// other worker still needs; after the barrier, phase B runs the
		// second step on the 2hw edge rows. Same values as single steps
		// (the row functions are shared), same number of barriers.
		fuse := S == 1 && canFuse[T]() && st[0].off == nil
		var injIdx []int32
		var injVal []T
		var recOrder []int
		if fuse {
			rec := r.rec[list[0]]
			recOrder = make([]int, len(rec))
			for i := range recOrder {
				recOrder[i] = i
			}
			sort.SliceStable(recOrder, func(a, b int) bool { return rec[recOrder[a]] < rec[recOrder[b]] })
		}
		record := func(n int, p []T, b band) {
			if (n+1)%r.k == 0 {
				ss, si := st[b.pos], list[b.pos]
				j := (n+1)/r.k - 1
				o := ss.d[j*s.nrec : (j+1)*s.nrec]
				for i, ix := range r.rec[si] {
					if inBand(ix, b) {
						o[i] = p[ix]
					}
				}
			}
		}
		// fwdPair runs forward steps n (even) and n+1, storing w^n, w^{n+1}
		// in ws1, ws2 (nil: not stored); it reports whether to stop.
		fwdPair := func(n int, ws1, ws2 []T, rec bool) bool {
			ss, si := st[0], list[0]
			tp := ss.tp
			p0, p1 := ss.F[(n+1)%2], ss.F[n%2]
			za, zb := tp.wRows(n+2, zTop, zBot)
			b := part(mine, za, zb)[0]
			a1, b1 := tp.wRows(n, b.z0, b.z1)
			a2, b2 := tp.wRows(n+1, b.z0+hw, b.z1-hw)
			src, sidx := r.src[si], -1
			if inBand(src, b) {
				sidx = src
			}
			fusedForward(c, p0, p1, a1, b1, ws1, sidx, r.bsrc[si]*r.f[n], a2, b2, ws2, tp.stream)
			tp.clearAround(c, ws1, n, a1, b1, b.z0, b.z1)
			tp.clearAround(c, ws2, n+1, a2, b2, b.z0+hw, b.z1-hw)
			if rec {
				record(n, p0, b)
			}
			if sync() {
				return true
			}
			for _, e := range edges(b) {
				if e[0] < e[1] {
					tp.step(c, p1, p0, ws2, n+1, e[0], e[1])
				}
			}
			if sidx >= 0 {
				p1[src] += r.bsrc[si] * r.f[n+1]
			}
			if rec {
				record(n+1, p1, b)
			}
			return sync()
		}
		// bwdPair runs backward steps n (even) and n−1 of the segment
		// starting at m0, with paired imaging; it reports whether to stop.
		bwdPair := func(n, m0 int) bool {
			ss, si := st[0], list[0]
			tp := ss.tp
			m := n - 1
			l0, l1 := ss.Lm[n%2], ss.Lm[(n+1)%2]
			za, zb := tp.muRows(m, zTop, zBot)
			b := part(mine, za, zb)[0]
			a1, b1 := tp.muRows(n, b.z0, b.z1)
			a2, b2 := tp.muRows(m, b.z0+hw, b.z1-hw)
			ia, ib := tp.wRows(m, a2, b2)
			var plain []T
			if h0 >= 0 {
				plain = ss.g[h0]
			}
			rec := r.rec[si]
			injIdx, injVal = injIdx[:0], injVal[:0]
			if n%r.k == 0 {
				j := n/r.k - 1
				rr := ss.d[j*s.nrec : (j+1)*s.nrec]
				for _, i := range recOrder {
					if ix := rec[i]; inBand(ix, b) {
						injIdx = append(injIdx, int32(ix))
						injVal = append(injVal, c.A[ix]*rr[i])
					}
				}
			}
			wa, wb := tp.ws[m-m0], tp.ws[m-1-m0]
			fusedBackward(c, l0, l1, a1, b1, injIdx, injVal, a2, b2, wa, wb, plain, ia, ib)
			src := r.src[si]
			if inBand(src, b) {
				ss.gb += float64(l0[src]) / float64(c.A[src]) * float64(r.f[n-1])
			}
			if sync() {
				return true
			}
			for _, e := range edges(b) {
				if e[0] < e[1] {
					tp.adjStep(c, l1, l0, wb, wa, plain, m, e[0], e[1])
				}
			}
			if m%r.k == 0 {
				j := m/r.k - 1
				rr := ss.d[j*s.nrec : (j+1)*s.nrec]
				for i, ix := range rec {
					if inBand(ix, b) {
						val := c.A[ix] * rr[i]
						l1[ix] += val
						if plain != nil && tp.wHas(m-1, ix/stride) {
							plain[ix] += val * tp.at(wb, ix)
						}
					}
				}
			}
			if inBand(src, b) {
				ss.gb += float64(l1[src]) / float64(c.A[src]) * float64(r.f[m-1])
			}
			return sync()
		}
		// forward with tapes: p^n in F[n%2], p^{n−1} (then p^{n+1}) in F[(n+1)%2]
		for n := 0; n < r.N; n++ {
			if tp := st[0].tp; n%tp.L == 0 && n < tp.last {
				for _, b := range mine {
					ss := st[b.pos]
					ck := ss.tp.ck[n/tp.L]
					copyRows(ck[0], ss.F[n%2], b)
					copyRows(ck[1], ss.F[(n+1)%2], b)
				}
				if dyn && sync() { // the other worker's rows are overwritten below
					return
				}
			}
			if fuse && n%2 == 0 && n+1 < r.N {
				if fwdPair(n, st[0].tp.wbuf(n), st[0].tp.wbuf(n+1), true) {
					return
				}
				n++
				continue
			}
			za, zb := st[0].tp.wRows(n+1, zTop, zBot)
			for _, b := range part(mine, za, zb) {
				ss, si := st[b.pos], list[b.pos]
				p0, p1 := ss.F[(n+1)%2], ss.F[n%2]
				tp := ss.tp
				tp.step(c, p0, p1, tp.wbuf(n), n, b.z0, b.z1)
				if src := r.src[si]; inBand(src, b) {
					p0[src] += r.bsrc[si] * r.f[n]
				}
				if (n+1)%r.k == 0 {
					j := (n+1)/r.k - 1
					o := ss.d[j*s.nrec : (j+1)*s.nrec]
					for i, ix := range r.rec[si] {
						if inBand(ix, b) {
							o[i] = p0[ix]
						}
					}
				}
			}
			if sync() {
				return
			}
		}
		if w == 0 {
			for pos, ss := range st {
				misfit += resid(pos, ss.d)
			}
		}
		if sync() {
			return
		}
		// backward sweep, one segment at a time
		tp0 := st[0].tp
		for seg := tp0.nseg - 1; seg >= 0; seg-- {
			m0 := seg * tp0.L
			m1 := min(m0+tp0.L, tp0.N)
			if seg != tp0.nseg-1 {
				// restore (p^{m0}, p^{m0−1}) into F[m0%2], F[(m0+1)%2] and recompute
				for _, b := range mine {
					ss := st[b.pos]
					copyRows(ss.F[m0%2], ss.tp.ck[seg][0], b)
					copyRows(ss.F[(m0+1)%2], ss.tp.ck[seg][1], b)
				}
				if sync() {
					return
				}
				for n := m0; n < m1; n++ {
					if fuse && n+1 < m1 {
						if fwdPair(n, tp0.ws[n-m0], tp0.ws[n+1-m0], false) {
							return
						}
						n++
						continue
					}
					za, zb := st[0].tp.wRows(n+1, zTop, zBot)
					for _, b := range part(mine, za, zb) {
						ss, si := st[b.pos], list[b.pos]
						p0 := ss.F[(n+1)%2]
						ss.tp.step(c, p0, ss.F[n%2], ss.tp.ws[n-m0], n, b.z0, b.z1)
						if src := r.src[si]; inBand(src, b) {
							p0[src] += r.bsrc[si] * r.f[n]
						}
					}
					if sync() {
						return
					}
				}
			}
			// μ^n goes to Lm[n%2], μ^{n+1} is in Lm[(n+1)%2]
			for n := m1; n > m0; n-- {
				if fuse && deferImage(n) {
					if bwdPair(n, m0) {
						return
					}
					n--
					continue
				}
				za, zb := st[0].tp.muRows(n, zTop, zBot)
				for _, b := range part(mine, za, zb) {
					ss, si := st[b.pos], list[b.pos]
					l0, l1 := ss.Lm[n%2], ss.Lm[(n+1)%2]
					wprev := ss.tp.ws[n-1-m0]
					var plain []T
					if h0 >= 0 && !deferImage(n) {
						plain = ss.g[h0]
					}
					ss.tp.adjStep(c, l0, l1, wprev, pairedWith(ss.tp.ws, n, m0, m1), plain, n, b.z0, b.z1)
					if n%r.k == 0 {
						j := n/r.k - 1
						rr := ss.d[j*s.nrec : (j+1)*s.nrec]
						for i, ix := range r.rec[si] {
							if inBand(ix, b) {
								val := c.A[ix] * rr[i]
								l0[ix] += val
								if plain != nil && ss.tp.wHas(n-1, ix/stride) {
									plain[ix] += val * ss.tp.at(wprev, ix)
								}
							}
						}
					}
					if ss.off != nil {
						ss.off.addRows(l0, wprev, b.z0, b.z1)
					}
					if src := r.src[si]; inBand(src, b) {
						ss.gb += float64(l0[src]) / float64(c.A[src]) * float64(r.f[n-1])
					}
				}
				if sync() {
					return
				}
			}
		}
	}
	for w := 0; w < nw; w++ {
		go worker(w)
	}
	for w := 0; w < nw; w++ {
		<-done
	}
	if stop.requested() {
		return 0, ctx.Err()
	}
	gsrc := make([]float64, s.grid.Cells())
	for pos, ss := range st {
		if err := checkFinite(ss.d, list[pos:pos+1], s.nrec); err != nil {
			return 0, err
		}
		if ss.off != nil {
			ss.off.flush()
		}
		for k := range dst {
			r.foldPadded(dst[k], ss.g[k], k != h0)
		}
		r.sourceTerm(gsrc, list[pos], ss.gb)
	}
	if h0 >= 0 {
		for i, x := range gsrc {
			dst[h0][i] += x
		}
	}
	return misfit, nil
}
