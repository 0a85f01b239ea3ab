package wave

// Stencil kernels, generic over float32 and float64. Layout: a field is
// [rows][stride] with a halo of hw = order/2 zero cells around the padded
// grid; the kernels update rows z0..z1−1 (halo-inclusive row numbers) and
// columns hw..hw+nxp−1, and never write the halo.
//
// Forward step (in place: p0 holds p^{n−1} on entry and p^{n+1} on return):
//
//	w      = c0 p1 + Σ_k w_k (p1[z,x±k] + p1[z±k,x])       (h² ∇²p, c0 = 2 w_0)
//	p0     = A w + Q p1 − P p0                               A = (v dt/h)², Q = 2 − κ, P = 1 − κ
//
// which is UPFWI's FWM update: (2 + 2 c1 α − κ) p1 − (1 − κ) p0 + α lap. Both
// damping forms have P = Q − 1 (Devito: Q = 2/(1+κ/2)), so the kernels store
// only A and Q and compute p0 = A w + Q (p1 − p0) + p0.
// The adjoint sweep needs no kernel of its own: in μ = A∘λ it is the forward
// step (adjoint.go).

type float interface{ ~float32 | ~float64 }

// coef holds the per-cell update coefficients of one call on the padded,
// halo-extended grid, and the stencil weights.
type coef[T float] struct {
	order, hw    int
	nzp, nxp     int // padded grid (model + 2 nb)
	rows, stride int // nzp + 2hw, nxp + 2hw rounded up to a multiple of 16
	A, Q         []T // [rows][stride]; zero in the halo
	// tape16: the gradient's stored Laplacians are bfloat16 (Options.TapeBF16;
	// C AVX-512 kernels only). A tape field then holds rows·stride uint16
	// values in rows·stride/2 float32 slots (tape.at reads one).
	tape16 bool
	// wrap: the padded grid is periodic (Options.Periodic). Every kernel
	// fills the halo columns of the rows it writes from the opposite edge
	// (wrapCols), and the step dispatchers fill the halo rows of the field a
	// step reads just before the step (wrapRows, step.go), so the stencil
	// sees the torus that UPFWI's torch.roll Laplacian sees.
	wrap           bool
	c0, w1, w2, w3 T
	w4             T
}

// fwdRows runs the forward step on rows z0..z1−1; if ws is non-nil it also
// stores w (the h²-scaled Laplacian of p1) there, same layout.
func fwdRows[T float](c *coef[T], p0, p1, ws []T, z0, z1 int) {
	switch c.order {
	case 2:
		fwdRows2(c, p0, p1, ws, z0, z1)
	case 4:
		fwdRows4(c, p0, p1, ws, z0, z1)
	default:
		fwdRows8(c, p0, p1, ws, z0, z1)
	}
	wrapCols(c, p0, z0, z1)
}

// wrapCols fills the halo columns of rows [z0, z1) of p from the opposite
// edge when the grid is periodic (the left halo gets the last hw interior
// values of the row, the right halo the first hw); a no-op otherwise.
func wrapCols[T float](c *coef[T], p []T, z0, z1 int) {
	if !c.wrap {
		return
	}
	hw, n := c.hw, c.nxp
	for z := z0; z < z1; z++ {
		row := p[z*c.stride : (z+1)*c.stride]
		copy(row[:hw], row[n:n+hw])
		copy(row[hw+n:hw+n+hw], row[hw:2*hw])
	}
}

// wrapRows fills, when the grid is periodic, the halo rows that a step on
// rows [z0, z1) reads from field p: the top halo (from the last hw interior
// rows) if the range holds one of the first hw interior rows, the bottom
// halo (from the first hw) if it holds one of the last hw. The step
// dispatchers call it on the field they read just before each step, when
// every interior row of it is final. Row bands never split those rows
// (wrapBound), so a band worker only writes the halo next to its own band
// and only reads rows no worker writes during that step.
func wrapRows[T float](c *coef[T], p []T, z0, z1 int) {
	if !c.wrap || z0 >= z1 {
		return
	}
	s, hw := c.stride, c.hw
	if z0 < 2*hw {
		copy(p[:hw*s], p[c.nzp*s:(c.nzp+hw)*s])
	}
	if z1 > c.nzp {
		copy(p[(hw+c.nzp)*s:(2*hw+c.nzp)*s], p[hw*s:2*hw*s])
	}
}

func fwdRows2[T float](c *coef[T], p0, p1, ws []T, z0, z1 int) {
	s, n, x0 := c.stride, c.nxp, c.hw
	c0, w1 := c.c0, c.w1
	for z := z0; z < z1; z++ {
		i := z*s + x0
		pc := p1[i-1 : i+n+1]
		pu := p1[i-s : i-s+n]
		pd := p1[i+s : i+s+n]
		o := p0[i : i+n]
		a, q := c.A[i:i+n], c.Q[i:i+n]
		var w []T
		if ws != nil {
			w = ws[i : i+n]
		}
		for x := 0; x < n; x++ {
			l := c0*pc[x+1] + w1*(pc[x]+pc[x+2]+pu[x]+pd[x])
			if w != nil {
				w[x] = l
			}
			o[x] = a[x]*l + q[x]*(pc[x+1]-o[x]) + o[x]
		}
	}
}

func fwdRows4[T float](c *coef[T], p0, p1, ws []T, z0, z1 int) {
	s, n, x0 := c.stride, c.nxp, c.hw
	c0, w1, w2 := c.c0, c.w1, c.w2
	for z := z0; z < z1; z++ {
		i := z*s + x0
		pc := p1[i-2 : i+n+2]
		pu2 := p1[i-2*s : i-2*s+n]
		pu1 := p1[i-s : i-s+n]
		pd1 := p1[i+s : i+s+n]
		pd2 := p1[i+2*s : i+2*s+n]
		o := p0[i : i+n]
		a, q := c.A[i:i+n], c.Q[i:i+n]
		if ws != nil {
			w := ws[i : i+n]
			for x := 0; x < n; x++ {
				l := c0*pc[x+2] + w1*(pc[x+1]+pc[x+3]+pu1[x]+pd1[x]) + w2*(pc[x]+pc[x+4]+pu2[x]+pd2[x])
				w[x] = l
				o[x] = a[x]*l + q[x]*(pc[x+2]-o[x]) + o[x]
			}
			continue
		}
		for x := 0; x < n; x++ {
			l := c0*pc[x+2] + w1*(pc[x+1]+pc[x+3]+pu1[x]+pd1[x]) + w2*(pc[x]+pc[x+4]+pu2[x]+pd2[x])
			o[x] = a[x]*l + q[x]*(pc[x+2]-o[x]) + o[x]
		}
	}
}

func fwdRows8[T float](c *coef[T], p0, p1, ws []T, z0, z1 int) {
	s, n, x0 := c.stride, c.nxp, c.hw
	c0, w1, w2, w3, w4 := c.c0, c.w1, c.w2, c.w3, c.w4
	for z := z0; z < z1; z++ {
		i := z*s + x0
		pc := p1[i-4 : i+n+4]
		u1, u2, u3, u4 := p1[i-s:i-s+n], p1[i-2*s:i-2*s+n], p1[i-3*s:i-3*s+n], p1[i-4*s:i-4*s+n]
		d1, d2, d3, d4 := p1[i+s:i+s+n], p1[i+2*s:i+2*s+n], p1[i+3*s:i+3*s+n], p1[i+4*s:i+4*s+n]
		o := p0[i : i+n]
		a, q := c.A[i:i+n], c.Q[i:i+n]
		var w []T
		if ws != nil {
			w = ws[i : i+n]
		}
		for x := 0; x < n; x++ {
			l := c0*pc[x+4] + w1*(pc[x+3]+pc[x+5]+u1[x]+d1[x]) + w2*(pc[x+2]+pc[x+6]+u2[x]+d2[x]) +
				w3*(pc[x+1]+pc[x+7]+u3[x]+d3[x]) + w4*(pc[x]+pc[x+8]+u4[x]+d4[x])
			if w != nil {
				w[x] = l
			}
			o[x] = a[x]*l + q[x]*(pc[x+4]-o[x]) + o[x]
		}
	}
}

// fwdImgRows runs the forward step without storing w and then accumulates
// the imaging condition g += p0·wi (new field times a stored Laplacian). The
// adjoint sweep uses it on μ = A∘λ (adjoint.go).
func fwdImgRows[T float](c *coef[T], p0, p1, wi, g []T, z0, z1 int) {
	fwdRows(c, p0, p1, nil, z0, z1)
	for z := z0; z < z1; z++ {
		i := z*c.stride + c.hw
		o, w, gg := p0[i:i+c.nxp], wi[i:i+c.nxp], g[i:i+c.nxp]
		for x := range o {
			gg[x] += o[x] * w[x]
		}
	}
}

// fwdImg2Rows runs the forward step and accumulates the imaging condition of
// two consecutive backward steps, g += p1·wa + p0·wb (p1 the old centre
// field, p0 the new one): one pass over g for two steps (adjoint.go).
func fwdImg2Rows[T float](c *coef[T], p0, p1, wa, wb, g []T, z0, z1 int) {
	fwdRows(c, p0, p1, nil, z0, z1)
	for z := z0; z < z1; z++ {
		i := z*c.stride + c.hw
		o, pc, a, b, gg := p0[i:i+c.nxp], p1[i:i+c.nxp], wa[i:i+c.nxp], wb[i:i+c.nxp], g[i:i+c.nxp]
		for x := range o {
			gg[x] += pc[x]*a[x] + o[x]*b[x]
		}
	}
}
