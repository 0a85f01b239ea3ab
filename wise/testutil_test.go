package wise

import (
	"math/rand/v2"

	"genfwi/models/flow"
)

// tinyConfig is a network and schedule small enough for unit tests on
// 16×16 maps with 3 offsets.
func tinyConfig() *Config {
	c, _ := Preset("cpu")
	c.Name = "tiny"
	c.Network = flow.NetworkConfig{
		Flow:    flow.Config{Name: "tiny", InChannels: 1, CondChannels: 1, Hidden: 8, Levels: 2, Steps: 2, RBFinalReLU: true},
		Summary: flow.UNetConfig{InChannels: 3, OutChannels: 1, Base: 4, Depth: 2, Dropout: 0.5},
	}
	c.Train.Epochs = 4
	c.Train.Batch = 4
	c.Train.ValFraction = 0
	c.Train.ValMaps = 4
	c.Train.ValSamples = 4
	c.Train.CheckpointEvery = 3
	c.Posterior.Batch = 4
	return c
}

// synthPairs makes n layered 16×16 velocity maps (two interfaces at random
// depths, velocities increasing with depth) and "gathers" whose zero offset
// is the vertical velocity contrast (a crude reflectivity image) and whose
// other offsets are blurred, weaker copies: informative about the
// velocity, as real gathers are.
func synthPairs(n int, seed uint64) *MemPairs {
	const nz, nx, nh = 16, 16, 3
	rng := rand.New(rand.NewPCG(seed, 99))
	m := &MemPairs{Inf: DataInfo{Nz: nz, Nx: nx, H: 10, Offsets: []int{-20, 0, 20}, MaxY: 1, Source: "synthetic"}}
	for k := 0; k < n; k++ {
		v := make([]float32, nz*nx)
		d1 := 3 + rng.IntN(5)
		d2 := d1 + 3 + rng.IntN(5)
		slope := rng.Float64() - 0.5
		v0 := 1500 + 500*rng.Float64()
		v1 := v0 + 300 + 700*rng.Float64()
		v2 := v1 + 300 + 700*rng.Float64()
		for z := 0; z < nz; z++ {
			for x := 0; x < nx; x++ {
				zz := float64(z) - slope*float64(x-nx/2)/4
				val := v0
				if zz >= float64(d1) {
					val = v1
				}
				if zz >= float64(d2) {
					val = v2
				}
				v[z*nx+x] = float32(val)
			}
		}
		g := make([]float32, nh*nz*nx)
		for z := 1; z < nz; z++ {
			for x := 0; x < nx; x++ {
				r := (v[z*nx+x] - v[(z-1)*nx+x]) / 1000
				g[1*nz*nx+z*nx+x] = r
			}
		}
		for x := 0; x < nx; x++ {
			for z := 0; z < nz; z++ {
				a := g[nz*nx+z*nx+x]
				l, r := a, a
				if x > 0 {
					l = g[nz*nx+z*nx+x-1]
				}
				if x < nx-1 {
					r = g[nz*nx+z*nx+x+1]
				}
				g[z*nx+x] = 0.5 * (l + a) / 2
				g[2*nz*nx+z*nx+x] = 0.5 * (a + r) / 2
			}
		}
		m.Vel = append(m.Vel, v)
		m.Gather = append(m.Gather, g)
	}
	return m
}
