package wavediff

import (
	"context"
	"fmt"
)

// SimulateMaps simulates the OpenFWI seismic of n maps (n×4900 m/s) on
// workers goroutines (0 = GOMAXPROCS), one map per goroutine at a time, and
// returns n×350000 raw amplitudes. onDone (may be nil) is called per map.
func SimulateMaps(ctx context.Context, maps []float32, workers int, onDone func()) ([]float32, error) {
	n := len(maps) / FullVel
	if n*FullVel != len(maps) {
		return nil, fmt.Errorf("wavediff: %d values are not whole 70×70 maps", len(maps))
	}
	out := make([]float32, n*FullSeis)
	err := forEach(ctx, n, workers, func() func(context.Context, int) error {
		return func(ctx context.Context, i int) error {
			if err := defaultSimulate(ctx, maps[i*FullVel:(i+1)*FullVel], out[i*FullSeis:(i+1)*FullSeis]); err != nil {
				return fmt.Errorf("map %d: %w", i, err)
			}
			return nil
		}
	}, onDone)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PairsFromFull converts n pairs in the OpenFWI layout (vels n×4900 m/s,
// seis n×350000 raw; either may be nil) to model-resolution Pairs.
func PairsFromFull(codec Codec, vels, seis []float32) *Pairs {
	n := len(vels) / FullVel
	if vels == nil {
		n = len(seis) / FullSeis
	}
	p := &Pairs{N: n, Codec: codec, Vel: make([]uint16, n*VelLen), Seis: make([]uint16, n*SeisLen)}
	v := make([]float32, VelLen)
	s := make([]float32, SeisLen)
	for i := 0; i < n; i++ {
		if vels != nil {
			codec.VelocityToModel(v, vels[i*FullVel:(i+1)*FullVel])
			encodeHalf(p.Vel[i*VelLen:], v)
		}
		if seis != nil {
			codec.SeismicToModel(s, seis[i*FullSeis:(i+1)*FullSeis])
			encodeHalf(p.Seis[i*SeisLen:], s)
		}
	}
	return p
}

// ModelArrays decodes all pairs to float32 model-resolution slices
// (n×VelLen, n×SeisLen).
func (p *Pairs) ModelArrays() (vel, seis []float32) {
	vel, seis = make([]float32, p.N*VelLen), make([]float32, p.N*SeisLen)
	for i := 0; i < p.N; i++ {
		p.Velocity(vel[i*VelLen:(i+1)*VelLen], i)
		p.Seismic(seis[i*SeisLen:(i+1)*SeisLen], i)
	}
	return vel, seis
}
