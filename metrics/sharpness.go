package metrics

import (
	"math"
	"slices"
)

// InterfaceSharpness measures how sharp the layer interfaces of one nz×nx
// velocity map are: the mean of its largest ⌈frac·(nz−1)·nx⌉ vertical
// jumps |v(z+1, x) − v(z, x)| (m/s for a map in m/s). A map whose
// interfaces are smeared over several cells spreads each jump over several
// smaller ones, so the mean of the largest jumps falls, while the velocity
// range stays; genfwi uses frac = 0.02 (about 97 jumps of a 70×70 map: a
// few interfaces across the map's width). It panics if len(v) != nz·nx,
// nz < 2 or frac is not in (0, 1].
func InterfaceSharpness(v []float32, nz, nx int, frac float64) float64 {
	if len(v) != nz*nx || nz < 2 || !(frac > 0 && frac <= 1) {
		panic("metrics: InterfaceSharpness: bad map shape or fraction")
	}
	jumps := make([]float64, 0, (nz-1)*nx)
	for z := 0; z+1 < nz; z++ {
		for x := 0; x < nx; x++ {
			jumps = append(jumps, math.Abs(float64(v[(z+1)*nx+x])-float64(v[z*nx+x])))
		}
	}
	k := int(math.Ceil(frac * float64(len(jumps))))
	slices.Sort(jumps)
	var sum float64
	for _, j := range jumps[len(jumps)-k:] {
		sum += j
	}
	return sum / float64(k)
}

// MeanInterfaceSharpness is InterfaceSharpness averaged over the n = len(v)
// / (nz·nx) maps of v (0 for none).
func MeanInterfaceSharpness(v []float32, nz, nx int, frac float64) float64 {
	n := len(v) / (nz * nx)
	var s float64
	for i := 0; i < n; i++ {
		s += InterfaceSharpness(v[i*nz*nx:(i+1)*nz*nx], nz, nx, frac)
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}
