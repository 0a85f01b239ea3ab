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
	vl, sl := codec.VelLen(), codec.SeisLen()
	p := &Pairs{N: n, Codec: codec, Vel: make([]uint16, n*vl), Seis: make([]uint16, n*sl)}
	v := make([]float32, vl)
	s := make([]float32, sl)
	for i := 0; i < n; i++ {
		if vels != nil {
			codec.VelocityToModel(v, vels[i*FullVel:(i+1)*FullVel])
			encodeHalf(p.Vel[i*vl:], v)
		}
		if seis != nil {
			codec.SeismicToModel(s, seis[i*FullSeis:(i+1)*FullSeis])
			encodeHalf(p.Seis[i*sl:], s)
		}
	}
	return p
}

// Regrid converts n model-resolution pairs from the geometry of codec
// from to that of to, through the OpenFWI layout (either slice may be nil;
// the result is then nil too). With equal geometries it returns the
// inputs.
func Regrid(from, to Codec, vel, seis []float32) (v2, s2 []float32) {
	if from.G() == to.G() {
		return vel, seis
	}
	// convert takes each sample of src (fl values) to the OpenFWI layout
	// (full values) and from there to the target grid (tl values).
	convert := func(src []float32, fl, tl, full int, back, forth func(dst, src []float32)) []float32 {
		if src == nil {
			return nil
		}
		n := len(src) / fl
		out, buf := make([]float32, n*tl), make([]float32, full)
		for i := 0; i < n; i++ {
			back(buf, src[i*fl:(i+1)*fl])
			forth(out[i*tl:(i+1)*tl], buf)
		}
		return out
	}
	return convert(vel, from.VelLen(), to.VelLen(), FullVel, from.VelocityFromModel, to.VelocityToModel),
		convert(seis, from.SeisLen(), to.SeisLen(), FullSeis, from.SeismicFromModel, to.SeismicToModel)
}

// ModelArrays decodes all pairs to float32 model-resolution slices
// (n×VelLen, n×SeisLen).
func (p *Pairs) ModelArrays() (vel, seis []float32) {
	vl, sl := p.Codec.VelLen(), p.Codec.SeisLen()
	vel, seis = make([]float32, p.N*vl), make([]float32, p.N*sl)
	for i := 0; i < p.N; i++ {
		p.Velocity(vel[i*vl:(i+1)*vl], i)
		p.Seismic(seis[i*sl:(i+1)*sl], i)
	}
	return vel, seis
}
