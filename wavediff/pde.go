package wavediff

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// Deviation is the PDE deviation of one seismic–velocity pair (WaveDiffusion,
// Wang et al. arXiv 2410.09002): the pair's seismic ŝ against the OpenFWI-exact simulation F(v̂) of
// its velocity.
type Deviation struct {
	// MSENorm is mean((N(ŝ) − N(F(v̂)))²) over the 5×1000×70 samples in
	// OpenFWI's normalised seismic space (log-min-max, about [−1, 1]).
	MSENorm float64 `json:"mse_norm"`
	// RelL2 is ‖ŝ − F(v̂)‖₂ / ‖F(v̂)‖₂ in physical units.
	RelL2 float64 `json:"rel_l2"`
	// Clipped is the fraction of velocity cells outside [LabelMin,
	// LabelMax] that were clipped to it before simulating.
	Clipped float64 `json:"clipped"`
}

// PDEDeviation computes the deviation of one pair in the OpenFWI layout:
// vel is 70×70 m/s, seis 5×1000×70 raw amplitudes. The velocity is clipped
// to the codec's label range (1500–4500 m/s: the range of the training maps,
// which also keeps the explicit scheme within its CFL limit) and simulated
// with sim (nil = wave.OpenFWIForward on one goroutine). scratch, if not nil,
// must hold 3·FullSeis+FullVel float32 and is used instead of allocating.
func PDEDeviation(ctx context.Context, codec Codec, vel, seis []float32, sim SimulateFunc, scratch []float32) (Deviation, error) {
	if len(vel) != FullVel || len(seis) != FullSeis {
		return Deviation{}, fmt.Errorf("wavediff: PDE deviation needs a 70×70 map and a 5×1000×70 sample, got %d and %d values", len(vel), len(seis))
	}
	if sim == nil {
		sim = defaultSimulate
	}
	if len(scratch) < 3*FullSeis+FullVel {
		scratch = make([]float32, 3*FullSeis+FullVel)
	}
	syn := scratch[:FullSeis]
	na := scratch[FullSeis : 2*FullSeis]
	nb := scratch[2*FullSeis : 3*FullSeis]
	v := scratch[3*FullSeis : 3*FullSeis+FullVel]
	lo, hi := float32(codec.Norm.LabelMin), float32(codec.Norm.LabelMax)
	clipped := 0
	for i, x := range vel {
		switch {
		case math.IsNaN(float64(x)):
			return Deviation{}, fmt.Errorf("wavediff: velocity map holds NaN at cell %d", i)
		case x < lo:
			x, clipped = lo, clipped+1
		case x > hi:
			x, clipped = hi, clipped+1
		}
		v[i] = x
	}
	if err := sim(ctx, v, syn); err != nil {
		return Deviation{}, err
	}
	codec.Norm.Data(na, seis)
	codec.Norm.Data(nb, syn)
	var se, num, den float64
	for i := range syn {
		d := float64(na[i]) - float64(nb[i])
		se += d * d
		r := float64(seis[i]) - float64(syn[i])
		num += r * r
		den += float64(syn[i]) * float64(syn[i])
	}
	dev := Deviation{MSENorm: se / float64(len(syn)), Clipped: float64(clipped) / float64(len(vel))}
	if den > 0 {
		dev.RelL2 = math.Sqrt(num / den)
	} else {
		dev.RelL2 = math.Inf(1)
	}
	return dev, nil
}

// PDEDeviations computes the deviation of n pairs in the OpenFWI layout (vels
// n×4900 m/s, seis n×350000 raw) on workers goroutines (0 = GOMAXPROCS), one
// pair per goroutine at a time. onDone, if set, is called after each pair.
func PDEDeviations(ctx context.Context, codec Codec, vels, seis []float32, sim SimulateFunc, workers int, onDone func()) ([]Deviation, error) {
	n := len(vels) / FullVel
	if len(vels) != n*FullVel || len(seis) != n*FullSeis {
		return nil, fmt.Errorf("wavediff: PDE deviations: %d velocity values and %d seismic values are not n whole pairs", len(vels), len(seis))
	}
	out := make([]Deviation, n)
	err := forEach(ctx, n, workers, func() func(context.Context, int) error {
		scratch := make([]float32, 3*FullSeis+FullVel)
		return func(ctx context.Context, i int) error {
			d, err := PDEDeviation(ctx, codec, vels[i*FullVel:(i+1)*FullVel], seis[i*FullSeis:(i+1)*FullSeis], sim, scratch)
			if err != nil {
				return fmt.Errorf("pair %d: %w", i, err)
			}
			out[i] = d
			return nil
		}
	}, onDone)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ModelDeviations converts n model-resolution pairs (vel n×VelLen and seis
// n×SeisLen, normalised) to the OpenFWI layout and computes their PDE
// deviations.
func ModelDeviations(ctx context.Context, codec Codec, vel, seis []float32, workers int, onDone func()) ([]Deviation, error) {
	vl, sl := codec.VelLen(), codec.SeisLen()
	n := len(vel) / vl
	if len(vel) != n*vl || len(seis) != n*sl {
		return nil, fmt.Errorf("wavediff: model deviations: %d velocity values and %d seismic values are not n whole pairs", len(vel), len(seis))
	}
	fv, fs := make([]float32, n*FullVel), make([]float32, n*FullSeis)
	ToOpenFWI(codec, vel, seis, fv, fs)
	return PDEDeviations(ctx, codec, fv, fs, nil, workers, onDone)
}

// ToOpenFWI converts n model-resolution pairs to the OpenFWI layout: fv
// (n×4900, m/s) and fs (n×350000, raw amplitudes). Either side may be nil.
func ToOpenFWI(codec Codec, vel, seis, fv, fs []float32) {
	vl, sl := codec.VelLen(), codec.SeisLen()
	if vel != nil {
		for i := 0; i < len(vel)/vl; i++ {
			codec.VelocityFromModel(fv[i*FullVel:(i+1)*FullVel], vel[i*vl:(i+1)*vl])
		}
	}
	if seis != nil {
		for i := 0; i < len(seis)/sl; i++ {
			codec.SeismicFromModel(fs[i*FullSeis:(i+1)*FullSeis], seis[i*sl:(i+1)*sl])
		}
	}
}

// DeviationStats summarises deviations: means, medians and standard
// deviations of both measures.
type DeviationStats struct {
	N             int     `json:"n"`
	MeanMSENorm   float64 `json:"mean_mse_norm"`
	MedianMSENorm float64 `json:"median_mse_norm"`
	StdMSENorm    float64 `json:"std_mse_norm"`
	MeanRelL2     float64 `json:"mean_rel_l2"`
	MedianRelL2   float64 `json:"median_rel_l2"`
	MeanClipped   float64 `json:"mean_clipped"`
}

// Summarize computes DeviationStats over ds.
func Summarize(ds []Deviation) DeviationStats {
	s := DeviationStats{N: len(ds)}
	if len(ds) == 0 {
		return s
	}
	a, b := make([]float64, len(ds)), make([]float64, len(ds))
	for i, d := range ds {
		a[i], b[i] = d.MSENorm, d.RelL2
		s.MeanMSENorm += d.MSENorm
		s.MeanRelL2 += d.RelL2
		s.MeanClipped += d.Clipped
	}
	n := float64(len(ds))
	s.MeanMSENorm /= n
	s.MeanRelL2 /= n
	s.MeanClipped /= n
	for _, x := range a {
		s.StdMSENorm += (x - s.MeanMSENorm) * (x - s.MeanMSENorm)
	}
	s.StdMSENorm = math.Sqrt(s.StdMSENorm / n)
	s.MedianMSENorm, s.MedianRelL2 = median(a), median(b)
	return s
}

func median(x []float64) float64 {
	y := append([]float64(nil), x...)
	slices.Sort(y)
	if len(y)%2 == 1 {
		return y[len(y)/2]
	}
	return (y[len(y)/2-1] + y[len(y)/2]) / 2
}
