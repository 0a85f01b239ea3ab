package wave

import "sort"

// A sweep holds one shot's wavefields, and its methods are the rules of one
// time step: the stencil update over a band of rows, the source term, the
// receivers, the tape of stored Laplacians, and in the adjoint the residual
// injection, the imaging products and the source-strength gradient. They are
// the only code that applies those rules; the schedules (schedule.go) only
// decide which worker runs which rows of which shot when, and call them.
//
// Fields are addressed by step parity, so that several workers can run
// different rows of the same step without swapping shared slices: before
// forward step n, F[n%2] holds p^n and F[(n+1)%2] holds p^{n−1}, which the
// step overwrites with p^{n+1}. Likewise backward step n writes μ^n into
// M[n%2] while M[(n+1)%2] holds μ^{n+1}.
//
// Every method takes the rows [z0, z1) (halo layout) it may write. A method
// that needs rows of a neighbouring band as they are after the step (the
// second step of a fused pair) comes in two parts: the first runs what needs
// only the band's own rows, the second (…Edges) the rest, after the
// schedule's barrier.
type sweep[T float] struct {
	r     *run[T]
	si    int     // shot index
	src   int     // source cell (halo layout)
	b     T       // B = (v dt)² at the source (times the Devito scale)
	invAs float64 // 1/A at the source: λ = μ/A there
	rec   []int   // receiver cells
	order []int   // indices of rec sorted by cell (stable: equal cells keep their order)
	F, M  [2][]T  // forward and adjoint fields by step parity
	d     []T     // [Nt][nrec]: the recorded data, then the residual
	tp    *tape[T]
	// tz0, tz1: the rows of the tape the adjoint reads (tapeRows). The
	// forward stores w only there, and a tape's fields alias each other
	// outside them (newTapeRows).
	tz0, tz1 int
	z        cone
	img      *images[T] // where the adjoint images go (nil: forward only)
	gb       float64    // Σ_n λ^n_s f^{n−1} = ∂J/∂B_s
	keep     []T        // without a tape: where each step stores w^n (nil: nowhere)
}

// newSweep returns a sweep with its fields taken from the simulator's cache.
// tp (nil: a plain forward) is the tape the forward fills for the adjoint;
// img (nil: no adjoint) collects the images.
func (r *run[T]) newSweep(tp *tape[T], img *images[T]) *sweep[T] {
	s := &sweep[T]{r: r, tp: tp, img: img}
	for k := range 2 {
		s.F[k] = getBuf[T](r.s, r.fields)
		if img != nil {
			s.M[k] = getBuf[T](r.s, r.fields)
		}
	}
	if img != nil {
		s.d = make([]T, r.s.opts.Nt*r.s.nrec)
	}
	return s
}

// release hands the sweep's buffers back to the simulator's cache.
func (s *sweep[T]) release() {
	putBuf(s.r.s, s.F[0], s.F[1])
	if s.img != nil {
		putBuf(s.r.s, s.M[0], s.M[1])
	}
	if s.tp != nil {
		s.tp.release(s.r.s)
	}
}

// start readies the sweep for shot si with every field at rest. d (nil: the
// sweep's own buffer) receives the data; it is cleared, because the rows
// known to be zero are not recorded. Images only the zero-offset one can use
// the zero cones (the shifted correlations read every row of w).
func (s *sweep[T]) start(si int, d []T) {
	r := s.r
	c := &r.c
	s.si, s.src, s.b, s.rec = si, r.src[si], r.bsrc[si], r.rec[si]
	s.invAs = 1 / float64(c.A[s.src])
	s.order = s.order[:0]
	for i := range s.rec {
		s.order = append(s.order, i)
	}
	sort.SliceStable(s.order, func(a, b int) bool { return s.rec[s.order[a]] < s.rec[s.order[b]] })
	if d != nil {
		s.d = d
	}
	clear(s.d)
	for k := range 2 {
		clear(s.F[k])
		clear(s.M[k])
	}
	s.gb = 0
	on := r.cone && s.tp != nil && !c.wrap && (s.img == nil || s.img.off == nil)
	s.z = newCone(c, r.N, s.src, s.rec, on)
	s.tz0, s.tz1 = r.tapeRows()
}

// tapeRows returns the rows [t0, t1) of the stored Laplacians that the
// adjoint reads: with Options.CropImages the model rows (the Born adjoints
// discard the images elsewhere, and the shifted correlations are
// horizontal), else every row, halo included (the tape's layout is then
// that of a field).
func (r *run[T]) tapeRows() (int, int) {
	if r.crop && !r.s.tune.tapeAll {
		return r.c.hw + r.nb, r.c.hw + r.nb + r.s.grid.Nz
	}
	return 0, r.c.rows
}

// kept clips rows [a, b) to the rows the tape keeps.
func (s *sweep[T]) kept(a, b int) (int, int) { return max(a, s.tz0), min(b, s.tz1) }

// in reports whether cell ix lies in rows [z0, z1).
func (s *sweep[T]) in(ix, z0, z1 int) bool {
	z := ix / s.r.c.stride
	return z >= z0 && z < z1
}

// sourceAt returns the source cell and term of step n if the source lies in
// rows [z0, z1), else −1.
func (s *sweep[T]) sourceAt(n, z0, z1 int) (int, T) {
	if !s.in(s.src, z0, z1) {
		return -1, 0
	}
	return s.src, s.b * s.r.f[n]
}

// inject adds the source term of step n to p^{n+1} (p) in rows [z0, z1).
func (s *sweep[T]) inject(p []T, n, z0, z1 int) {
	if ix, f := s.sourceAt(n, z0, z1); ix >= 0 {
		p[ix] += f
	}
}

// record stores p^{n+1} (p) at the receivers in rows [z0, z1) when step n
// ends a recording interval.
func (s *sweep[T]) record(p []T, n, z0, z1 int) {
	k := s.r.k
	if (n+1)%k != 0 {
		return
	}
	nrec := len(s.rec)
	j := (n+1)/k - 1
	o := s.d[j*nrec : (j+1)*nrec]
	for i, ix := range s.rec {
		if s.in(ix, z0, z1) {
			o[i] = p[ix]
		}
	}
}

// residualAt returns, in ascending cell order, the receiver cells in rows
// [z0, z1) and the values A·r that backward step n injects there (none when
// n is not a recording step), in the lane's scratch.
func (s *sweep[T]) residualAt(ln *lane[T], n, z0, z1 int) ([]int32, []T) {
	ln.idx, ln.val = ln.idx[:0], ln.val[:0]
	k := s.r.k
	if n%k != 0 {
		return nil, nil
	}
	nrec := len(s.rec)
	j := n/k - 1
	rr := s.d[j*nrec : (j+1)*nrec]
	for _, i := range s.order {
		if ix := s.rec[i]; s.in(ix, z0, z1) {
			ln.idx = append(ln.idx, int32(ix))
			ln.val = append(ln.val, s.r.c.A[ix]*rr[i])
		}
	}
	return ln.idx, ln.val
}

// injectResidual adds the residual of backward step n to μ^n (l) in rows
// [z0, z1) and, with img non-nil, the products of the injected values with
// w^{n−1} (wprev) to img (the step's imaging, done before the injection).
func (s *sweep[T]) injectResidual(ln *lane[T], l, img, wprev []T, n, z0, z1 int) {
	idx, val := s.residualAt(ln, n, z0, z1)
	for i, ix := range idx {
		l[ix] += val[i]
		if row := int(ix) / s.r.c.stride; img != nil && s.z.wHas(n-1, row) && row >= s.tz0 && row < s.tz1 {
			img[ix] += val[i] * s.tp.at(wprev, int(ix))
		}
	}
}

// sourceGrad adds μ^n_s/A_s · f^{n−1} (μ^n in l) to the source-strength
// gradient when the source lies in rows [z0, z1).
func (s *sweep[T]) sourceGrad(l []T, n, z0, z1 int) {
	if s.in(s.src, z0, z1) {
		s.gb += float64(l[s.src]) * s.invAs * float64(s.r.f[n-1])
	}
}

// wbuf returns where forward step n stores w^n: the tape's slot in the first
// pass (replay < 0) or in the replay of the segment starting at step replay,
// keep without a tape, nil when the step is not stored.
func (s *sweep[T]) wbuf(n, replay int) []T {
	switch {
	case s.tp == nil:
		return s.keep
	case replay >= 0:
		return s.tp.ws[n-replay]
	}
	return s.tp.wbuf(n)
}

func (s *sweep[T]) stream() bool { return s.tp != nil && s.tp.stream }

// stepRows runs forward step n (p0 ← p^{n+1} from p1 = p^n) on the rows of
// [z0, z1) where w^n can be nonzero, storing w^n in ws (nil: not stored).
func (s *sweep[T]) stepRows(p0, p1, ws []T, n, z0, z1 int) {
	a, b := s.z.wRows(n, z0, z1)
	if a < b {
		stepKept(&s.r.c, p0, p1, ws, a, b, s.tz0, s.tz1, s.stream())
	}
	s.clearAround(ws, n, a, b, z0, z1)
}

// clearAround zeroes the rows of the stored w^n (ws, nil: none) that lie in
// wRows(n+1) but outside the rows [a, b) just stored, both within the kept
// rows. Paired imaging reads w^n on the rows of w^{n+1} (adjRows), and the
// slab holds stale values outside the rows written (at most hw rows on each
// side).
func (s *sweep[T]) clearAround(ws []T, n, a, b, z0, z1 int) {
	if ws == nil || !s.z.on {
		return
	}
	a, b = s.kept(a, b)
	a1, b1 := s.kept(s.z.wRows(n+1, z0, z1))
	if a >= b {
		a, b = a1, a1
	}
	st := s.r.c.stride
	if s.tp.t16 {
		st /= 2 // bfloat16 rows: half a row of float32 slots (the stride is even)
	}
	if a1 < a {
		clear(ws[a1*st : a*st])
	}
	if b < b1 {
		clear(ws[b*st : b1*st])
	}
}

// fwdStep runs forward step n on rows [z0, z1): the stencil (storing w^n on
// the tape if it keeps step n), the source term and, in the first pass
// (replay < 0), the receivers.
func (s *sweep[T]) fwdStep(n, z0, z1, replay int) {
	p0, p1 := s.F[(n+1)%2], s.F[n%2]
	s.stepRows(p0, p1, s.wbuf(n, replay), n, z0, z1)
	s.inject(p0, n, z0, z1)
	if replay < 0 {
		s.record(p0, n, z0, z1)
	}
}

// fwdPair runs forward steps n (on rows [z0, z1)) and n+1 (on [lo, hi)) in
// one pass (the fused C kernel), the source term of step n in between.
// Values equal two fwdStep calls.
func (s *sweep[T]) fwdPair(n, z0, z1, lo, hi, replay int) {
	p0, p1 := s.F[(n+1)%2], s.F[n%2]
	ws1, ws2 := s.wbuf(n, replay), s.wbuf(n+1, replay)
	a1, b1 := s.z.wRows(n, z0, z1)
	a2, b2 := s.z.wRows(n+1, lo, hi)
	src, f := s.sourceAt(n, z0, z1)
	fusedForward(&s.r.c, p0, p1, a1, b1, ws1, src, f, a2, b2, ws2, s.stream(), s.tz0, s.tz1)
	s.clearAround(ws1, n, a1, b1, z0, z1)
	s.clearAround(ws2, n+1, a2, b2, lo, hi)
}

// fwdPairEdges completes fwdPair: step n+1 on the rows of [z0, z1) outside
// [lo, hi), its source term, and the receivers of both steps.
func (s *sweep[T]) fwdPairEdges(n, z0, z1, lo, hi, replay int) {
	p0, p1 := s.F[(n+1)%2], s.F[n%2]
	ws2 := s.wbuf(n+1, replay)
	for _, e := range edges(z0, z1, lo, hi) {
		if e[0] < e[1] {
			s.stepRows(p1, p0, ws2, n+1, e[0], e[1])
		}
	}
	s.inject(p1, n+1, z0, z1)
	if replay < 0 {
		s.record(p0, n, z0, z1)
		s.record(p1, n+1, z0, z1)
	}
}

// edges returns the rows of [z0, z1) outside [lo, hi): the band's rows next
// to its neighbours (empty when [lo, hi) is the whole band).
func edges(z0, z1, lo, hi int) [2][2]int {
	return [2][2]int{{z0, min(lo, z1)}, {max(hi, lo), z1}}
}

// adjRows runs backward step n on the rows of [z0, z1) where μ^n can be
// nonzero, fused with the imaging condition on the rows where the products
// can be nonzero: img += μ^n w^{n−1} (wpair nil) or img += μ^{n+1} w^n +
// μ^n w^{n−1} (wpair = w^n, paired imaging; μ^{n+1} is l1). img nil: no
// image (also for a step that defers its product).
func (s *sweep[T]) adjRows(l0, l1, wprev, wpair, img []T, n, z0, z1 int) {
	c := &s.r.c
	a, b := s.z.muRows(n, z0, z1)
	if a >= b {
		return
	}
	// w^n is nonzero on a superset of the rows of w^{n−1}, and μ^{n+1} on a
	// subset of those of μ^n.
	wn := n - 1
	if wpair != nil {
		wn = n
	}
	wa, wb := s.kept(s.z.wRows(wn, a, b))
	if img == nil || wa >= wb {
		stepForward(c, l0, l1, nil, a, b)
		return
	}
	if a < wa {
		stepForward(c, l0, l1, nil, a, wa)
	}
	if wpair != nil {
		stepImage2(c, l0, l1, wpair, wprev, img, wa, wb)
	} else {
		stepImage(c, l0, l1, wprev, img, wa, wb)
	}
	if wb < b {
		stepForward(c, l0, l1, nil, wb, b)
	}
}

// Paired imaging: the product of an even backward step n, μ^n w^{n−1}, is
// deferred to step n−1, whose kernel reads μ^n (its centre field) anyway and
// adds μ^n w^{n−1} + μ^{n−1} w^{n−2} in one pass, so the image is read and
// written once per two steps. Checkpoint segments start at even steps (newTape
// keeps L even), so a pair never straddles two segments and the pairing,
// hence every rounding, depends on n only: full storage and checkpointing stay
// equal bit for bit. Only a final odd step N (odd Nt·k) images alone.

// deferImage reports whether backward step n leaves its imaging product to
// step n−1 (see paired imaging).
func deferImage(n int) bool { return n%2 == 0 }

// adjStep runs backward step n of the segment of steps (m0, m1] on rows
// [z0, z1): the step with its imaging, the residual, the shifted
// correlations and the source-strength gradient.
func (s *sweep[T]) adjStep(ln *lane[T], n, m0, m1, z0, z1 int) {
	l0, l1 := s.M[n%2], s.M[(n+1)%2]
	ws := s.tp.ws
	wprev := ws[n-1-m0]
	var wpair []T
	if n%2 == 1 && n+1 <= m1 {
		wpair = ws[n-m0]
	}
	img := s.img.plain
	if deferImage(n) {
		img = nil
	}
	s.adjRows(l0, l1, wprev, wpair, img, n, z0, z1)
	s.injectResidual(ln, l0, img, wprev, n, z0, z1)
	if s.img.off != nil {
		s.img.off.add(&ln.cq, l0, wprev, z0, z1)
	}
	s.sourceGrad(l0, n, z0, z1)
}

// bwdPair runs backward steps n (even, on rows [z0, z1)) and n−1 (on
// [lo, hi)) of the segment starting at m0 in one pass (the fused C kernel),
// step n's residual in between, with paired imaging. Values equal two
// adjStep calls.
func (s *sweep[T]) bwdPair(ln *lane[T], n, m0, z0, z1, lo, hi int) {
	m := n - 1
	l0, l1 := s.M[n%2], s.M[(n+1)%2]
	a1, b1 := s.z.muRows(n, z0, z1)
	a2, b2 := s.z.muRows(m, lo, hi)
	ia, ib := s.kept(s.z.wRows(m, a2, b2))
	idx, val := s.residualAt(ln, n, z0, z1)
	fusedBackward(&s.r.c, l0, l1, a1, b1, idx, val, a2, b2, s.tp.ws[m-m0], s.tp.ws[m-1-m0], s.img.plain, ia, ib)
	s.sourceGrad(l0, n, z0, z1)
}

// bwdPairEdges completes bwdPair: step n−1 on the rows of [z0, z1) outside
// [lo, hi), its residual, the source-strength gradient and the shifted
// correlations of both steps.
func (s *sweep[T]) bwdPairEdges(ln *lane[T], n, m0, z0, z1, lo, hi int) {
	m := n - 1
	l0, l1 := s.M[n%2], s.M[(n+1)%2]
	wa, wb := s.tp.ws[m-m0], s.tp.ws[m-1-m0]
	plain := s.img.plain
	for _, e := range edges(z0, z1, lo, hi) {
		if e[0] < e[1] {
			s.adjRows(l1, l0, wb, wa, plain, m, e[0], e[1])
		}
	}
	s.injectResidual(ln, l1, plain, wb, m, z0, z1)
	s.sourceGrad(l1, m, z0, z1)
	if s.img.off != nil {
		s.img.off.add(&ln.cq, l0, wa, z0, z1)
		s.img.off.add(&ln.cq, l1, wb, z0, z1)
	}
}

// checkpoint copies rows [z0, z1) of (p^n, p^{n−1}) to the tape's checkpoint
// when step n starts a stored segment; it reports whether it did.
func (s *sweep[T]) checkpoint(n, z0, z1 int) bool {
	t := s.tp
	if t == nil || n%t.L != 0 || n >= t.last {
		return false
	}
	ck := t.ck[n/t.L]
	s.copyRows(ck[0], s.F[n%2], z0, z1)
	s.copyRows(ck[1], s.F[(n+1)%2], z0, z1)
	return true
}

// restore copies rows [z0, z1) of checkpoint seg back into the fields.
func (s *sweep[T]) restore(seg, z0, z1 int) {
	m0 := seg * s.tp.L
	s.copyRows(s.F[m0%2], s.tp.ck[seg][0], z0, z1)
	s.copyRows(s.F[(m0+1)%2], s.tp.ck[seg][1], z0, z1)
}

func (s *sweep[T]) copyRows(dst, src []T, z0, z1 int) {
	st := s.r.c.stride
	copy(dst[z0*st:z1*st], src[z0*st:z1*st])
}

// The wavefields start at rest and the stencil reaches hw rows per step, so
// the forward field p^n is exactly zero (bit for bit, in any arithmetic)
// outside rows zs ± hw(n−1) and w^n = (c0+L)p^n outside zs ± hw·n; likewise
// μ^n is zero outside the receiver rows ± hw(N−n). The gradient's tape
// neither computes nor stores the rows where w^n is zero, and the backward
// sweep neither computes μ^n where it is zero nor reads w^{n−1} where either
// factor of the imaging product is. For OpenFWI (source and receivers at
// row 121 of 310) this removes about 4 % of the stencil work of each sweep
// and 8 % of the tape traffic, without changing any result.

// cone bounds the rows where one shot's fields can be nonzero (off: every
// row may be). On a periodic grid the fields leave the cone across the
// edges, so it is off there.
type cone struct {
	on              bool
	N, hw, top, bot int // steps; stencil half-width; interior rows [top, bot)
	zs, rlo, rhi    int // source row, receiver rows (min, max)
}

func newCone[T float](c *coef[T], N, src int, rec []int, on bool) cone {
	z := cone{on: on, N: N, hw: c.hw, top: c.hw, bot: c.hw + c.nzp, zs: src / c.stride}
	z.rlo, z.rhi = 1<<30, -1<<30 // no receivers: μ is zero everywhere
	for _, ix := range rec {
		z.rlo, z.rhi = min(z.rlo, ix/c.stride), max(z.rhi, ix/c.stride)
	}
	return z
}

// rows clips rows [lo−r, hi+r] to the band [z0, z1) and the interior.
func (z *cone) rows(lo, hi, r, z0, z1 int) (int, int) {
	return max(lo-r, z0, z.top), min(hi+r+1, z1, z.bot)
}

// wRows returns the rows [a, b) of band [z0, z1) where w^n (and p^{n+1}
// before the source term) can be nonzero, or the whole band.
func (z *cone) wRows(n, z0, z1 int) (int, int) {
	if !z.on {
		return z0, z1
	}
	return z.rows(z.zs, z.zs, z.hw*n, z0, z1)
}

// muRows returns the rows [a, b) of band [z0, z1) where μ^n can be nonzero.
func (z *cone) muRows(n, z0, z1 int) (int, int) {
	if !z.on {
		return z0, z1
	}
	return z.rows(z.rlo, z.rhi, z.hw*(z.N-n), z0, z1)
}

// wHas reports whether w^n can be nonzero in row r.
func (z *cone) wHas(n, r int) bool {
	a, b := z.wRows(n, r, r+1)
	return a < b
}
