// Package experiments holds genfwi's WaveDiffusion evaluations ("genfwi
// eval"): the PDE deviation of decoded pairs along forward noising and
// reverse sampling, the ε-prediction error per timestep, the FD-proxy
// distance of jointly and separately generated pairs, and the demo report.
// Each is one function taking a context and an options struct, writing its
// files and returning its headline figures, so that it runs and is tested
// without a process.
//
// It sits above the inference layer: it imports wavediff, models/* and
// openfwi, and nothing imports it but cmd/genfwi.
package experiments

import (
	"context"
	"fmt"
	"time"

	"genfwi/internal/progress"
	"genfwi/models/diffusion"
	"genfwi/models/vqae"
	"genfwi/openfwi"
	"genfwi/wavediff"
)

// RealPairs reads maps lo:hi (hi clipped to the file) of an OpenFWI-size
// velocity file and simulates their seismic with the OpenFWI-exact preset.
func RealPairs(ctx context.Context, path string, lo, hi int, bar progress.Start) (vels, seis []float32, err error) {
	if vels, err = realMaps(path, lo, hi, "the OpenFWI forward model"); err != nil {
		return nil, nil, err
	}
	b := bar.Bar(len(vels)/openfwi.ModelLen, "simulating real pairs")
	defer b.Finish()
	seis, err = wavediff.SimulateMaps(ctx, vels, 0, func() { b.Add(1) })
	return vels, seis, err
}

// realMaps reads the 70×70 maps lo:hi of a velocity file (hi clipped to its
// length); use names what needs that grid in the error.
func realMaps(path string, lo, hi int, use string) ([]float32, error) {
	f, err := openfwi.OpenVelocity(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := f.Require(openfwi.NZ, openfwi.NX, use); err != nil {
		return nil, err
	}
	hi = min(hi, f.N)
	if lo >= hi {
		return nil, fmt.Errorf("%s has %d maps, range %d:%d is empty", path, f.N, lo, hi)
	}
	return f.Maps(lo, hi)
}

// SetupOptions name what every evaluation starts from.
type SetupOptions struct {
	// Model is the joint diffusion model (run directory or .safetensors);
	// VQAE its autoencoder ("" = the recorded one), accepted with another
	// SHA-256 than the recorded one only if AnyVQAE.
	Model, VQAE string
	AnyVQAE     bool
	// Real are velocity files whose maps Lo:Hi form the real reference
	// pairs (seismic simulated).
	Real   []string
	Lo, Hi int
	// Bar reports the simulation of the real pairs.
	Bar progress.Start
}

// Setup is the diffusion model, its autoencoder and the real reference
// pairs (OpenFWI layout and model resolution).
type Setup struct {
	// Diffusion is the latent DDPM, AE its autoencoder and Codec the
	// normalisation of both modalities.
	Diffusion *diffusion.Model
	AE        *vqae.Model
	Codec     wavediff.Codec
	// Vels and Seis are the real pairs in the OpenFWI layout (m/s and
	// simulated seismic), Real the same at model resolution.
	Vels, Seis []float32
	Real       *wavediff.Pairs
	// Began is taken after loading the models: the evaluations' times
	// include simulating the real pairs, not reading the weights.
	Began time.Time
}

// Load loads the models and simulates the real pairs. A mismatched VQAE is
// wavediff.ErrVQAEMismatch.
func Load(ctx context.Context, o SetupOptions) (*Setup, error) {
	load := wavediff.LoadDiffusion
	if o.AnyVQAE {
		load = wavediff.LoadDiffusionAnyVQAE
	}
	dm, ae, codec, err := load(o.Model, o.VQAE)
	if err != nil {
		return nil, err
	}
	s := &Setup{Diffusion: dm, AE: ae, Codec: codec, Began: time.Now()}
	for _, f := range o.Real {
		v, sv, err := RealPairs(ctx, f, o.Lo, o.Hi, o.Bar)
		if err != nil {
			return nil, &InputError{"Real", fmt.Errorf("%s: %w", f, err)}
		}
		s.Vels, s.Seis = append(s.Vels, v...), append(s.Seis, sv...)
	}
	if len(s.Vels) == 0 {
		return nil, fmt.Errorf("no real reference file")
	}
	s.Real = wavediff.PairsFromFull(codec, s.Vels, s.Seis)
	return s, nil
}

// InputError is an error of one input an experiment was given; Input is the
// name of its options field ("Real", "Proxy", "Data", ...), so that a
// command can name the input the way its user wrote it.
type InputError struct {
	// Input is the options field of the input.
	Input string
	// Err is what went wrong with it.
	Err error
}

// Error returns the message, naming the input.
func (e *InputError) Error() string { return e.Input + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }

// Sampling is how generated pairs are drawn.
type Sampling struct {
	// N is the number of generated pairs.
	N int
	// Sampler is "ddpm" or "ddim", Steps the DDIM steps.
	Sampler string
	Steps   int
	// ClipX0 clamps the x0-prediction (0 = off).
	ClipX0 float64
	// Seed seeds the sampler and the forward noise.
	Seed uint64
	// Workers are the simulation goroutines (0 = GOMAXPROCS).
	Workers int
}

func (s Sampling) generate() wavediff.GenerateOptions {
	return wavediff.GenerateOptions{Method: s.Sampler, Steps: s.Steps, ClipX0: s.ClipX0, Seed: s.Seed}
}
