package wavediff

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"genfwi/autograd"
	"genfwi/figures"
	"genfwi/models/diffusion"
	"genfwi/models/vqae"
	"genfwi/tensor"
)

// EpsErrorPoint is the ε-prediction error of a diffusion model at one
// timestep (0-based, as the sampler's t).
type EpsErrorPoint struct {
	T int `json:"t"`
	// Model is mean|ε_θ(z_t, t) − ε| over the latents (the paper's L1
	// training loss at t).
	Model float64 `json:"model_l1"`
	// Gaussian is the same for ε̂ = √(1−ᾱ_t)·z_t, the optimal predictor
	// if the scaled latents were N(0, I): a model above it at large t
	// does worse than ignoring the data.
	Gaussian float64 `json:"gaussian_l1"`
	// X0 is Model·√(1/ᾱ_t − 1), the mean absolute error the ε error
	// causes in the x0-prediction ẑ0 (scaled latent units).
	X0 float64 `json:"x0_l1"`
}

// EpsError measures the ε-prediction error of dm along the timesteps ts on
// the latents of pairs under ae (one noise draw per timestep from seed, no
// gradients). It is the diagnostic that separates a model that has not
// learnt the high-noise regime (Model above Gaussian near t = T, whose
// error the sampler amplifies) from one that lacks detail at small t.
func EpsError(ctx context.Context, dm *diffusion.Model, ae *vqae.Model, pairs *Pairs, ts []int, seed uint64) ([]EpsErrorPoint, error) {
	h, err := EncodeLatents(ctx, ae, pairs)
	if err != nil {
		return nil, err
	}
	s := dm.Sched
	rng := rand.New(rand.NewPCG(seed, 0x65707365))
	tp := autograd.NewTape()
	n := h.Shape[0]
	out := make([]EpsErrorPoint, 0, len(ts))
	for _, t := range ts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if t < 0 || t >= s.T {
			return nil, fmt.Errorf("wavediff: timestep %d outside [0,%d)", t, s.T)
		}
		eps := tensor.Randn(rng, 1, h.Shape...)
		// z_t = √ᾱ·s·h + √(1−ᾱ)·ε in the scaled space the UNet reads; the
		// model's error is measured in L1 whatever its training loss.
		a, b := s.SqrtAlphasCumprod[t], s.SqrtOneMinusAlphasCumprod[t]
		zt := tensor.New(h.Shape...)
		var g float64
		for i, v := range h.Data {
			z := a*dm.ScaleFactor*float64(v) + b*float64(eps.Data[i])
			zt.Data[i] = float32(z)
			g += math.Abs(b*z - float64(eps.Data[i]))
		}
		g /= float64(len(h.Data))
		var model float64
		const bs = 16 // batches bound the UNet's activations
		per := len(h.Data) / n
		for lo := 0; lo < n; lo += bs {
			hi := min(n, lo+bs)
			shape := append([]int{hi - lo}, h.Shape[1:]...)
			e := dm.PredictEps(tp, tensor.FromSlice(zt.Data[lo*per:hi*per], shape...), t)
			for j, v := range e.Data {
				model += math.Abs(float64(v - eps.Data[lo*per+j]))
			}
		}
		model /= float64(len(h.Data))
		out = append(out, EpsErrorPoint{T: t, Model: model, Gaussian: g, X0: model * b / a})
	}
	return out, nil
}

// EpsErrorTimesteps returns points timesteps from T−1 down to 0, evenly
// spaced (T−1 and 0 included).
func EpsErrorTimesteps(T, points int) []int { return levelGrid(T-1, points) }

// WriteEpsError writes eps_error.csv (t, model_l1, gaussian_l1, x0_l1) and
// eps_error.png (both ε errors against t, log scale) to dir.
func WriteEpsError(dir string, ps []EpsErrorPoint) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("t,model_l1,gaussian_l1,x0_l1\n")
	model, gauss := figures.Series{Name: "diffusion model ε_θ"}, figures.Series{Name: "Gaussian-optimal ε̂ = √(1−ᾱ_t)·z_t"}
	for _, p := range ps {
		fmt.Fprintf(&b, "%d,%.6g,%.6g,%.6g\n", p.T, p.Model, p.Gaussian, p.X0)
		model.X, model.Y = append(model.X, float64(p.T)), append(model.Y, p.Model)
		gauss.X, gauss.Y = append(gauss.X, float64(p.T)), append(gauss.Y, p.Gaussian)
	}
	if err := writeFileAtomic(filepath.Join(dir, "eps_error.csv"), []byte(b.String())); err != nil {
		return err
	}
	return figures.Lines(filepath.Join(dir, "eps_error.png"), figures.LineSpec{
		Title:  "ε-prediction error on the latents of real pairs",
		XLabel: "timestep t (0 = clean, T−1 = pure noise)", YLabel: "mean |ε̂ − ε|", LogY: true}, model, gauss)
}
