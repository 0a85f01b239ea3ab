package wave

import (
	"context"
	"fmt"
	"math"
	"sort"
)

// Adjoint state. With p^0 = p^{-1} = 0 the forward scheme is, for internal
// steps n = 0..N−1,
//
//	p^{n+1} = Q∘p^n − P∘p^{n−1} + A∘w^n + B f^n e_s,    w^n = (c0 + L) p^n,
//	d^j     = R p^{(j+1)k}                              (k substeps per sample)
//
// For J = ½ Σ_j ‖d^j − d_obs^j‖² the discrete adjoint runs backwards from
// λ^{N+1} = λ^{N+2} = 0:
//
//	λ^n = Q∘λ^{n+1} + (c0 + L)(A∘λ^{n+1}) − P∘λ^{n+2} + Rᵀ(d^j − d_obs^j)[n = (j+1)k]
//
// and ∂J/∂A_i = Σ_n λ^n_i w^{n−1}_i, ∂J/∂B_s = Σ_n λ^n_s f^{n−1}. With
// A = (v dt/h)², B = (v dt)²: ∂J/∂v = (2A/v) ∂J/∂A + (2B/v) ∂J/∂B on the padded
// grid, summed onto the model cells the padding replicates. The damping is
// held fixed. The same backward sweep with an arbitrary residual is the
// adjoint of the Born operator (RTM) and, with shifted products, of the
// extended Born operator.
//
// Because A, Q and P are diagonal, μ = A∘λ obeys the forward recurrence
// itself: μ^n = Q∘μ^{n+1} + A∘(c0 + L)μ^{n+1} − P∘μ^{n+2} + A∘Rᵀr^n. The sweep
// therefore runs the forward kernel on μ, injects A·r at the receivers, and
// accumulates Σ_n μ^n w^{n−1} = A ∂J/∂A, so that ∂J/∂v = (2/v) Σ μ w: no
// division and no separate adjoint stencil.

// tape stores what the adjoint sweep needs from the forward pass: the
// Laplacians w^n of the last segment of L steps, and a checkpoint
// (p^{m}, p^{m−1}) at the start of every earlier segment, which is recomputed
// during the backward sweep (one extra forward in total).
type tape[T float] struct {
	N, L, nseg, last int   // steps, segment length, segments, start of the last
	slab             []T   // backing store of ws
	ws               [][]T // ws[i] = w^{last+i}, or of the segment being replayed
	ck               [][2][]T
	// stream: write ws with non-temporal stores (stepTape). Set when the
	// segments of all shots in flight together exceed streamMin, i.e. when a
	// stored Laplacian has left the caches by the time the adjoint reads it.
	stream bool
	// Rows known to be zero (see wRows). cone enables it; hw and top, bot
	// (the interior rows, halo layout) come from the coefficients and zs is
	// the source row of the shot being recorded.
	cone             bool
	hw, top, bot, zs int
	rlo, rhi         int // receiver rows of that shot (min, max)
	// t16: the fields of ws hold bfloat16 values (coef.tape16), two per
	// slot; read them with at.
	t16 bool
}

// at returns value ix of the stored field w.
func (t *tape[T]) at(w []T, ix int) T {
	if !t.t16 {
		return w[ix]
	}
	u := math.Float32bits(float32(w[ix/2])) // little-endian: even ix in the low half
	if ix%2 == 1 {
		u >>= 16
	}
	return T(math.Float32frombits(u << 16))
}

// begin readies the tape for recording a shot with source cell src and
// receiver cells rec (halo layout); cone enables the zero-row skipping, which
// only the zero-offset image may use (the shifted images of offsetImage read
// every row of w).
func (t *tape[T]) begin(c *coef[T], src int, rec []int, cone bool) {
	// On a periodic grid the field leaves the cone across the edges.
	t.cone = cone && useCone && !c.wrap
	t.hw, t.top, t.bot = c.hw, c.hw, c.hw+c.nzp
	t.zs = src / c.stride
	t.rlo, t.rhi = 1<<30, -1<<30 // no receivers: μ is zero everywhere
	for _, ix := range rec {
		t.rlo, t.rhi = min(t.rlo, ix/c.stride), max(t.rhi, ix/c.stride)
	}
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

// coneRows clips rows [lo−r, hi+r] to the band [z0, z1) and the interior.
func (t *tape[T]) coneRows(lo, hi, r, z0, z1 int) (int, int) {
	return max(lo-r, z0, t.top), min(hi+r+1, z1, t.bot)
}

// wRows returns the rows [a, b) of band [z0, z1) where w^n (and p^{n+1}
// before the source term) can be nonzero, or the whole band.
func (t *tape[T]) wRows(n, z0, z1 int) (int, int) {
	if !t.cone {
		return z0, z1
	}
	return t.coneRows(t.zs, t.zs, t.hw*n, z0, z1)
}

// muRows returns the rows [a, b) of band [z0, z1) where μ^n can be nonzero.
func (t *tape[T]) muRows(n, z0, z1 int) (int, int) {
	if !t.cone {
		return z0, z1
	}
	return t.coneRows(t.rlo, t.rhi, t.hw*(t.N-n), z0, z1)
}

// wHas reports whether w^n can be nonzero in row z.
func (t *tape[T]) wHas(n, z int) bool {
	a, b := t.wRows(n, z, z+1)
	return a < b
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

// pairedWith returns, for backward step n of the segment ending at m1, the
// stored Laplacian w^n that step n images together with its own w^{n−1} (ws
// is the segment's tape starting at step m0), or nil if step n images alone.
func pairedWith[T float](ws [][]T, n, m0, m1 int) []T {
	if n%2 == 1 && n+1 <= m1 {
		return ws[n-m0]
	}
	return nil
}

// adjStep runs backward step n on band [z0, z1): μ^n on muRows, fused with
// the imaging condition on the rows where the products can be nonzero:
// plain += μ^n w^{n−1} (wpair nil) or plain += μ^{n+1} w^n + μ^n w^{n−1}
// (wpair = w^n, paired imaging; μ^{n+1} is l1). plain nil: no image (also
// for a step that defers its product).
func (t *tape[T]) adjStep(c *coef[T], l0, l1, wprev, wpair, plain []T, n, z0, z1 int) {
	a, b := t.muRows(n, z0, z1)
	if a >= b {
		return
	}
	// w^n is nonzero on a superset of the rows of w^{n−1}, and μ^{n+1} on a
	// subset of those of μ^n.
	wn := n - 1
	if wpair != nil {
		wn = n
	}
	wa, wb := t.wRows(wn, a, b)
	if plain == nil || wa >= wb {
		stepForward(c, l0, l1, nil, a, b)
		return
	}
	if a < wa {
		stepForward(c, l0, l1, nil, a, wa)
	}
	if wpair != nil {
		stepImage2(c, l0, l1, wpair, wprev, plain, wa, wb)
	} else {
		stepImage(c, l0, l1, wprev, plain, wa, wb)
	}
	if wb < b {
		stepForward(c, l0, l1, nil, wb, b)
	}
}

// step runs forward step n on rows [z0, z1), storing w^n in ws (nil: not
// stored), restricted to wRows.
func (t *tape[T]) step(c *coef[T], p0, p1, ws []T, n, z0, z1 int) {
	a, b := t.wRows(n, z0, z1)
	if a < b {
		stepTape(c, p0, p1, ws, a, b, t.stream)
	}
	t.clearAround(c, ws, n, a, b, z0, z1)
}

// step2 runs forward steps n and n+1 on rows [z0, z1) in one pass (fused
// C kernel), storing w^n in ws1 and w^{n+1} in ws2 (nil: not stored),
// restricted to wRows, with the source term fsrc of step n added at src in
// between. Values equal two calls of step.
func (t *tape[T]) step2(c *coef[T], p0, p1, ws1, ws2 []T, n, z0, z1, src int, fsrc T) {
	a1, b1 := t.wRows(n, z0, z1)
	a2, b2 := t.wRows(n+1, z0, z1)
	fusedForward(c, p0, p1, a1, b1, ws1, src, fsrc, a2, b2, ws2, t.stream)
	t.clearAround(c, ws1, n, a1, b1, z0, z1)
	t.clearAround(c, ws2, n+1, a2, b2, z0, z1)
}

// clearAround zeroes the rows of the stored w^n (ws, nil: none) that lie in
// wRows(n+1) but outside the rows [a, b) just stored. Paired imaging reads
// w^n on the rows of w^{n+1} (adjStep), and the slab holds stale values
// outside the rows written (at most hw rows on each side).
func (t *tape[T]) clearAround(c *coef[T], ws []T, n, a, b, z0, z1 int) {
	if ws == nil || !t.cone {
		return
	}
	a1, b1 := t.wRows(n+1, z0, z1)
	if a >= b {
		a, b = a1, a1
	}
	s := c.stride
	if t.t16 {
		s /= 2 // bfloat16 rows: half a row of float32 slots (the stride is even)
	}
	if a1 < a {
		clear(ws[a1*s : a*s])
	}
	if b < b1 {
		clear(ws[b*s : b1*s])
	}
}

// streamMin is the tape size (bytes, all shots in flight) above which the
// Laplacians are streamed past the caches: the 32 MiB L3 of the machine the
// kernels were tuned on, so that smaller segments (checkpointing with a small
// budget) stay cache-resident between the recompute and the backward sweep.
// Measured on OpenFWI (docs/wave.md): a 21.7 MB segment (32 MiB budget, one
// shot in flight) took 256 ms per gradient with regular stores and 297 ms
// streamed; the 394 MB full tape 274 ms streamed and 289 ms regular.
//
// streamMin, groupShots and useCone are variables, not constants,
// only so that tests can compare the variants bit for bit and benchmarks can
// time them; nothing else changes them.
var streamMin int64 = 32 << 20

// groupShots is how many shots the row-band schedule of backprop keeps in
// flight at once (see there).
var groupShots = 1

// splitShots: in backprop, run the shots that divide evenly among the
// workers shot-parallel and only the remainder on row bands.
var splitShots = false

// useCone: skip the rows where the fields are exactly zero (tape.wRows).
var useCone = true

// newTape sizes a tape for N steps of fields of n values within budget bytes:
// everything if it fits, else the longest segment L with
// (L + 2·ceil(N/L))·field ≤ budget, but at least ceil(sqrt(2N)). inflight is
// the number of shots whose tapes are live at the same time (for stream).
// t16: store the Laplacians as bfloat16 (coef.tape16; n even), half the
// bytes per stored step.
func newTape[T float](s *Simulator, N, n int, budget int64, inflight int, t16 bool) *tape[T] {
	var zero T
	fb := int64(n) * int64(sizeOf(zero))
	fl := n // slots of T per stored field
	if t16 {
		fb, fl = int64(n)*2, n/2
	}
	cap := int(budget / fb)
	L := N
	if L > cap {
		lmin := int(math.Ceil(math.Sqrt(2 * float64(N))))
		L = cap
		for L > lmin && L+2*((N+L-1)/L) > cap {
			L--
		}
		if L < lmin {
			L = lmin
		}
	}
	// Segments start at even steps (paired imaging in the backward sweep).
	if L < N && L%2 == 1 {
		if L-1 >= max(int(math.Ceil(math.Sqrt(2*float64(N)))), 2) {
			L--
		} else {
			L = min(L+1, N)
		}
	}
	if L < 1 {
		L = 1
	}
	t := &tape[T]{N: N, L: L, nseg: (N + L - 1) / L, stream: int64(L)*fb*int64(inflight) > streamMin, cone: useCone, t16: t16}
	t.last = (t.nseg - 1) * L
	// One slab for the L stored fields: one allocation, one stream through
	// memory. (Advising huge pages for it was measured and dropped: with
	// THP defrag "madvise" some calls stalled for seconds; docs/wave.md.)
	t.slab = getBuf[T](s, L*fl)
	t.ws = make([][]T, L)
	for i := range t.ws {
		t.ws[i] = t.slab[i*fl : (i+1)*fl : (i+1)*fl]
	}
	t.ck = make([][2][]T, t.nseg-1)
	for i := range t.ck {
		t.ck[i] = [2][]T{getBuf[T](s, n), getBuf[T](s, n)}
	}
	return t
}

func sizeOf[T float](x T) int {
	if _, ok := any(x).(float32); ok {
		return 4
	}
	return 8
}

// release hands the tape's buffers back to the simulator's cache.
func (t *tape[T]) release(s *Simulator) {
	putBuf(s, t.slab)
	for _, ck := range t.ck {
		putBuf(s, ck[0], ck[1])
	}
}

// checkpoint is called before internal step n with p1 = p^n, p0 = p^{n−1}.
func (t *tape[T]) checkpoint(n int, p1, p0 []T) {
	if n%t.L == 0 && n < t.last {
		ck := t.ck[n/t.L]
		copy(ck[0], p1)
		copy(ck[1], p0)
	}
}

// wbuf returns where to store w^n during the first forward pass, or nil.
func (t *tape[T]) wbuf(n int) []T {
	if n >= t.last {
		return t.ws[n-t.last]
	}
	return nil
}

// offsetImage correlates λ = μ/A at x+h with w at x−h (horizontal subsurface
// offset h ≠ 0 cells) for every offset, on the image region (the padded grid,
// or the model cells with Options.CropImages; newOffsetImage); products whose
// shifted cells leave the padded grid are skipped. The correlations of one
// shot accumulate in slab (one contiguous field per offset, so that one C
// call runs all offsets row by row while the λ and w rows stay in L1) and
// flush adds them to g.
type offsetImage[T float] struct {
	c       *coef[T]
	invA    []T // 1/A on the padded grid, 0 in the halo
	offsets []int
	g       [][]T
	// lam is scratch for λ (halo layout): each call fills the rows it
	// images, so concurrent calls on disjoint rows do not interfere.
	lam                []T
	slab               []T // len(offsets) fields of this shot's correlations
	fields             int
	offs, x0s, x1s     []int32 // per offset: h and its column range
	zlo, zhi, xlo, xhi int     // image region, halo-layout rows and columns
	maxh               int     // max |h|
}

func (im *offsetImage[T]) add(mu, w []T) { im.addRows(mu, w, im.zlo, im.zhi) }

// addRows is add restricted to rows z0..z1−1 (halo layout). λ is formed once
// per cell; every product λ(x+h)·w(x−h) is added to its own cell's sum in
// time order as before (C: possibly as a fused multiply-add).
func (im *offsetImage[T]) addRows(mu, w []T, z0, z1 int) {
	z0, z1 = max(z0, im.zlo), min(z1, im.zhi)
	if z0 >= z1 {
		return
	}
	c := im.c
	a, b := max(im.xlo-im.maxh, c.hw), min(im.xhi+im.maxh, c.hw+c.nxp)
	if s32, ok := any(im.slab).([]float32); ok && haveCKernel {
		corrRowsC(s32, im.fields, im.offs, im.x0s, im.x1s, any(im.lam).([]float32), any(mu).([]float32),
			any(im.invA).([]float32), a, b, any(w).([]float32), c.stride, z0, z1)
		return
	}
	for z := z0; z < z1; z++ {
		row := z * c.stride
		lam, m, ia := im.lam[row+a:row+b], mu[row+a:row+b], im.invA[row+a:row+b]
		for x := range lam {
			lam[x] = m[x] * ia[x]
		}
	}
	for z := z0; z < z1; z++ {
		row := z * c.stride
		for k, h := range im.offs {
			x0, x1 := int(im.x0s[k]), int(im.x1s[k])
			if x0 >= x1 {
				continue
			}
			base := k*im.fields + row
			gr := im.slab[base+x0 : base+x1]
			lr := im.lam[row+x0+int(h) : row+x1+int(h)]
			wr := w[row+x0-int(h) : row+x1-int(h)]
			for x := range gr {
				gr[x] += lr[x] * wr[x]
			}
		}
	}
}

// flush adds the shot's correlations to g and clears them.
func (im *offsetImage[T]) flush() {
	c := im.c
	for k, g := range im.g {
		for z := im.zlo; z < im.zhi; z++ {
			row := z * c.stride
			sr := im.slab[k*im.fields+row+im.xlo : k*im.fields+row+im.xhi]
			gr := g[row+im.xlo : row+im.xhi]
			for x, v := range sr {
				gr[x] += v
			}
			clear(sr)
		}
	}
}

// adjointShot runs the backward sweep of shot si (in μ = A∘λ) after
// forwardShot filled tp, injecting res ([Nt][nrec]) at the receivers. It
// accumulates Σ μ^n w^{n−1} into plain (if non-nil) and the shifted
// correlations into off (if non-nil), and returns Σ_n λ^n_s f^{n−1} (the
// source-amplitude sensitivity ∂J/∂B_s).
func (r *run[T]) adjointShot(ctx context.Context, si int, tp *tape[T], res []T, l0, l1, p0, p1 []T, plain []T, off *offsetImage[T]) (float64, error) {
	clear(l0)
	clear(l1)
	c := &r.c
	src, b, rec, nrec := r.src[si], r.bsrc[si], r.rec[si], len(r.rec[si])
	z0, z1 := c.hw, c.hw+c.nzp
	A := c.A
	invAs := 1 / float64(A[src])
	var gb float64
	// Fused pairs of backward steps (bwd2) for the C float32 kernels (the
	// shifted images correlate both steps' μ after the pair, in the same
	// order). The injections go in ascending cell order.
	fuse := canFuse[T]()
	var injIdx []int32
	var injVal []T
	recOrder := make([]int, nrec)
	for i := range recOrder {
		recOrder[i] = i
	}
	sort.SliceStable(recOrder, func(a, b int) bool { return rec[recOrder[a]] < rec[recOrder[b]] })
	for seg := tp.nseg - 1; seg >= 0; seg-- {
		m0 := seg * tp.L
		m1 := min(m0+tp.L, tp.N)
		if seg != tp.nseg-1 {
			copy(p1, tp.ck[seg][0])
			copy(p0, tp.ck[seg][1])
			for n := m0; n < m1; n++ {
				if fuse && n+1 < m1 {
					tp.step2(c, p0, p1, tp.ws[n-m0], tp.ws[n+1-m0], n, z0, z1, src, b*r.f[n])
					p1[src] += b * r.f[n+1]
					n++ // p^{n+1} is in p0 and p^{n+2} in p1: the roles stay
					continue
				}
				tp.step(c, p0, p1, tp.ws[n-m0], n, z0, z1)
				p0[src] += b * r.f[n]
				p0, p1 = p1, p0
			}
		}
		for n := m1; n > m0; n-- {
			if n%ctxEvery == 0 || (fuse && n%ctxEvery == 1) {
				if err := ctx.Err(); err != nil {
					return 0, err
				}
			}
			if fuse && deferImage(n) {
				// Steps n and n−1 in one pass (bwd2); same values as below.
				m := n - 1
				a1, b1 := tp.muRows(n, z0, z1)
				a2, b2 := tp.muRows(m, z0, z1)
				ia, ib := tp.wRows(m, a2, b2)
				injIdx, injVal = injIdx[:0], injVal[:0]
				if n%r.k == 0 {
					j := n/r.k - 1
					rr := res[j*nrec : (j+1)*nrec]
					for _, i := range recOrder {
						injIdx = append(injIdx, int32(rec[i]))
						injVal = append(injVal, A[rec[i]]*rr[i])
					}
				}
				fusedBackward(c, l0, l1, a1, b1, injIdx, injVal, a2, b2, tp.ws[m-m0], tp.ws[m-1-m0], plain, ia, ib)
				gb += float64(l0[src]) * invAs * float64(r.f[n-1])
				if m%r.k == 0 {
					j := m/r.k - 1
					rr := res[j*nrec : (j+1)*nrec]
					w2 := tp.ws[m-1-m0]
					for i, ix := range rec {
						val := A[ix] * rr[i]
						l1[ix] += val
						if plain != nil && tp.wHas(m-1, ix/c.stride) {
							plain[ix] += val * tp.at(w2, ix)
						}
					}
				}
				gb += float64(l1[src]) * invAs * float64(r.f[m-1])
				if off != nil {
					off.add(l0, tp.ws[m-m0])
					off.add(l1, tp.ws[m-1-m0])
				}
				n-- // μ^{n−1} is in l1 and μ^n in l0: the roles stay
				continue
			}
			wprev := tp.ws[n-1-m0]
			img := plain
			if deferImage(n) {
				img = nil
			}
			tp.adjStep(c, l0, l1, wprev, pairedWith(tp.ws, n, m0, m1), img, n, z0, z1)
			if n%r.k == 0 {
				j := n/r.k - 1
				rr := res[j*nrec : (j+1)*nrec]
				for i, ix := range rec {
					val := A[ix] * rr[i]
					l0[ix] += val
					if img != nil && tp.wHas(n-1, ix/c.stride) {
						plain[ix] += val * tp.at(wprev, ix)
					}
				}
			}
			if off != nil {
				off.add(l0, wprev)
			}
			gb += float64(l0[src]) * invAs * float64(r.f[n-1])
			l0, l1 = l1, l0
		}
	}
	return gb, nil
}

// foldPadded maps a padded-grid field gp (halo layout) scaled by 2/v (a plain
// μ image) or by 2A/v (a λ image, withA) onto the model grid, summing the
// cells the edge replication ties to each model cell (r.crop: only the model
// cells, Options.CropImages in the Born adjoints). dst is [Nz][Nx] and is
// accumulated into.
func (r *run[T]) foldPadded(dst []float64, gp []T, withA bool) {
	g := r.s.grid
	c := &r.c
	crop := r.crop
	for z := 0; z < c.nzp; z++ {
		mz := min(max(z-r.nb, 0), g.Nz-1)
		if crop && mz != z-r.nb {
			continue
		}
		for x := 0; x < c.nxp; x++ {
			mx := min(max(x-r.nb, 0), g.Nx-1)
			if crop && mx != x-r.nb {
				continue
			}
			i := r.idx(z, x)
			f := 2 / r.vp[z*c.nxp+x]
			if withA {
				f *= float64(c.A[i])
			}
			dst[mz*g.Nx+mx] += float64(gp[i]) * f
		}
	}
}

// sourceTerm adds gb·∂B/∂v at shot si's source to dst (model grid).
func (r *run[T]) sourceTerm(dst []float64, si int, gb float64) {
	sh := r.s.shots[si].Source
	v := r.vp[(sh.Z+r.nb)*r.c.nxp+sh.X+r.nb]
	dst[sh.Z*r.s.grid.Nx+sh.X] += gb * 2 * float64(r.bsrc[si]) / v
}

// backprop is the shared driver of Gradient and the (extended) Born adjoint.
// For each listed shot it runs the forward with a tape, forms the residual
// (resid(pos, dsyn) fills it in place from the synthetic data and returns the
// misfit contribution), back-propagates it and folds the correlation into
// dst[k] (one model-grid image per offset; offsets nil = plain gradient).
func (r *run[T]) backprop(ctx context.Context, list []int, offsets []int, resid func(pos int, d []T) float64, dst [][]float64) (float64, error) {
	s := r.s
	per := s.opts.Nt * s.nrec
	nimg := 1
	if offsets != nil {
		nimg = len(offsets)
	}
	type work struct {
		p0, p1, l0, l1, d []T
		tp                *tape[T]
		g                 [][]T
		gsrc              []float64 // model-grid source terms (zero-offset image)
		misfit            float64
	}
	// h0 is the image index of the zero offset (the plain gradient when
	// offsets is nil); shifted lists the other offsets and their indices.
	h0 := 0
	var shifted, shiftIdx []int
	if offsets != nil {
		h0 = -1
		for k, h := range offsets {
			if h == 0 {
				h0 = k
			} else {
				shifted = append(shifted, h)
				shiftIdx = append(shiftIdx, k)
			}
		}
	}
	gShift := func(g [][]T) [][]T {
		out := make([][]T, len(shiftIdx))
		for i, k := range shiftIdx {
			out[i] = g[k]
		}
		return out
	}
	var invA []T
	if len(shifted) > 0 {
		invA = make([]T, r.fields)
		for i, a := range r.c.A {
			if a != 0 {
				invA[i] = 1 / a
			}
		}
	}
	// shotPar runs the listed shots in parallel, one shot per worker at a
	// time, each worker with its own tape and images (fused C kernels).
	shotPar := func(list []int, resid func(pos int, d []T) float64) (float64, error) {
		nw := s.workers(len(list))
		ws := make([]*work, nw)
		defer func() {
			for _, wk := range ws {
				if wk != nil {
					putBuf(s, wk.p0, wk.p1, wk.l0, wk.l1)
					putBuf(s, wk.g...)
					wk.tp.release(s)
				}
			}
		}()
		err := forEach(ctx, nw, list, func(ctx context.Context, w, pos int) error {
			wk := ws[w]
			if wk == nil {
				wk = &work{p0: getBuf[T](s, r.fields), p1: getBuf[T](s, r.fields), l0: getBuf[T](s, r.fields), l1: getBuf[T](s, r.fields),
					d: make([]T, per), tp: newTape[T](s, r.N, r.fields, s.opts.budget(false), nw, r.c.tape16), gsrc: make([]float64, s.grid.Cells())}
				wk.g = make([][]T, nimg)
				for i := range wk.g {
					wk.g[i] = getBuf[T](s, r.fields)
					clear(wk.g[i])
				}
				ws[w] = wk
			}
			si := list[pos]
			wk.tp.begin(&r.c, r.src[si], r.rec[si], len(shifted) == 0)
			if err := r.forwardShot(ctx, si, wk.p0, wk.p1, wk.d, wk.tp); err != nil {
				return err
			}
			wk.misfit += resid(pos, wk.d)
			var plain []T
			var off *offsetImage[T]
			if h0 >= 0 {
				plain = wk.g[h0]
			}
			if len(shifted) > 0 {
				off = r.newOffsetImage(invA, shifted, gShift(wk.g))
			}
			gb, err := r.adjointShot(ctx, si, wk.tp, wk.d, wk.l0, wk.l1, wk.p0, wk.p1, plain, off)
			if err != nil {
				return err
			}
			if off != nil {
				off.flush()
			}
			r.sourceTerm(wk.gsrc, si, gb)
			return nil
		})
		if err != nil {
			return 0, err
		}
		var misfit float64
		for _, wk := range ws {
			if wk == nil {
				continue
			}
			misfit += wk.misfit
			for k := range dst {
				r.foldPadded(dst[k], wk.g[k], k != h0)
			}
			if h0 >= 0 {
				for i, x := range wk.gsrc {
					dst[h0][i] += x
				}
			}
		}
		return misfit, nil
	}
	if W := r.s.rawWorkers(); W > 1 && len(list)%W != 0 && len(list) < 4*W {
		var misfit float64
		if q := len(list) / W * W; q > 0 && splitShots {
			// The shots that divide evenly among the workers run in
			// parallel (no barriers; each worker sweeps whole shots with the
			// fused kernels), the remainder on row bands below.
			m, err := shotPar(list[:q], resid)
			if err != nil {
				return 0, err
			}
			misfit += m
			all := resid
			list, resid = list[q:], func(pos int, d []T) float64 { return all(q+pos, d) }
		}
		// Row bands over all workers, groupShots shots in flight at a time:
		// every shot's tape is written once and read once whatever the
		// grouping, so running the shots one after the other keeps the cores
		// as busy while holding one tape instead of len(list) (OpenFWI with
		// full storage: 394 MB instead of 1.97 GB).
		for g0 := 0; g0 < len(list); g0 += groupShots {
			g1 := min(g0+groupShots, len(list))
			m, err := r.backpropBalanced(ctx, list[g0:g1], nimg, h0, shifted, shiftIdx, invA,
				func(pos int, d []T) float64 { return resid(g0+pos, d) }, dst, min(W, (g1-g0)*r.c.nzp))
			if err != nil {
				return 0, err
			}
			misfit += m
		}
		return misfit, nil
	}
	return shotPar(list, resid)
}

// gradient computes J and ∂J/∂v (model grid, float64) for observed data dObs
// laid out for all shots; only the listed shots enter J.
func gradient[T float](ctx context.Context, s *Simulator, v []float64, dObs []T, shots []int, grad []float64) (float64, error) {
	list, err := s.shotList(shots)
	if err != nil {
		return 0, err
	}
	if len(dObs) != s.DataLen(len(s.shots)) {
		return 0, fmt.Errorf("wave: observed data has %d values, want shots·Nt·receivers = %d·%d·%d = %d", len(dObs), len(s.shots), s.opts.Nt, s.nrec, s.DataLen(len(s.shots)))
	}
	if len(grad) != s.grid.Cells() {
		panic("wave: gradient length differs from Nz·Nx")
	}
	r, err := newRun[T](s, v)
	if err != nil {
		return 0, err
	}
	// A bfloat16 tape (Options.TapeBF16) only with the AVX-512 float32
	// kernels, which are the only ones that read and write it.
	var zero T
	r.c.tape16 = s.opts.TapeBF16 && haveAVX512 && sizeOf(zero) == 4
	per := s.opts.Nt * s.nrec
	clear(grad)
	return r.backprop(ctx, list, nil, func(pos int, d []T) float64 {
		obs := dObs[list[pos]*per : (list[pos]+1)*per]
		var j float64
		for i := range d {
			d[i] -= obs[i]
			j += 0.5 * float64(d[i]) * float64(d[i])
		}
		return j
	}, [][]float64{grad})
}

// Misfit defines a data misfit for GradientMisfit: given a shot index and
// that shot's synthetic data d ([time][receiver], Nt·receivers values), it
// returns the shot's misfit J_s and overwrites d with the adjoint source
// ∂J_s/∂d. It is called from worker goroutines, concurrently for different
// shots, and must not keep d.
type Misfit func(shot int, d []float32) float64

// GradientMisfit is Gradient for any differentiable data misfit J = Σ_s J_s
// (misfit): the adjoint sweep injects the adjoint sources it returns. With
// J_s = ½‖d − dObs_s‖² it equals Gradient bit for bit.
func (s *Simulator) GradientMisfit(ctx context.Context, v []float32, shots []int, misfit Misfit, grad []float32) (float64, error) {
	list, err := s.shotList(shots)
	if err != nil {
		return 0, err
	}
	if len(grad) != s.grid.Cells() {
		panic("wave: gradient length differs from Nz·Nx")
	}
	r, err := newRun[float32](s, toF64(v))
	if err != nil {
		return 0, err
	}
	r.c.tape16 = s.opts.TapeBF16 && haveAVX512
	g := make([]float64, len(grad))
	j, err := r.backprop(ctx, list, nil, func(pos int, d []float32) float64 {
		return misfit(list[pos], d)
	}, [][]float64{g})
	if err != nil {
		return 0, err
	}
	for i, x := range g {
		grad[i] = float32(x)
	}
	return j, nil
}

// Gradient returns the misfit J = ½ Σ_{s∈shots} ‖F_s(v) − dObs_s‖² and writes
// ∂J/∂v (per m/s, [Nz][Nx]) to grad, computed by the discrete adjoint of the
// forward scheme (exact up to float32 rounding; see adjoint.go). dObs holds
// data for all shots ([shot][time][receiver]); shots selects which enter J
// (nil = all). grad is overwritten. Memory per worker: 4 fields plus the
// tape bounded by Options.MemoryBudget. It panics if len(grad) != Nz·Nx.
func (s *Simulator) Gradient(ctx context.Context, v, dObs []float32, shots []int, grad []float32) (float64, error) {
	g := make([]float64, len(grad))
	j, err := gradient(ctx, s, toF64(v), dObs, shots, g)
	if err != nil {
		return 0, err
	}
	for i, x := range g {
		grad[i] = float32(x)
	}
	return j, nil
}

// GradientSlowness is Gradient with respect to the squared slowness
// m = 1/v² (s²/m²): ∂J/∂m = ∂J/∂v · (−v³/2).
func (s *Simulator) GradientSlowness(ctx context.Context, v, dObs []float32, shots []int, grad []float32) (float64, error) {
	j, err := s.Gradient(ctx, v, dObs, shots, grad)
	if err != nil {
		return 0, err
	}
	ToSlownessGradient(v, grad)
	return j, nil
}

// ToSlownessGradient turns a gradient with respect to velocity v (per m/s)
// into one with respect to squared slowness m = 1/v² (per s²/m²), in place:
// ∂J/∂m = ∂J/∂v · (−v³/2). It panics if the lengths differ.
func ToSlownessGradient(v, grad []float32) {
	if len(v) != len(grad) {
		panic("wave: ToSlownessGradient: velocity and gradient lengths differ")
	}
	for i := range grad {
		vi := float64(v[i])
		grad[i] = float32(float64(grad[i]) * -0.5 * vi * vi * vi)
	}
}
