package experiments

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"genfwi/figures"
	"genfwi/internal/progress"
	"genfwi/metrics"
	"genfwi/models/diffusion"
	"genfwi/models/invnet"
	"genfwi/models/vqae"
	"genfwi/npy"
	"genfwi/openfwi"
	"genfwi/wavediff"
)

// InversionScores are the scores of one inversion (one noise level and
// variant) of "genfwi invert" and "genfwi denoise".
type InversionScores struct {
	Noise float64 `json:"noise"`
	// Refined says whether the diffusion refined the latents (WaveDiffusion
	// only).
	Refined    *bool                   `json:"diffusion_refined,omitempty"`
	Velocity   *metrics.Scores         `json:"velocity,omitempty"`
	VelocityMS *metrics.Scores         `json:"velocity_ms,omitempty"`
	Seismic    *wavediff.SeismicScores `json:"seismic_vs_clean,omitempty"`
	// InputMSE is the MSE of the (noisy) input against the clean data in
	// the normalised space.
	InputMSE    float64 `json:"input_mse_norm"`
	Seconds     float64 `json:"seconds"`
	SecPerInput float64 `json:"seconds_per_sample"`
}

// Inputs are the observed data of an inversion, samples First:First+N of
// a file, and what is known about them.
type Inputs struct {
	// Seis is the clean seismic [N,5,1000,70].
	Seis []float32
	// Truth (optional) is the true velocity [N,70,70] m/s; Velocity
	// (optional) a velocity given to the two-in autoencoder.
	Truth, Velocity []float32
	First, N        int
}

// Output is where an inversion writes: the directory, the number of
// samples drawn in the figure, and the caller's description of the run
// (paths, model; not nil), which the inversion completes with "n",
// "results" and "scale" and writes as the summary JSON.
type Output struct {
	Dir      string
	Figures  int
	Describe map[string]any
}

// scale documents the units of the scores in the summaries.
const scaleWaveDiffusion = "velocity MAE/RMSE on OpenFWI's normalised [-1,1] scale, SSIM on [0,1]; seismic MSE in the normalised log-min-max space"

// WaveDiffusionInversion is the one-in-two-out inversion (and, with
// Denoise, the denoising sweep) of WaveDiffusion.
type WaveDiffusionInversion struct {
	AE    *vqae.Model
	Codec wavediff.Codec
	// Diffusion (optional) refines the latents from TStar with Sampler
	// (Steps for DDIM).
	Diffusion *diffusion.Model
	TStar     int
	Sampler   string
	Steps     int
	// Draws > 1 averages that many diffusion refinements (the posterior
	// mean; wavediff.InvertOptions.Draws).
	Draws int
	// Sigmas are the noise levels added to the normalised seismic; Seed
	// seeds the noise.
	Sigmas []float64
	Seed   uint64
	// Denoise runs every level twice, with the autoencoder alone and with
	// the diffusion, and names the outputs by level and variant.
	Denoise bool
}

// InversionTag names the outputs of one noise level and variant ("" for
// invert: one level, one variant).
func InversionTag(sig float64, refined, denoise bool) string {
	if !denoise {
		return ""
	}
	if refined {
		return fmt.Sprintf("_noise%g-diffusion", sig)
	}
	return fmt.Sprintf("_noise%g-autoencoder", sig)
}

// Run inverts in for every noise level and variant, writes
// velocity<tag>.npy, seismic<tag>.npy, invert<tag>.png and invert.json (or
// denoise.json) to out.Dir and returns the scores.
func (w *WaveDiffusionInversion) Run(ctx context.Context, in Inputs, out Output) ([]InversionScores, error) {
	if err := os.MkdirAll(out.Dir, 0o755); err != nil {
		return nil, err
	}
	var results []InversionScores
	fig := denoiseFigure{Path: filepath.Join(out.Dir, "denoise.png"), Norm: w.Codec.Norm, Clean: in.Seis[:openfwi.DataLen]}
	for _, sig := range w.Sigmas {
		variants := []*diffusion.Model{w.Diffusion}
		if w.Denoise {
			variants = []*diffusion.Model{nil, w.Diffusion} // autoencoder alone, then with the diffusion
		}
		for _, d := range variants {
			t0 := time.Now()
			r, err := wavediff.Invert(ctx, w.AE, w.Codec, in.Seis, in.Velocity, wavediff.InvertOptions{Noise: sig, Seed: w.Seed, Diffusion: d,
				TStar: w.TStar, Method: w.Sampler, Steps: w.Steps, Draws: w.Draws})
			if err != nil {
				return nil, err
			}
			refined := d != nil
			res := InversionScores{Noise: sig, Refined: &refined, Seconds: time.Since(t0).Seconds()}
			res.SecPerInput = res.Seconds / float64(in.N)
			res.InputMSE = wavediff.CompareSeismicNorm(w.Codec, in.Seis, r.NoisyNorm)
			if in.Truth != nil {
				a, b := wavediff.VelocityScores(in.Truth, r.Vel)
				res.Velocity, res.VelocityMS = &a, &b
			}
			if r.Seis != nil {
				s := wavediff.CompareSeismic(w.Codec, in.Seis, r.Seis)
				res.Seismic = &s
			}
			results = append(results, res)
			if w.Denoise && r.Seis != nil {
				fig.add(sig, refined, r.NoisyNorm[:openfwi.DataLen], r.Seis[:openfwi.DataLen])
			}
			tag := InversionTag(sig, refined, w.Denoise)
			if err := writeVelocity(out.Dir, tag, in.N, r.Vel); err != nil {
				return nil, err
			}
			if r.Seis != nil {
				if err := npy.WriteFileFloat32(filepath.Join(out.Dir, "seismic"+tag+".npy"), npy.Float32, []int{in.N, openfwi.Shots, openfwi.NT, openfwi.Receivers}, r.Seis); err != nil {
					return nil, err
				}
			}
			f := inversionFigure{Path: filepath.Join(out.Dir, "invert"+tag+".png"),
				Title: "WaveDiffusion one-in-two-out inversion " + strings.TrimPrefix(tag, "_"),
				Label: "inverted", K: min(out.Figures, in.N), Norm: w.Codec.Norm, Truth: in.Truth, Vel: r.Vel, Seis: in.Seis,
				NoisyNorm: r.NoisyNorm, Recon: r.Seis}
			if err := f.write(); err != nil {
				return nil, err
			}
		}
	}
	name := "invert.json"
	if w.Denoise {
		name = "denoise.json"
		if err := fig.write(); err != nil {
			return nil, err
		}
	}
	return results, writeSummary(filepath.Join(out.Dir, name), out.Describe, in.N, results, scaleWaveDiffusion)
}

// InvNetInversion inverts with a trained InversionNet (or UPFWI) network at
// one noise level and writes velocity.npy, invert.png and invert.json to
// out.Dir; Bar reports the samples done.
func InvNetInversion(ctx context.Context, m *invnet.Model, sigma float64, seed uint64, in Inputs, out Output, bar progress.Start) (*InversionScores, error) {
	if err := os.MkdirAll(out.Dir, 0o755); err != nil {
		return nil, err
	}
	t0 := time.Now()
	b := bar.Bar(in.N, "invert invnet")
	defer b.Finish()
	done := 0
	p, err := m.Predict(ctx, in.Seis, invnet.PredictOptions{Noise: sigma, Seed: seed, OnBatch: func(k int) { b.Add(k - done); done = k }})
	b.Finish()
	if err != nil {
		return nil, err
	}
	res := &InversionScores{Noise: sigma, Seconds: time.Since(t0).Seconds()}
	res.SecPerInput = res.Seconds / float64(in.N)
	res.InputMSE = wavediff.CompareSeismicNorm(wavediff.Codec{Norm: m.Norm}, in.Seis, p.NoisyNorm)
	if in.Truth != nil {
		a, b, err := invnet.Scores(in.Truth, p.Vel)
		if err != nil {
			return nil, err
		}
		res.Velocity, res.VelocityMS = &a, &b
	}
	if err := writeVelocity(out.Dir, "", in.N, p.Vel); err != nil {
		return nil, err
	}
	title := m.Label() + " inversion"
	if sigma > 0 {
		title += fmt.Sprintf(" (noise σ = %g)", sigma)
	}
	f := inversionFigure{Path: filepath.Join(out.Dir, "invert.png"), Title: title, Label: m.Label(), First: in.First, K: min(out.Figures, in.N),
		Norm: m.Norm, Truth: in.Truth, Vel: p.Vel, Seis: in.Seis, NoisyNorm: p.NoisyNorm}
	if err := f.write(); err != nil {
		return nil, err
	}
	return res, writeSummary(filepath.Join(out.Dir, "invert.json"), out.Describe, in.N, []InversionScores{*res},
		"velocity MAE/RMSE on OpenFWI's normalised [-1,1] scale, SSIM on [0,1]; velocity_ms in m/s; input MSE in the normalised log-min-max space")
}

// writeVelocity writes the inverted maps as velocity<tag>.npy [n,1,70,70].
func writeVelocity(dir, tag string, n int, vel []float32) error {
	return npy.WriteFileFloat32(filepath.Join(dir, "velocity"+tag+".npy"), npy.Float32, []int{n, 1, openfwi.NZ, openfwi.NX}, vel)
}

// writeSummary completes the caller's description with n, the results and
// the scale note and writes it as JSON.
func writeSummary(path string, describe map[string]any, n int, results []InversionScores, scale string) error {
	describe["n"], describe["results"], describe["scale"] = n, results, scale
	return wavediff.WriteJSON(path, describe)
}

// denoiseFigure is denoise.png, the paper's Fig. 16 for the first sample:
// one row per noise level with the clean gather, the noisy input, the
// autoencoder's reconstruction and the diffusion's (middle shot), all on
// the clean gather's amplitude scale.
type denoiseFigure struct {
	Path  string
	Norm  openfwi.Norm
	Clean []float32
	rows  []denoiseRow
}

type denoiseRow struct {
	sigma              float64
	noisy, ae, refined []float32
}

// add records the first sample's noisy input (normalised) and output (raw)
// of one level and variant.
func (f *denoiseFigure) add(sigma float64, refined bool, noisyNorm, out []float32) {
	if len(f.rows) == 0 || f.rows[len(f.rows)-1].sigma != sigma {
		noisy := make([]float32, len(noisyNorm))
		f.Norm.DataInverse(noisy, noisyNorm)
		f.rows = append(f.rows, denoiseRow{sigma: sigma, noisy: noisy})
	}
	r := &f.rows[len(f.rows)-1]
	if refined {
		r.refined = slices.Clone(out)
	} else {
		r.ae = slices.Clone(out)
	}
}

func (f *denoiseFigure) write() error {
	if len(f.rows) == 0 {
		return nil
	}
	clip := figures.Percentile(f.Clean, 99)
	var panels []figures.Panel
	cols := 0
	for _, r := range f.rows {
		row := []figures.Panel{wavediff.GatherPanel("clean", f.Clean, clip),
			wavediff.GatherPanel(fmt.Sprintf("noisy input σ = %g", r.sigma), r.noisy, clip)}
		if r.ae != nil {
			row = append(row, wavediff.GatherPanel("autoencoder only", r.ae, clip))
		}
		if r.refined != nil {
			row = append(row, wavediff.GatherPanel("diffusion (SDEdit)", r.refined, clip))
		}
		cols = max(cols, len(row))
		panels = append(panels, row...)
	}
	return figures.Grid(f.Path, "WaveDiffusion denoising, sample 0, middle shot (one amplitude scale)", panels, cols)
}

// inversionFigure is invert.png: per sample a row of the true velocity (if
// known), the inverted velocity, the input seismic (noise included) and the
// reconstructed seismic (if any).
type inversionFigure struct {
	Path, Title, Label string
	// First numbers the first sample; K rows are drawn (0: no figure).
	First, K int
	// Norm undoes the normalisation of NoisyNorm, the network's input.
	Norm                               openfwi.Norm
	Truth, Vel, Seis, NoisyNorm, Recon []float32
}

func (f *inversionFigure) write() error {
	if f.K == 0 {
		return nil
	}
	const mv, md = openfwi.ModelLen, openfwi.DataLen
	noisy := make([]float32, md)
	var panels []figures.Panel
	cols := 0
	for i := range f.K {
		k := f.First + i
		var row []figures.Panel
		if f.Truth != nil {
			row = append(row, wavediff.VelocityPanel(fmt.Sprintf("#%d true velocity", k), f.Truth[i*mv:(i+1)*mv]))
		}
		row = append(row, wavediff.VelocityPanel(fmt.Sprintf("#%d %s", k, f.Label), f.Vel[i*mv:(i+1)*mv]))
		f.Norm.DataInverse(noisy, f.NoisyNorm[i*md:(i+1)*md])
		clip := figures.Percentile(f.Seis[i*md:(i+1)*md], 99)
		row = append(row, wavediff.GatherPanel(fmt.Sprintf("#%d input", k), noisy, clip))
		if f.Recon != nil {
			row = append(row, wavediff.GatherPanel(fmt.Sprintf("#%d reconstructed", k), f.Recon[i*md:(i+1)*md], clip))
		}
		cols = len(row)
		panels = append(panels, row...)
	}
	return figures.Grid(f.Path, f.Title, panels, cols)
}
