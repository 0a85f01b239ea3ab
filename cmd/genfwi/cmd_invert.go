package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"genfwi/experiments"
	"genfwi/internal/cli"
	"genfwi/models/diffusion"
	"genfwi/openfwi"
	"genfwi/wavediff"
)

// inferOptions are the flags shared by "invert" and "denoise".
type inferOptions struct {
	Method    string
	Model     string
	Diffusion string
	Data      string
	True      string
	Velocity  string
	Samples   string
	Out       string
	Noise     string
	TStar     int
	Sampler   string
	Steps     int
	Draws     int
	Seed      uint64
	Figures   int
	JSON      bool
	AnyVQAE   bool
}

func (o *inferOptions) addFlags(fs *pflag.FlagSet, denoise bool) {
	if !denoise {
		fs.StringVar(&o.Method, "method", "wavediffusion", "inversion method: wavediffusion (one-in-two-out autoencoder, optionally refined by the diffusion) or invnet/velocitygan/upfwi (a trained InversionNet generator, genfwi train invnet|upfwi)")
		fs.StringVar(&o.Noise, "noise", "0", "standard deviation of Gaussian noise added to the normalised seismic before inversion (0 = clean)")
	} else {
		fs.StringVar(&o.Noise, "noise", "0.02,0.05,0.1", "comma list of noise standard deviations (normalised units) to sweep")
		fs.StringVar(&o.Velocity, "velocity", "", "noisy-velocity input for a joint (two-in) autoencoder: velocity file .npy, noised like the seismic (paper A.5)")
	}
	fs.StringVar(&o.Model, "model", "", "autoencoder with a seismic encoder (one-in-two-out): run directory or .safetensors (required)")
	fs.StringVar(&o.Diffusion, "diffusion", "", "latent diffusion model trained on that autoencoder's latents (its recorded SHA-256 is checked): refine the latent SDEdit-style (encode, noise to --t-star, reverse to 0)")
	fs.BoolVar(&o.AnyVQAE, "allow-vqae-mismatch", false, "accept a --diffusion model trained on another autoencoder than --model")
	fs.StringVar(&o.Data, "data", "", "seismic .npy [N,5,1000,70] in physical units (e.g. from genfwi simulate) (required)")
	fs.StringVar(&o.True, "true", "", "true velocity .npy [N,1,70,70] m/s: report MAE/RMSE/SSIM on the OpenFWI normalised scale")
	fs.StringVar(&o.Samples, "samples", "", "half-open sample range A:B of --data (and --true)")
	fs.StringVar(&o.Out, "out", "", "output directory (required)")
	fs.IntVar(&o.TStar, "t-star", 200, "diffusion refinement: timestep the latent is noised to")
	fs.StringVar(&o.Sampler, "sampler", "ddim", "diffusion refinement: ddpm or ddim")
	fs.IntVar(&o.Steps, "steps", 50, "diffusion refinement: DDIM steps (over the full T)")
	fs.IntVar(&o.Draws, "draws", 1, "diffusion refinement: average this many refinements with independent noise (the posterior mean; 1 = one sample)")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the noise and the diffusion")
	fs.IntVar(&o.Figures, "figures", 4, "samples drawn in the comparison figure")
	fs.BoolVar(&o.JSON, "json", false, "print one JSON summary object as the last stdout line")
}

// invertCommand is "genfwi invert".
func invertCommand() *cli.Command {
	return &cli.Command{
		Name:      "invert",
		UsageLine: "invert --method wavediffusion|invnet|velocitygan|upfwi --model DIR --data SEIS.npy --out DIR [--true VEL.npy] [--noise 0.05] [--json]",
		Short:     "invert seismic data to velocity with the one-in-two-out WaveDiffusion model or an InversionNet",
		Long: `Invert maps seismic data to velocity (and reconstructed seismic) with the
one-in-two-out autoencoder of WaveDiffusion (paper §4.6): normalise (OpenFWI
log-min-max), optionally add Gaussian noise of --noise in normalised units,
resize to 5×256×64, encode, decode both modalities, resize back and
de-normalise. With --diffusion the latent is first refined by partial diffusion
(SDEdit: q_sample to --t-star, reverse to 0). Writes DIR/velocity.npy
[N,1,70,70] m/s, DIR/seismic.npy [N,5,1000,70], DIR/invert.png and
DIR/invert.json; with --true, MAE/RMSE/SSIM on the OpenFWI normalised scale
(and in m/s).

--method invnet (or velocitygan, the same network trained against a WGAN-GP
critic, or upfwi, trained without labels) runs a trained InversionNet
(genfwi train invnet|upfwi) instead; the method must match how the model was
trained:
normalise with the model's constants, add --noise, decimate in time as it was
trained, predict; same outputs without seismic.npy, and the same metrics.

Example:
  genfwi simulate --model ../shared/data/openfwi/CurveVel_A/model/model11.npy --samples 0:100 --out out/seis11.npy
  genfwi invert --method wavediffusion --model runs/vqae-one-in --data out/seis11.npy \
      --true ../shared/data/openfwi/CurveVel_A/model/model11.npy --samples 0:100 --noise 0.05 --out out/inv --json
  genfwi invert --method invnet --model runs/invnet-full --data out/seis11.npy \
      --true ../shared/data/openfwi/CurveVel_A/model/model11.npy --samples 0:100 --out out/inv-invnet --json
`,
		Flags: func(fs *pflag.FlagSet) cli.RunFunc {
			o := &inferOptions{}
			o.addFlags(fs, false)
			return cli.NoArgs("invert", func(ctx context.Context, env *cli.Env) error {
				if o.Method != "wavediffusion" && o.Method != "invnet" && o.Method != "velocitygan" && o.Method != "upfwi" {
					return cli.Usagef("--method must be wavediffusion, invnet, velocitygan or upfwi (physics-based FWI is \"genfwi fwi\"), got %q", o.Method)
				}
				sig, err := parseNoise(o.Noise)
				if err != nil {
					return err
				}
				if len(sig) != 1 {
					return cli.Usagef("--noise takes one value for invert (use genfwi denoise to sweep)")
				}
				if o.Method != "wavediffusion" {
					return runInvertInvnet(ctx, env, o, sig[0])
				}
				return runInfer(ctx, env, o, sig, false)
			})
		},
	}
}

func parseNoise(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v < 0 {
			return nil, cli.Usagef("--noise: %q is not a non-negative number", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// readSeismic reads the samples of --samples of the OpenFWI-layout seismic
// file --data and checks that every value is finite: errors name the flag,
// the file and, for a NaN or Inf, the sample and position.
func readSeismic(path, samples string) ([]float32, int, int, error) {
	f, err := openfwi.OpenData(path)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("--data: %w", err)
	}
	defer f.Close()
	n := f.Shape()[0]
	if n == 0 {
		return nil, 0, 0, fmt.Errorf("--data %s: shape %v: no samples (empty array)", path, f.Shape())
	}
	lo, hi, err := cli.ParseRange(samples, n)
	if err != nil {
		return nil, 0, 0, cli.Usagef("--samples: %v", err)
	}
	d := make([]float32, (hi-lo)*openfwi.DataLen)
	if err := f.ReadSamplesFloat32(d, lo, hi); err != nil {
		return nil, 0, 0, fmt.Errorf("--data: %w", err)
	}
	for k := lo; k < hi; k++ {
		if err := openfwi.CheckFinite("--data "+path, k, d[(k-lo)*openfwi.DataLen:(k-lo+1)*openfwi.DataLen], openfwi.SeismicCell(openfwi.NT, openfwi.Receivers)); err != nil {
			return nil, 0, 0, err
		}
	}
	return d, lo, hi, nil
}

// readMaps reads maps lo:hi of the 70×70 velocity file named by flag, the
// companions of the --data samples lo:hi.
func readMaps(flag, path string, lo, hi int) ([]float32, error) {
	v, err := openVelocity(flag, path)
	if err != nil {
		return nil, err
	}
	defer v.Close()
	if err := v.Require(openfwi.NZ, openfwi.NX, "the OpenFWI geometry"); err != nil {
		return nil, fmt.Errorf("%s %w", flag, err)
	}
	if hi > v.N {
		return nil, fmt.Errorf("%s %s holds %d maps, --data samples %d:%d need %d", flag, path, v.N, lo, hi, hi)
	}
	m, err := v.Maps(lo, hi)
	if err != nil {
		return nil, fmt.Errorf("%s %w", flag, err)
	}
	return m, nil
}

// readInputs reads what every invert method inverts: the --samples of the
// seismic file --data and, with --true, the true maps of those samples.
func (o *inferOptions) readInputs() (experiments.Inputs, error) {
	seis, lo, hi, err := readSeismic(o.Data, o.Samples)
	if err != nil {
		return experiments.Inputs{}, err
	}
	in := experiments.Inputs{Seis: seis, First: lo, N: hi - lo}
	if o.True != "" {
		if in.Truth, err = readMaps("--true", o.True, lo, hi); err != nil {
			return experiments.Inputs{}, err
		}
	}
	return in, nil
}

func runInfer(ctx context.Context, env *cli.Env, o *inferOptions, sigmas []float64, denoise bool) error {
	if o.Model == "" || o.Data == "" || o.Out == "" {
		return cli.Usagef("--model, --data and --out are required")
	}
	if o.Diffusion != "" {
		if err := checkSampler(o.Sampler, o.Steps); err != nil {
			return err
		}
		if o.TStar < 1 {
			return cli.Usagef("--t-star must be >= 1, got %d", o.TStar)
		}
		if o.Draws < 1 {
			return cli.Usagef("--draws must be >= 1, got %d", o.Draws)
		}
	}
	if denoise && o.Diffusion == "" {
		return cli.Usagef("denoise needs --diffusion (the latent diffusion model that does the denoising)")
	}
	if err := checkOutputs(inferOutputs(o, sigmas, denoise), []fileArg{{"--data", o.Data}, {"--true", o.True}, {"--velocity", o.Velocity},
		modelFileArg("--model", o.Model), modelFileArg("--diffusion", o.Diffusion)}); err != nil {
		return err
	}
	// Every input is read and checked before a model is loaded or a file
	// written.
	in, err := o.readInputs()
	if err != nil {
		return err
	}
	lo, hi := in.First, in.First+in.N
	if o.Velocity != "" {
		if in.Velocity, err = readMaps("--velocity", o.Velocity, lo, hi); err != nil {
			return err
		}
	}
	ae, codec, err := wavediff.LoadVQAE(o.Model)
	if err != nil {
		return fmt.Errorf("--model: %w", err)
	}
	var dm *diffusion.Model
	if o.Diffusion != "" {
		load := wavediff.LoadDiffusion
		if o.AnyVQAE {
			load = wavediff.LoadDiffusionAnyVQAE
		}
		dm, _, _, err = load(o.Diffusion, o.Model)
		if errors.Is(err, wavediff.ErrVQAEMismatch) {
			return fmt.Errorf("--model: %w; pass --allow-vqae-mismatch to use them together anyway", err)
		}
		if err != nil {
			return fmt.Errorf("--diffusion: %w", err)
		}
		if o.TStar > dm.Sched.T {
			return cli.Usagef("--t-star %d exceeds the model's T = %d", o.TStar, dm.Sched.T)
		}
	}
	w := &experiments.WaveDiffusionInversion{AE: ae, Codec: codec, Diffusion: dm, TStar: o.TStar, Sampler: o.Sampler, Steps: o.Steps, Draws: o.Draws,
		Sigmas: sigmas, Seed: o.Seed, Denoise: denoise}
	summary := map[string]any{"model": o.Model, "diffusion": o.Diffusion, "data": o.Data, "samples": fmt.Sprintf("%d:%d", lo, hi), "t_star": o.TStar, "draws": o.Draws}
	results, err := w.Run(ctx, in, experiments.Output{Dir: o.Out, Figures: o.Figures, Describe: summary})
	if err != nil {
		return err
	}
	if o.JSON {
		return cli.WriteJSON(env.Stdout, summary)
	}
	for _, r := range results {
		fmt.Fprintf(env.Stdout, "noise %.3g diffusion %v: input MSE_norm %.4g", r.Noise, *r.Refined, r.InputMSE)
		if r.Seismic != nil {
			fmt.Fprintf(env.Stdout, ", seismic MSE_norm %.4g", r.Seismic.MSENorm)
		}
		if r.Velocity != nil {
			fmt.Fprintf(env.Stdout, ", velocity MAE %.4f RMSE %.4f SSIM %.4f", r.Velocity.MAE, r.Velocity.RMSE, r.Velocity.SSIM)
		}
		fmt.Fprintln(env.Stdout)
	}
	return nil
}

// inferOutputs lists the files runInfer writes in --out.
func inferOutputs(o *inferOptions, sigmas []float64, denoise bool) []fileArg {
	outs := inDir("--out", o.Out, "invert.json", "denoise.json")
	for _, sig := range sigmas {
		for _, refined := range []bool{false, true} {
			t := experiments.InversionTag(sig, refined, denoise)
			outs = append(outs, inDir("--out", o.Out, "velocity"+t+".npy", "seismic"+t+".npy", "invert"+t+".png")...)
		}
	}
	return outs
}
