package ref

import "math"

// FWM is an independent float32 transcription of the published OpenFWI
// forward (UPFWI's FWIForward.FWM): the velocity is padded by nb cells of
// edge replication, the Laplacian is taken with torch.roll — a periodic wrap
// at the edges of the padded grid — and every product is evaluated in
// float32 in the order the PyTorch expression does. It shares no code with
// package wave. v is [nz][nx] (m/s); the wavelet has one value per step;
// the receivers are model-grid cells. It returns the traces [step][receiver].
func FWM(v [][]float32, h, dt float32, nb int, srcZ, srcX int, wavelet []float32, recZ, recX []int) [][]float32 {
	nz, nx := len(v), len(v[0])
	nzp, nxp := nz+2*nb, nx+2*nb
	vmin := float32(math.Inf(1))
	for _, row := range v {
		for _, x := range row {
			vmin = min(vmin, x)
		}
	}
	// damping: quadratic in the distance into each strip, assigned top,
	// bottom, left, right (the x strips win in the corners)
	a := float32(nb-1) * h
	kappa0 := 3 * vmin * float32(math.Log(1e7)) / (2 * a)
	prof := make([]float32, nb)
	for i := range prof {
		x := float32(i) * h / a
		prof[i] = kappa0 * x * x
	}
	damp := make([]float32, nzp*nxp)
	for z := 0; z < nzp; z++ {
		for x := 0; x < nxp; x++ {
			var d float32
			if z < nb {
				d = prof[nb-1-z]
			}
			if z >= nz+nb {
				d = prof[z-nz-nb]
			}
			if x < nb {
				d = prof[nb-1-x]
			}
			if x >= nx+nb {
				d = prof[x-nx-nb]
			}
			damp[z*nxp+x] = d
		}
	}
	const c1, c2, c3 = float32(-2.5), float32(4.0 / 3.0), float32(-1.0 / 12.0)
	alpha := make([]float32, nzp*nxp)
	kap := make([]float32, nzp*nxp)
	for z := 0; z < nzp; z++ {
		for x := 0; x < nxp; x++ {
			vv := v[min(max(z-nb, 0), nz-1)][min(max(x-nb, 0), nx-1)]
			r := vv * dt / h
			alpha[z*nxp+x] = r * r
			kap[z*nxp+x] = damp[z*nxp+x] * dt
		}
	}
	vs := v[srcZ][srcX] * dt
	beta := vs * vs
	wrap := func(i, n int) int { return ((i % n) + n) % n }
	at := func(p []float32, z, x int) float32 { return p[wrap(z, nzp)*nxp+wrap(x, nxp)] }
	p0 := make([]float32, nzp*nxp)
	p1 := make([]float32, nzp*nxp)
	out := make([][]float32, len(wavelet))
	for j := range wavelet {
		p := make([]float32, nzp*nxp)
		for z := 0; z < nzp; z++ {
			for x := 0; x < nxp; x++ {
				i := z*nxp + x
				al, k := alpha[i], kap[i]
				s1 := at(p1, z, x+1) + at(p1, z, x-1) + at(p1, z+1, x) + at(p1, z-1, x)
				s2 := at(p1, z, x+2) + at(p1, z, x-2) + at(p1, z+2, x) + at(p1, z-2, x)
				p[i] = (2+2*c1*al-k)*p1[i] - (1-k)*p0[i] + al*(c2*s1+c3*s2)
			}
		}
		p[(srcZ+nb)*nxp+srcX+nb] += beta * wavelet[j]
		out[j] = make([]float32, len(recZ))
		for r := range recZ {
			out[j][r] = p[(recZ[r]+nb)*nxp+recX[r]+nb]
		}
		p0, p1 = p1, p
	}
	return out
}
