package wiser

import (
	"context"
	"errors"
	"fmt"
	"math"

	"genfwi/cig"
	"genfwi/fwi"
	"genfwi/wave"
)

// ImageOptions configure Migrate.
type ImageOptions struct {
	// Survey is the acquisition and Obs the observation to migrate.
	Survey *cig.Survey
	Obs    *cig.Obs
	// MuteRows zeroes the image above that depth row, with a cosine taper
	// over the next TaperRows rows (JUDI's judiTopmute(n, wb, 5): the
	// sources and receivers sit in the top rows, where the image is
	// dominated by the acquisition footprint).
	MuteRows, TaperRows int
	// Workers is the number of velocities migrated at once (0 = 1).
	Workers int
}

// Images is the imaging step of WISE and WISER (the WISER paper's
// uncertainty-aware imaging): reverse-time migrations of one observation
// with several velocity models.
type Images struct {
	// Images holds one image per velocity (Nz·Nx each).
	Images [][]float32
	// Mean and Std are the point-wise mean and standard deviation over
	// Images.
	Mean, Std []float32
	// Solves counts the PDE solves (a forward and an adjoint per shot and
	// velocity).
	Solves int64
}

// Migrate computes, for every velocity v_i (m/s, Nz·Nx), the reverse-time
// migration of the data residual
//
//	I(v) = Tm · S · J[m(v)]ᵀ (d_obs − F[m(v)] q)
//
// with m = 1/v² the squared slowness, J the Born operator (the adjoint-state
// correlation of the forward and adjoint wavefields, the zero-offset
// gather), S the depth scaling √z (JUDI's judiTopmute and judiDepthScaling)
// and Tm the top mute. It is the negative of the full-band FWI gradient with
// respect to m: with the background model of a good velocity the residual is
// the reflected energy the model lacks, and its migration images the
// reflectors. Mean and Std over the images propagate the velocity
// uncertainty of a posterior's samples to the image.
func Migrate(ctx context.Context, o ImageOptions, vs [][]float32) (*Images, error) {
	if o.Survey == nil || o.Obs == nil {
		return nil, errors.New("wiser: Migrate needs a survey and an observation")
	}
	if len(vs) == 0 {
		return nil, errors.New("wiser: Migrate needs at least one velocity model")
	}
	sc := o.Survey.Config()
	pix := sc.Nz * sc.Nx
	if o.MuteRows < 0 || o.TaperRows < 0 || o.MuteRows+o.TaperRows > sc.Nz {
		return nil, fmt.Errorf("wiser: mute of %d rows with a %d-row taper does not fit %d rows", o.MuteRows, o.TaperRows, sc.Nz)
	}
	vmin := math.Inf(1)
	for i, v := range vs {
		if len(v) != pix {
			return nil, fmt.Errorf("wiser: velocity %d has %d values, the survey grid %d×%d", i, len(v), sc.Nz, sc.Nx)
		}
		for _, x := range v {
			if !(x > 0) || math.IsInf(float64(x), 0) {
				return nil, fmt.Errorf("wiser: velocity %d has a non-positive or non-finite value %v", i, x)
			}
			vmin = math.Min(vmin, float64(x))
		}
	}
	// One damping reference for every model: the images are then computed
	// with the same boundary and their spread is the velocity's alone.
	sim, err := fixedDampSimulator(sc, vmin, o.Obs)
	if err != nil {
		return nil, err
	}
	ob, err := fwi.NewObjective(sim, o.Obs.Data, nil)
	if err != nil {
		return nil, err
	}
	shots := make([][]int, len(vs))
	for i := range shots {
		shots[i] = allShots(sc.Shots)
	}
	grads := make([][]float32, len(vs))
	for i := range grads {
		grads[i] = make([]float32, pix)
	}
	workers := max(o.Workers, 1)
	if _, err := ob.EvalBatch(ctx, vs, shots, grads, workers); err != nil {
		return nil, err
	}
	taper := topMute(sc.Nz, o.MuteRows, o.TaperRows)
	out := &Images{Images: grads, Mean: make([]float32, pix), Std: make([]float32, pix), Solves: ob.Solves()}
	for i, g := range grads {
		wave.ToSlownessGradient(vs[i], g)
		for z := 0; z < sc.Nz; z++ {
			// −∂J/∂m · √z · mute; z at the cell centre in metres.
			w := -math.Sqrt((float64(z)+0.5)*sc.H) * taper[z]
			for x := 0; x < sc.Nx; x++ {
				g[z*sc.Nx+x] = float32(float64(g[z*sc.Nx+x]) * w)
			}
		}
	}
	n := float64(len(grads))
	for p := 0; p < pix; p++ {
		var s, ss float64
		for _, g := range grads {
			s += float64(g[p])
		}
		mean := s / n
		for _, g := range grads {
			d := float64(g[p]) - mean
			ss += d * d
		}
		out.Mean[p] = float32(mean)
		out.Std[p] = float32(math.Sqrt(ss / n))
	}
	return out, nil
}

// topMute returns the mute weight per row: 0 above mute, a raised-cosine
// ramp over taper rows, 1 below.
func topMute(nz, mute, taper int) []float64 {
	w := make([]float64, nz)
	for z := range w {
		switch {
		case z < mute:
		case z >= mute+taper:
			w[z] = 1
		default:
			w[z] = 0.5 - 0.5*math.Cos(math.Pi*float64(z-mute+1)/float64(taper+1))
		}
	}
	return w
}
