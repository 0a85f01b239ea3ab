// Package upfwi trains InversionNet without velocity labels, as UPFWI (Jin
// et al., "Unsupervised learning of full-waveform inversion: connecting CNN
// and partial differential equation in a loop", ICLR 2022): the network maps
// seismic to velocity, genfwi's OpenFWI-exact forward model re-simulates the
// seismic of that velocity, and the loss compares it with the input. The
// gradient of the loss with respect to the velocity comes from the wave
// engine's exact discrete adjoint (wave.Simulator.GradientMisfit) and enters
// the network as the cotangent of autograd.BackwardWith; the batch's
// gradients run on all threads (row bands of one sample by default, or
// several samples at once: NewPhysics).
//
// Loss: λ1·mean|s' − o'| + λ2·mean(s' − o')², s' and o' the simulated and
// input seismic in OpenFWI's normalised log-min-max space, means over all
// 5×1000×70 values and the batch. UPFWI also uses a perceptual loss on VGG-16
// features; no VGG weights are available here, so it is omitted (results are
// not directly comparable with UPFWI's published numbers).
//
// Like wavediff, this package joins physics (wave) and learning
// (models/invnet).
package upfwi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"genfwi/models/invnet"
	"genfwi/openfwi"
	"genfwi/tensor"
	"genfwi/wave"
)

// Physics computes the UPFWI data loss of a batch and its gradient with
// respect to the network's normalised velocity. It is safe for use by one
// training loop at a time.
type Physics struct {
	norm   openfwi.Norm
	l1, l2 float64
	sims   []*wave.Simulator
}

// NewPhysics prepares the OpenFWI-exact simulators for the loss
// λ1·L1 + λ2·MSE in the normalised seismic space of norm: sims simulators
// work through the batch's samples in parallel and share workers threads
// (0 = GOMAXPROCS), each running its sample's time steps in row bands over
// its share. sims = 0 means one simulator. On 2 cores one simulator with
// both threads trained the cpu preset at 6.3 s per step against 8.2 s for
// two single-threaded simulators (docs/baselines.md §5): two samples at
// once stream two wavefield tapes (≈ 440 MB each) through the memory
// system, while one sample's row bands share one.
func NewPhysics(norm openfwi.Norm, l1, l2 float64, workers, sims int) (*Physics, error) {
	if l1 < 0 || l2 < 0 || l1+l2 == 0 {
		return nil, fmt.Errorf("upfwi: loss weights must be ≥ 0 and not both 0, got %g and %g", l1, l2)
	}
	if !(norm.DataMax > norm.DataMin) || !(norm.LabelMax > norm.LabelMin) {
		return nil, fmt.Errorf("upfwi: invalid normalisation %+v", norm)
	}
	if workers < 0 || sims < 0 {
		return nil, fmt.Errorf("upfwi: workers and simulators must be ≥ 0, got %d and %d", workers, sims)
	}
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if sims == 0 {
		sims = 1
	}
	if sims > workers {
		return nil, fmt.Errorf("upfwi: %d simulators cannot share %d threads", sims, workers)
	}
	p := &Physics{norm: norm, l1: l1, l2: l2}
	for i := 0; i < sims; i++ {
		// The first workers%sims simulators take one thread more.
		threads := workers / sims
		if i < workers%sims {
			threads++
		}
		s, err := wave.NewOpenFWI(threads)
		if err != nil {
			return nil, err
		}
		p.sims = append(p.sims, s)
	}
	return p, nil
}

// Loss returns the batch loss for the predicted normalised velocity pred
// (B, 1, 70, 70) and the raw input seismic of each sample (5×1000×70), and
// dLoss/dpred (same shape as pred). Samples are distributed over the
// workers.
func (p *Physics) Loss(ctx context.Context, pred *tensor.Tensor, seis [][]float32) (float64, *tensor.Tensor, error) {
	if len(pred.Shape) != 4 || pred.Shape[1] != 1 || pred.Shape[2] != openfwi.NZ || pred.Shape[3] != openfwi.NX {
		return 0, nil, fmt.Errorf("upfwi: prediction shape %v, want [B 1 70 70]", pred.Shape)
	}
	nb := pred.Shape[0]
	if len(seis) != nb {
		return 0, nil, fmt.Errorf("upfwi: %d seismic samples for a batch of %d", len(seis), nb)
	}
	for b, s := range seis {
		if len(s) != openfwi.DataLen {
			return 0, nil, fmt.Errorf("upfwi: seismic sample %d has %d values, want 5·1000·70", b, len(s))
		}
	}
	cot := tensor.New(pred.Shape...)
	losses := make([]float64, nb)
	errs := make([]error, nb)
	scale := 1 / float64(nb*openfwi.DataLen)
	dvdy := (p.norm.LabelMax - p.norm.LabelMin) / 2 // v = LabelMin + (y+1)/2·(LabelMax−LabelMin)
	next := make(chan int)
	var wg sync.WaitGroup
	for _, sim := range p.sims {
		wg.Add(1)
		go func(sim *wave.Simulator) {
			defer wg.Done()
			vel := make([]float32, openfwi.ModelLen)
			grad := make([]float32, openfwi.ModelLen)
			for b := range next {
				p.norm.LabelInverse(vel, pred.Data[b*openfwi.ModelLen:(b+1)*openfwi.ModelLen])
				j, err := sim.GradientMisfit(ctx, vel, nil, p.misfit(seis[b], scale), grad)
				if err != nil {
					errs[b] = fmt.Errorf("sample %d: %w", b, err)
					continue
				}
				losses[b] = j
				c := cot.Data[b*openfwi.ModelLen : (b+1)*openfwi.ModelLen]
				for i, g := range grad {
					c[i] = float32(float64(g) * dvdy)
				}
			}
		}(sim)
	}
	for b := 0; b < nb; b++ {
		next <- b
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, nil, fmt.Errorf("upfwi: %w", err)
	}
	total := 0.0
	for _, l := range losses {
		total += l
	}
	return total, cot, nil
}

// misfit returns the wave.Misfit of one sample: J_s = scale·Σ (λ1|r| + λ2 r²)
// with r = f(d) − f(obs), f the normalisation, and the adjoint source
// scale·(λ1 sign r + 2λ2 r)·f'(d), f'(x) = 2/(b−a)/(1+|x|).
func (p *Physics) misfit(obs []float32, scale float64) wave.Misfit {
	a, b := logTF(p.norm.DataMin), logTF(p.norm.DataMax)
	k := 2 / (b - a)
	f := func(x float64) float64 { return k*(logTF(x)-a) - 1 }
	per := openfwi.NT * openfwi.Receivers
	return func(shot int, d []float32) float64 {
		o := obs[shot*per : (shot+1)*per]
		j := 0.0
		for i, x := range d {
			xd := float64(x)
			r := f(xd) - f(float64(o[i]))
			j += p.l1*math.Abs(r) + p.l2*r*r
			sg := 0.0
			if r > 0 {
				sg = 1
			} else if r < 0 {
				sg = -1
			}
			d[i] = float32(scale * (p.l1*sg + 2*p.l2*r) * k / (1 + math.Abs(xd)))
		}
		return scale * j
	}
}

// logTF is OpenFWI's log transform sign(x)·log1p(|x|).
func logTF(x float64) float64 {
	if x < 0 {
		return -math.Log1p(-x)
	}
	return math.Log1p(x)
}

// Train trains an InversionNet the UPFWI way: o.Config.Train.Method must be
// "upfwi"; λ1 and λ2 of the config weight the seismic loss. The true
// velocities of o.Train are not used for training (only those of the
// validation pairs, for the validation curve). The wave gradients of each
// batch use workers threads (0 = GOMAXPROCS) shared by sims simulators
// (0 = 1), as in NewPhysics.
func Train(ctx context.Context, o invnet.TrainOptions, workers, sims int) (*invnet.TrainSummary, error) {
	if o.Config == nil || o.Train == nil {
		return nil, errors.New("upfwi: Train needs a config and training pairs")
	}
	if o.Config.Train.Method != "upfwi" {
		return nil, fmt.Errorf("upfwi: the config's train.method is %q, want \"upfwi\"", o.Config.Train.Method)
	}
	names := o.Config.Train.Norm
	if len(names) == 0 {
		names = o.Train.Datasets()
	}
	if len(names) == 0 {
		return nil, errors.New("upfwi: the training data do not name their OpenFWI dataset: set train.norm")
	}
	norm, err := invnet.NormFor(names...)
	if err != nil {
		return nil, fmt.Errorf("upfwi: normalisation: %w", err)
	}
	ph, err := NewPhysics(norm, o.Config.Train.L1, o.Config.Train.L2, workers, sims)
	if err != nil {
		return nil, err
	}
	o.DataLoss = ph.Loss
	return invnet.Train(ctx, o)
}
