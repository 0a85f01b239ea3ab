package wise

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"genfwi/metrics"
	"genfwi/models/flow"
	"genfwi/nn"
	"genfwi/tensor"
)

// Posterior holds N posterior samples of one velocity map and their
// pointwise statistics, all in m/s, row-major nz×nx maps.
type Posterior struct {
	N, Nz, Nx int
	// Samples holds N maps, sample i at [i·Nz·Nx, (i+1)·Nz·Nx).
	Samples []float32
	// CM is the conditional mean, the pointwise mean of the samples.
	CM []float32
	// Std is the pointwise standard deviation (with the 1/(N−1) of Julia's
	// std, as WISE reports it; 0 for N = 1).
	Std []float32
}

// Sample draws n posterior samples of the velocity for one gather
// (len(Offsets)·Nz·Nx values, normalised like the training gathers) with
// the summary network in eval mode (or in training mode with
// posterior.summary_train_mode), in batches of the config's
// posterior.batch, latents (and dropout masks) drawn from seed. It returns
// an error if the gather has the wrong size or contains NaN/Inf.
func (m *Model) Sample(ctx context.Context, gather []float32, n int, seed uint64) (*Posterior, error) {
	pc := m.Config.Posterior
	return drawPosterior(ctx, m.Net, m.Data, m.Config.Train.VelocityScale, pc.Batch, pc.SummaryTrainMode, gather, n, seed)
}

// drawPosterior is Model.Sample on a bare network.
func drawPosterior(ctx context.Context, net *flow.Network, inf DataInfo, scale float64, batch int, trainMode bool,
	gather []float32, n int, seed uint64) (*Posterior, error) {
	nz, nx, nh := inf.Nz, inf.Nx, len(inf.Offsets)
	if n < 1 {
		return nil, fmt.Errorf("wise: number of posterior samples must be ≥ 1, got %d", n)
	}
	if len(gather) != nh*nz*nx {
		return nil, fmt.Errorf("wise: gather has %d values, the model takes %d offsets × %d × %d = %d", len(gather), nh, nz, nx, nh*nz*nx)
	}
	for i, v := range gather {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("wise: gather value %d (offset %d, z %d, x %d) is %v", i, i/(nz*nx), i/nx%nz, i%nx, v)
		}
	}
	if batch < 1 {
		batch = n
	}
	y := tensor.FromSlice(gather, 1, nh, nz, nx)
	wasTraining := net.Summary.Training
	net.Summary.Training = trainMode
	defer func() { net.Summary.Training = wasTraining }()
	if trainMode {
		// Training-mode BatchNorm updates the running statistics; sampling
		// must leave the model as it found it.
		saved := saveBuffers(net.Summary.Buffers())
		defer saved.restore()
	}
	pix := nz * nx
	p := &Posterior{N: n, Nz: nz, Nx: nx, Samples: make([]float32, n*pix)}
	s := float32(scale)
	for b, lo := 0, 0; lo < n; b, lo = b+1, lo+batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		k := min(batch, n-lo)
		rng := rand.New(rand.NewPCG(seed, streamDraws|uint64(b)))
		z := tensor.Randn(rng, 1, k, 1, nz, nx)
		var x *tensor.Tensor
		var err error
		if trainMode {
			x, err = sampleTrainMode(net, z, gather, k, rng)
		} else {
			x, err = net.Sample(z, y, nil)
		}
		if err != nil {
			return nil, err
		}
		dst := p.Samples[lo*pix : (lo+k)*pix]
		for i, v := range x.Data {
			dst[i] = v * s
		}
	}
	p.CM, p.Std = MeanStd(p.Samples, n, pix)
	return p, nil
}

// sampleTrainMode draws k samples whose conditions are the summary of the
// gather repeated k times in training mode: one dropout mask per sample
// from rng.
func sampleTrainMode(net *flow.Network, z *tensor.Tensor, gather []float32, k int, rng *rand.Rand) (*tensor.Tensor, error) {
	s := z.Shape
	rep := tensor.New(k, len(gather)/(s[2]*s[3]), s[2], s[3])
	for i := 0; i < k; i++ {
		copy(rep.Data[i*len(gather):], gather)
	}
	c, err := net.Summary.Summarize(rep, rng)
	if err != nil {
		return nil, err
	}
	return net.Flow.Sample(z, c)
}

// savedBuffers is a copy of buffer values to put back.
type savedBuffers struct {
	bufs []*nn.Buffer
	vals [][]float32
}

func saveBuffers(bs []*nn.Buffer) savedBuffers {
	s := savedBuffers{bufs: bs}
	for _, b := range bs {
		s.vals = append(s.vals, append([]float32(nil), b.T.Data...))
	}
	return s
}

func (s savedBuffers) restore() {
	for i, b := range s.bufs {
		copy(b.T.Data, s.vals[i])
	}
}

// MeanStd returns the pointwise mean and standard deviation (1/(n−1); 0
// for n = 1) of n maps of pix values stored one after the other,
// accumulated in float64.
func MeanStd(samples []float32, n, pix int) (mean, std []float32) {
	mean, std = make([]float32, pix), make([]float32, pix)
	for j := 0; j < pix; j++ {
		s := 0.0
		for i := 0; i < n; i++ {
			s += float64(samples[i*pix+j])
		}
		mu := s / float64(n)
		q := 0.0
		for i := 0; i < n; i++ {
			d := float64(samples[i*pix+j]) - mu
			q += d * d
		}
		mean[j] = float32(mu)
		if n > 1 {
			std[j] = float32(math.Sqrt(q / float64(n-1)))
		}
	}
	return mean, std
}

// Scores are the metrics of a conditional mean against the true map.
type Scores struct {
	// OpenFWI holds MAE, MSE, RMSE on OpenFWI's normalised scale and SSIM.
	OpenFWI metrics.Scores `json:"openfwi"`
	// MS holds MAE, MSE, RMSE in m/s (m²/s²) and the same SSIM.
	MS metrics.Scores `json:"ms"`
	// MeanStd is the mean pointwise posterior standard deviation in m/s.
	MeanStd float64 `json:"mean_std_ms"`
	// MeanAbsError is the mean |CM − truth| in m/s (= MS.MAE).
	MeanAbsError float64 `json:"mean_abs_error_ms"`
}

// Score compares the conditional mean with the truth (m/s).
func (p *Posterior) Score(truth []float32) Scores {
	s := Scores{OpenFWI: metrics.Velocity(truth, p.CM, p.Nz, p.Nx), MS: metrics.VelocityMS(truth, p.CM, p.Nz, p.Nx)}
	s.MeanAbsError = s.MS.MAE
	for _, v := range p.Std {
		s.MeanStd += float64(v)
	}
	s.MeanStd /= float64(len(p.Std))
	return s
}

// AbsError returns |CM − truth| pointwise in m/s.
func (p *Posterior) AbsError(truth []float32) []float32 {
	e := make([]float32, len(p.CM))
	for i := range e {
		e[i] = float32(math.Abs(float64(p.CM[i]) - float64(truth[i])))
	}
	return e
}

// Validate scores the conditional mean of cfg.Train.ValSamples posterior
// samples on up to cfg.Train.ValMaps pairs of val (evenly spaced), with the
// summary network in eval mode. The latents of map i are the same every
// epoch, so the curve compares like with like.
func Validate(ctx context.Context, net *flow.Network, val Pairs, cfg *Config, epoch int) (ValPoint, error) {
	tc := cfg.Train
	inf := val.Info()
	nv := min(tc.ValMaps, val.Len())
	vp := ValPoint{Epoch: epoch, Maps: nv, Samples: tc.ValSamples}
	if nv == 0 {
		return vp, nil
	}
	pix := inf.Nz * inf.Nx
	vel := make([]float32, pix)
	g := make([]float32, len(inf.Offsets)*pix)
	var sn, sm metrics.Summary
	std := 0.0
	for k := 0; k < nv; k++ {
		i := k * val.Len() / nv
		if err := val.Read(i, vel, g); err != nil {
			return vp, fmt.Errorf("reading validation pair %d: %w", i, err)
		}
		p, err := drawPosterior(ctx, net, inf, tc.VelocityScale, cfg.Posterior.Batch, false, g, tc.ValSamples, tc.Seed^(streamVal|uint64(i)))
		if err != nil {
			return vp, fmt.Errorf("validation pair %d: %w", i, err)
		}
		s := p.Score(vel)
		sn.Add(s.OpenFWI)
		sm.Add(s.MS)
		std += s.MeanStd
	}
	a, b := sn.Mean(), sm.Mean()
	vp.SSIM, vp.RMSE, vp.MAE, vp.RMSEms, vp.MAEms = a.SSIM, a.RMSE, a.MAE, b.RMSE, b.MAE
	vp.Std = std / float64(nv)
	return vp, nil
}
