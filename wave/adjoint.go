package wave

import (
	"context"
	"fmt"
	"math"
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
	// segments of all shots in flight together exceed tuning.streamMin,
	// i.e. when a stored Laplacian has left the caches by the time the
	// adjoint reads it.
	stream bool
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

// newTape sizes a tape for N steps of fields of n values within budget bytes:
// everything if it fits, else the longest segment L with
// (L + 2·ceil(N/L))·field ≤ budget, but at least ceil(sqrt(2N)). inflight is
// the number of shots whose tapes are live at the same time (for stream).
// t16: store the Laplacians as bfloat16 (coef.tape16; n even), half the
// bytes per stored step.
func newTape[T float](s *Simulator, N, n int, budget int64, inflight int, t16 bool) *tape[T] {
	return newTapeRows[T](s, N, n, n, 0, 1, budget, inflight, t16)
}

// newTapeRows is newTape for fields of n values in rows of stride values
// of which the adjoint reads only rows [t0, t1) (sweep.tz0): only those rows
// are stored. Consecutive stored fields then overlap: field i is the slice
// starting (t1−t0)·stride values after field i−1, so that its rows
// [t0, t1) keep their halo-layout indices and follow the previous field's
// kept rows without a gap, and its other rows alias other steps' rows. The
// sweep therefore writes and reads only the kept rows (stepKept, kept).
// For a cropped OpenFWI-size gather (64 of 152 rows) this is 41 instead of
// 97 MB per shot, which Go must clear when it allocates a fresh slab.
func newTapeRows[T float](s *Simulator, N, n, stride, t0, t1 int, budget int64, inflight int, t16 bool) *tape[T] {
	var zero T
	span, end := (t1-t0)*stride, t1*stride // per field: values kept, end of the kept rows
	fb := int64(span) * int64(sizeOf(zero))
	if t16 {
		fb, span, end = int64(span)*2, span/2, end/2
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
	t := &tape[T]{N: N, L: L, nseg: (N + L - 1) / L, stream: int64(L)*fb*int64(inflight) > s.tune.streamMin, t16: t16}
	t.last = (t.nseg - 1) * L
	// One slab for the L stored fields: one allocation, one stream through
	// memory. (Advising huge pages for it was measured and dropped: with
	// THP defrag "madvise" some calls stalled for seconds; docs/wave.md.)
	t.slab = getBuf[T](s, (L-1)*span+end)
	t.ws = make([][]T, L)
	for i := range t.ws {
		t.ws[i] = t.slab[i*span : i*span+end : i*span+end]
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
// shot accumulate in slab and flush adds them to g. The slab holds only the
// image region, row by row and within a row offset by offset (at
// sbase + k·kst + z·zst + x for offset k, halo-layout row z and column x),
// so that one pass over the rows streams through it: one C call runs all
// offsets row by row while the λ and w rows stay in L1.
type offsetImage[T float] struct {
	c       *coef[T]
	invA    []T // 1/A on the padded grid, 0 in the halo
	offsets []int
	g       [][]T
	// lam is addRows's scratch for λ (halo layout): each call fills the
	// rows it images, so concurrent calls on disjoint rows do not
	// interfere.
	lam                []T
	slab               []T // this shot's correlations (layout above)
	kst, zst, sbase    int
	fields             int     // values per field (halo layout)
	offs, x0s, x1s     []int32 // per offset: h and its column range
	zlo, zhi, xlo, xhi int     // image region, halo-layout rows and columns
	maxh               int     // max |h|
	// block is how many backward steps add share one pass over the slab
	// (tuning.corrBlock; 0: addRows step by step, the reference order).
	// ring holds their λ fields (block fields, halo layout; each worker
	// fills and reads only its own rows).
	block int
	ring  []T
}

// corrQueue is one worker's backward steps whose shifted correlations are
// still to be added (offsetImage.add): the rows they cover and, per step in
// the order of the steps, its λ (a field of the ring) and w^{n−1} (a field
// of the tape, valid until the segment's end).
type corrQueue[T float] struct {
	z0, z1   int
	lams, ws [][]T
	ptrs     []uintptr // scratch of corrBlockC
}

// add queues the correlations of μ (λ = μ/A) and w on rows z0..z1−1 (halo
// layout) of the image region and adds the queued ones when block steps
// are queued: the slab is then read and written once per block instead of
// once per step, the shot's dominant cost in the 21-offset gathers
// (docs/wave.md). Every product is still added to its cell's sum in step
// order, so the sums equal addRows's bit for bit. The caller drains q
// before the fields queued are overwritten (the end of a tape segment).
func (im *offsetImage[T]) add(q *corrQueue[T], mu, w []T, z0, z1 int) {
	if im.block == 0 {
		im.addRows(mu, w, z0, z1)
		return
	}
	z0, z1 = max(z0, im.zlo), min(z1, im.zhi)
	if z0 >= z1 {
		return
	}
	if len(q.ws) > 0 && (q.z0 != z0 || q.z1 != z1) {
		im.drain(q)
	}
	q.z0, q.z1 = z0, z1
	j := len(q.ws)
	lam := im.ring[j*im.fields : (j+1)*im.fields : (j+1)*im.fields]
	c := im.c
	a, b := max(im.xlo-im.maxh, c.hw), min(im.xhi+im.maxh, c.hw+c.nxp)
	if l32, ok := any(lam).([]float32); ok && haveCKernel {
		lamRowsC(l32, any(mu).([]float32), any(im.invA).([]float32), a, b, c.stride, z0, z1)
	} else {
		for z := z0; z < z1; z++ {
			row := z * c.stride
			l, m, ia := lam[row+a:row+b], mu[row+a:row+b], im.invA[row+a:row+b]
			for x := range l {
				l[x] = m[x] * ia[x]
			}
		}
	}
	q.lams = append(q.lams, lam)
	q.ws = append(q.ws, w)
	if len(q.ws) == im.block {
		im.drain(q)
	}
}

// drain adds the correlations of the steps in q to the slab and empties q.
func (im *offsetImage[T]) drain(q *corrQueue[T]) {
	nt := len(q.ws)
	if nt == 0 {
		return
	}
	c := im.c
	if s32, ok := any(im.slab).([]float32); ok && haveCKernel {
		if len(q.ptrs) < 2*nt {
			q.ptrs = make([]uintptr, 2*im.block)
		}
		corrBlockC(s32, im.kst, im.zst, im.sbase, im.offs, im.x0s, im.x1s, any(q.lams).([][]float32), any(q.ws).([][]float32),
			q.ptrs, c.stride, q.z0, q.z1)
	} else {
		for z := q.z0; z < q.z1; z++ {
			row := z * c.stride
			for k, h := range im.offs {
				x0, x1 := int(im.x0s[k]), int(im.x1s[k])
				if x0 >= x1 {
					continue
				}
				base := im.sbase + k*im.kst + z*im.zst
				gr := im.slab[base+x0 : base+x1]
				lo, wo := row+x0+int(h), row+x0-int(h)
				for x := range gr {
					acc := gr[x]
					for t := range nt {
						acc += q.lams[t][lo+x] * q.ws[t][wo+x]
					}
					gr[x] = acc
				}
			}
		}
	}
	clear(q.lams)
	clear(q.ws)
	q.lams, q.ws = q.lams[:0], q.ws[:0]
}

// addRows adds the correlations of μ (λ = μ/A) and w on rows z0..z1−1
// (halo layout) of the image region. λ is formed once
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
		corrRowsC(s32, im.kst, im.zst, im.sbase, im.offs, im.x0s, im.x1s, any(im.lam).([]float32), any(mu).([]float32),
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
			base := im.sbase + k*im.kst + z*im.zst
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
			base := im.sbase + k*im.kst + z*im.zst
			sr := im.slab[base+im.xlo : base+im.xhi]
			gr := g[row+im.xlo : row+im.xhi]
			for x, v := range sr {
				gr[x] += v
			}
			clear(sr)
		}
	}
}

// foldPadded maps a padded-grid field gp (halo layout) scaled by 2/v (a plain
// μ image) or by 2A/v (a λ image, withA) onto the model grid, summing the
// cells the edge replication ties to each model cell (r.crop: only the model
// cells, Options.CropImages in the Born adjoints). dst is [Nz][Nx] and is
// accumulated into.
func (r *run[T]) foldPadded(dst []float64, gp []T, withA bool) {
	r.eachPadded(r.crop, func(i, j, m int) {
		f := 2 / r.vp[j]
		if withA {
			f *= float64(r.c.A[i])
		}
		dst[m] += float64(gp[i]) * f
	})
}

// eachPadded calls fn for every cell of the padded grid (only the model
// cells with crop) with its halo-layout index i, its padded-grid index j
// and the index m of the model cell whose value the edge replication
// copies there.
func (r *run[T]) eachPadded(crop bool, fn func(i, j, m int)) {
	g := r.s.grid
	c := &r.c
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
			fn(r.idx(z, x), z*c.nxp+x, mz*g.Nx+mx)
		}
	}
}

// sourceTerm adds gb·∂B/∂v at shot si's source to dst (model grid).
func (r *run[T]) sourceTerm(dst []float64, si int, gb float64) {
	sh := r.s.shots[si].Source
	v := r.vp[(sh.Z+r.nb)*r.c.nxp+sh.X+r.nb]
	dst[sh.Z*r.s.grid.Nx+sh.X] += gb * 2 * float64(r.bsrc[si]) / v
}

// imageSpec is how backprop's images are laid out: h0 is the index of the
// zero offset in dst (the plain gradient when offsets is nil; −1: none) and
// shifted, shiftIdx the other offsets and their indices; invA is 1/A for
// the shifted correlations.
type imageSpec[T float] struct {
	n                 int // images
	h0                int
	shifted, shiftIdx []int
	invA              []T
}

func (r *run[T]) newImageSpec(offsets []int) imageSpec[T] {
	if offsets == nil {
		return imageSpec[T]{n: 1, h0: 0}
	}
	sp := imageSpec[T]{n: len(offsets), h0: -1}
	for k, h := range offsets {
		if h == 0 {
			sp.h0 = k
		} else {
			sp.shifted = append(sp.shifted, h)
			sp.shiftIdx = append(sp.shiftIdx, k)
		}
	}
	if len(sp.shifted) > 0 {
		sp.invA = make([]T, r.fields)
		for i, a := range r.c.A {
			if a != 0 {
				sp.invA[i] = 1 / a
			}
		}
	}
	return sp
}

// images accumulates the adjoint images of the shots one sweep runs, on
// the padded grid: the zero-offset image (Σ μ w, plain), the shifted-offset
// correlations, the source terms (model grid) and the misfit.
type images[T float] struct {
	r      *run[T]
	spec   imageSpec[T]
	g      [][]T // one padded image per offset, in dst order
	plain  []T   // g[h0], or nil
	off    *offsetImage[T]
	gsrc   []float64
	misfit float64
}

func (r *run[T]) newImages(spec imageSpec[T]) *images[T] {
	im := &images[T]{r: r, spec: spec, g: make([][]T, spec.n), gsrc: make([]float64, r.s.grid.Cells())}
	for k := range im.g {
		im.g[k] = getBuf[T](r.s, r.fields)
		clear(im.g[k])
	}
	if spec.h0 >= 0 {
		im.plain = im.g[spec.h0]
	}
	if len(spec.shifted) > 0 {
		gs := make([][]T, len(spec.shiftIdx))
		for i, k := range spec.shiftIdx {
			gs[i] = im.g[k]
		}
		im.off = r.newOffsetImage(spec.invA, spec.shifted, gs)
	}
	return im
}

// endShot adds the shot's shifted correlations and source term.
func (im *images[T]) endShot(s *sweep[T]) {
	if im.off != nil {
		im.off.flush()
	}
	im.r.sourceTerm(im.gsrc, s.si, s.gb)
}

// fold adds the images to dst on the model grid.
func (im *images[T]) fold(dst [][]float64) {
	h0 := im.spec.h0
	for k := range dst {
		im.r.foldPadded(dst[k], im.g[k], k != h0)
	}
	if h0 >= 0 {
		for i, x := range im.gsrc {
			dst[h0][i] += x
		}
	}
}

func (im *images[T]) release(s *Simulator) {
	putBuf(s, im.g...)
	if im.off != nil {
		putBuf(s, im.off.slab, im.off.ring)
	}
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
	r.crop = s.opts.CropGradient
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
	to32(grad, g)
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
	to32(grad, g)
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
