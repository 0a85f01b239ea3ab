package wave

import (
	"context"
	"fmt"
)

// Born (tangent-linear) modelling. Differentiating the forward scheme
// (adjoint.go) along δv gives, with the background p running alongside,
//
//	δp^{n+1} = Q∘δp^n − P∘δp^{n−1} + A∘(c0 + L)δp^n + δA∘w^n + δB f^n e_s,
//	δA = (2A/v) δv,  δB = (2B/v) δv at the source,
//
// recorded like p. Its adjoint is the gradient sweep with the data residual
// replaced by δd (the RTM image). The extended operator uses one δv per
// horizontal offset h (cells) and the source term δA_h(x)·w^n(x − h) placed at
// x + h (the subsurface-offset extension of JUDI.jl/ImageGather.jl, offsets
// in whole cells, products leaving the padded grid skipped); its h = 0 slice is the Born operator, including the source
// amplitude term, so the zero-offset gather equals the RTM image exactly.

// born runs the (extended) Born modelling of the listed shots into dst
// ([len(list)][Nt][nrec]). dv holds one padded δA field per offset (halo
// layout, already scaled by 2A/v), dvSrc the model-grid zero-offset δv used
// for the source term.
func (r *run[T]) born(ctx context.Context, list []int, offsets []int, dA [][]T, dvSrc []float64, dst []T) error {
	s := r.s
	nw := s.workers(len(list))
	per := s.opts.Nt * s.nrec
	// Per worker: the background sweep p (keeping w^n for the scattering
	// sources) and the scattered sweep δp, whose source term is δB f^n.
	type work struct{ bg, sc *sweep[T] }
	ws := make([]work, nw)
	defer func() {
		for _, wk := range ws {
			if wk.bg != nil {
				wk.bg.release()
				wk.sc.release()
			}
		}
	}()
	c := &r.c
	z0, z1 := c.hw, c.hw+c.nzp
	h0 := -1
	for k, h := range offsets {
		if h == 0 {
			h0 = k
		}
	}
	return forEach(ctx, nw, list, func(ctx context.Context, w, pos int) error {
		wk := &ws[w]
		if wk.bg == nil {
			wk.bg, wk.sc = r.newSweep(nil, nil), r.newSweep(nil, nil)
			wk.bg.keep = make([]T, r.fields)
			wk.bg.d = make([]T, per)
		}
		bg, sc := wk.bg, wk.sc
		si := list[pos]
		bg.start(si, nil)
		sc.start(si, dst[pos*per:(pos+1)*per])
		sc.b = 0
		if h0 >= 0 {
			sh := s.shots[si].Source
			v := r.vp[(sh.Z+r.nb)*c.nxp+sh.X+r.nb]
			sc.b = T(2 * float64(bg.b) / v * dvSrc[sh.Z*s.grid.Nx+sh.X])
		}
		for n := 0; n < r.N; n++ {
			if n%ctxEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			bg.fwdStep(n, z0, z1, -1)
			q0, q1 := sc.F[(n+1)%2], sc.F[n%2]
			sc.stepRows(q0, q1, nil, n, z0, z1)
			for k, h := range offsets {
				addShifted(c, q0, dA[k], bg.keep, h)
			}
			if c.wrap {
				// the secondary sources reach the edge columns, whose
				// halo copies the step already made
				wrapColsAny(c, q0, z0, z1)
			}
			sc.inject(q0, n, z0, z1)
			sc.record(q0, n, z0, z1)
		}
		return nil
	})
}

// addShifted adds dA(x)·w(x−h) at x+h for every padded cell x whose shifted
// cells stay inside the padded grid.
func addShifted[T float](c *coef[T], q, dA, w []T, h int) {
	ah := max(h, -h)
	x0, x1 := c.hw+ah, c.hw+c.nxp-ah
	for z := c.hw; z < c.hw+c.nzp; z++ {
		row := z * c.stride
		for x := x0; x < x1; x++ {
			i := row + x
			q[i+h] += dA[i] * w[i-h]
		}
	}
}

// padScaled spreads a model-grid δv onto the padded grid (edge replication)
// and scales it by 2A/v, giving δA in the halo layout.
// With Options.CropImages the layer gets zero instead.
func (r *run[T]) padScaled(dv []float64) []T {
	out := make([]T, r.fields)
	r.eachPadded(r.s.opts.CropImages, func(i, j, m int) {
		out[i] = T(2 * float64(r.c.A[i]) / r.vp[j] * dv[m])
	})
	return out
}

// newOffsetImage returns the shifted-offset imaging of one shot in flight:
// g[k] receives the correlation for offsets[k] (none zero) on the padded
// grid, or on the model cells only with Options.CropImages.
func (r *run[T]) newOffsetImage(invA []T, offsets []int, g [][]T) *offsetImage[T] {
	c := &r.c
	im := &offsetImage[T]{c: c, invA: invA, offsets: offsets, g: g,
		zlo: c.hw, zhi: c.hw + c.nzp, xlo: c.hw, xhi: c.hw + c.nxp}
	if r.s.opts.CropImages {
		im.zlo, im.zhi = c.hw+r.nb, c.hw+r.nb+r.s.grid.Nz
		im.xlo, im.xhi = c.hw+r.nb, c.hw+r.nb+r.s.grid.Nx
	}
	im.fields = r.fields
	// Slab rows of whole vectors, so that each row of each offset starts on
	// a cache line when the slab does.
	im.kst = (im.xhi - im.xlo + 15) &^ 15
	im.zst = len(offsets) * im.kst
	im.sbase = -im.zlo*im.zst - im.xlo
	// From the simulator's cache (fresh pages cost a fault each): the slab
	// starts at zero, the ring is written before it is read.
	im.slab = getBuf[T](r.s, (im.zhi-im.zlo)*im.zst)
	clear(im.slab)
	if im.block = r.s.tune.corrBlock; im.block > 0 {
		im.ring = getBuf[T](r.s, im.block*r.fields)
	} else {
		im.lam = make([]T, r.fields)
	}
	for _, h := range offsets {
		ah := max(h, -h)
		im.maxh = max(im.maxh, ah)
		im.offs = append(im.offs, int32(h))
		im.x0s = append(im.x0s, int32(max(c.hw+ah, im.xlo)))
		im.x1s = append(im.x1s, int32(min(c.hw+c.nxp-ah, im.xhi)))
	}
	return im
}

func checkOffsets(offsets []int) error {
	if len(offsets) == 0 {
		return fmt.Errorf("wave: offsets must not be empty")
	}
	seen := map[int]bool{}
	for _, h := range offsets {
		if seen[h] {
			return fmt.Errorf("wave: offset %d cells given twice", h)
		}
		seen[h] = true
	}
	return nil
}

// bornT is the generic Born / extended Born modelling.
func bornT[T float](ctx context.Context, s *Simulator, v []float64, offsets []int, dv [][]float64, dst []T) error {
	if len(dst) != s.DataLen(len(s.shots)) {
		panic(fmt.Sprintf("wave: Born dst has length %d, want %d", len(dst), s.DataLen(len(s.shots))))
	}
	for k := range dv {
		if len(dv[k]) != s.grid.Cells() {
			return fmt.Errorf("wave: perturbation %d has %d values, want Nz·Nx = %d", k, len(dv[k]), s.grid.Cells())
		}
	}
	r, err := newRun[T](s, v)
	if err != nil {
		return err
	}
	dA := make([][]T, len(dv))
	var dv0 []float64
	for k := range dv {
		dA[k] = r.padScaled(dv[k])
		if offsets[k] == 0 {
			dv0 = dv[k]
		}
	}
	return r.born(ctx, nil2list(s), offsets, dA, dv0, dst)
}

// bornAdjointT is the generic (extended) Born adjoint: dst[k] (model grid)
// receives the image for offsets[k].
func bornAdjointT[T float](ctx context.Context, s *Simulator, v []float64, dd []T, shots []int, offsets []int, dst [][]float64) error {
	list, err := s.shotList(shots)
	if err != nil {
		return err
	}
	if len(dd) != s.DataLen(len(s.shots)) {
		return fmt.Errorf("wave: data perturbation has %d values, want shots·Nt·receivers = %d", len(dd), s.DataLen(len(s.shots)))
	}
	r, err := newRun[T](s, v)
	if err != nil {
		return err
	}
	r.crop = s.opts.CropImages
	per := s.opts.Nt * s.nrec
	for k := range dst {
		clear(dst[k])
	}
	_, err = r.backprop(ctx, list, offsets, func(pos int, d []T) float64 {
		copy(d, dd[list[pos]*per:(list[pos]+1)*per])
		return 0
	}, dst)
	return err
}

func nil2list(s *Simulator) []int { l, _ := s.shotList(nil); return l }

func to32(dst []float32, src []float64) {
	for i, x := range src {
		dst[i] = float32(x)
	}
}

// Born writes to dst ([shot][time][receiver], all shots) the Born data J δv:
// the exact linearisation of Forward at v along the velocity perturbation dv
// (m/s, [Nz][Nx]). It allocates five fields per worker.
func (s *Simulator) Born(ctx context.Context, v, dv []float32, dst []float32) error {
	return bornT(ctx, s, toF64(v), []int{0}, [][]float64{toF64(dv)}, dst)
}

// BornAdjoint writes to img ([Nz][Nx], overwritten) Jᵀ dd, the adjoint of
// Born applied to data dd (all shots' layout; only the selected shots, nil =
// all, are migrated): the RTM image in velocity units. Memory as Gradient.
func (s *Simulator) BornAdjoint(ctx context.Context, v, dd []float32, shots []int, img []float32) error {
	if len(img) != s.grid.Cells() {
		panic("wave: BornAdjoint image length differs from Nz·Nx")
	}
	g := make([]float64, len(img))
	if err := bornAdjointT(ctx, s, toF64(v), dd, shots, nil, [][]float64{g}); err != nil {
		return err
	}
	to32(img, g)
	return nil
}

// ExtendedBorn writes to dst the extended Born data for perturbations dvExt
// laid out [len(offsets)][Nz][Nx]: for each horizontal offset h (cells) the
// scattering source (2A/v)(x) δv_h(x) w(x − h) acts at x + h. The h = 0 slice
// alone reproduces Born. Offsets must be distinct.
func (s *Simulator) ExtendedBorn(ctx context.Context, v []float32, dvExt []float32, offsets []int, dst []float32) error {
	if err := checkOffsets(offsets); err != nil {
		return err
	}
	n := s.grid.Cells()
	if len(dvExt) != len(offsets)*n {
		return fmt.Errorf("wave: extended perturbation has %d values, want offsets·Nz·Nx = %d", len(dvExt), len(offsets)*n)
	}
	dv := make([][]float64, len(offsets))
	for k := range dv {
		dv[k] = toF64(dvExt[k*n : (k+1)*n])
	}
	return bornT(ctx, s, toF64(v), offsets, dv, dst)
}

// ExtendedBornAdjoint writes to cig ([len(offsets)][Nz][Nx], overwritten) the
// subsurface horizontal-offset common-image gathers, the adjoint of
// ExtendedBorn applied to dd: cig_h(x) = (2A/v)(x) Σ_shots Σ_n λ^n(x + h)
// w^{n−1}(x − h), folded onto the model grid like the gradient. The h = 0
// gather equals BornAdjoint. Offsets are in cells (convert metres with
// floor division as ImageGather does).
func (s *Simulator) ExtendedBornAdjoint(ctx context.Context, v, dd []float32, shots []int, offsets []int, cig []float32) error {
	if err := checkOffsets(offsets); err != nil {
		return err
	}
	n := s.grid.Cells()
	if len(cig) != len(offsets)*n {
		panic("wave: ExtendedBornAdjoint cig length differs from offsets·Nz·Nx")
	}
	g := make([][]float64, len(offsets))
	for k := range g {
		g[k] = make([]float64, n)
	}
	if err := bornAdjointT(ctx, s, toF64(v), dd, shots, offsets, g); err != nil {
		return err
	}
	for k := range g {
		to32(cig[k*n:(k+1)*n], g[k])
	}
	return nil
}
