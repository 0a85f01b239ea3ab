package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/pflag"

	"genfwi/experiments"
	"genfwi/internal/cli"
	"genfwi/wavediff"
)

// evalAutoencoderCommand is "genfwi eval autoencoder".
func evalAutoencoderCommand() *cli.Command {
	return &cli.Command{Name: "autoencoder",
		UsageLine: "eval autoencoder --model DIR --out DIR [--real FILES] [--samples 0:32] [--json]",
		Short:     "an autoencoder's reconstruction of real test pairs, and its grid's floor",
		Long: `Eval autoencoder encodes and decodes real pairs (the maps --samples of each
--real velocity file, seismic simulated with the OpenFWI-exact preset) with a
WaveDiffusion autoencoder — a joint one reads both modalities, a
one-in-two-out one reads the seismic and inverts the velocity — and scores
both outputs against the pairs in the OpenFWI layout: seismic relative L2 in
physical units and MSE/MAE in the normalised space, velocity MAE/RMSE/SSIM on
OpenFWI's normalised scale and in m/s. It also reports what the round trip
through the model's grid alone costs the seismic (the floor no network can
beat). Needs no diffusion model, so it scores checkpoints of a run in
progress. Writes autoencoder.json.

Example:
  genfwi eval autoencoder --model runs/pretrain/vqae --samples 0:32 --out out/ae --json`,
		Flags: func(fs *pflag.FlagSet) cli.RunFunc {
			root := defaultOpenFWIRoot()
			var model, real, samples, out string
			var asJSON bool
			fs.StringVar(&model, "model", "", "autoencoder with a seismic encoder: run directory (its latest checkpoint) or .safetensors (required)")
			fs.StringVar(&real, "real", filepath.Join(root, "CurveVel_A", "model", "model11.npy")+","+filepath.Join(root, "FlatVel_A", "model", "model11.npy"),
				"comma list of velocity files whose maps (range --samples of each) are the real pairs; seismic is simulated")
			fs.StringVar(&samples, "samples", "0:32", "half-open map range A:B taken from each --real file")
			fs.StringVar(&out, "out", "", "output directory (autoencoder.json) (required)")
			fs.BoolVar(&asJSON, "json", false, "print one JSON summary object as the last stdout line")
			return cli.NoArgs("eval autoencoder", func(ctx context.Context, env *cli.Env) error {
				if model == "" || out == "" {
					return cli.Usagef("eval autoencoder needs --model and --out")
				}
				lo, hi, err := cli.ParseRange(samples, 1<<30)
				if err != nil {
					return cli.Usagef("--samples: %v", err)
				}
				reals := splitList(real)
				if len(reals) == 0 {
					return cli.Usagef("--real names no velocity file")
				}
				ins := []fileArg{modelFileArg("--model", model)}
				for _, r := range reals {
					ins = append(ins, fileArg{"--real", r})
				}
				if err := checkOutDir(out, []string{"autoencoder.json"}, ins...); err != nil {
					return err
				}
				ae, codec, err := wavediff.LoadVQAE(model)
				if err != nil {
					return fmt.Errorf("--model: %w", err)
				}
				if !ae.Cfg.Mode.HasSeismicEncoder() {
					return fmt.Errorf("--model: the %s autoencoder has no seismic encoder", ae.Cfg.Mode)
				}
				var vels, seis []float32
				for _, r := range reals {
					v, s, err := experiments.RealPairs(ctx, r, lo, hi, progressBars(env))
					if err != nil {
						return fmt.Errorf("--real %s: %w", r, err)
					}
					vels, seis = append(vels, v...), append(seis, s...)
				}
				res, err := experiments.AutoencoderEval(ctx, ae, codec, model, vels, seis, out)
				if err != nil {
					return err
				}
				if asJSON {
					return cli.WriteJSON(env.Stdout, res)
				}
				r := res.Reconstruction
				fmt.Fprintf(env.Stdout, "%s (%s, %s grid), %d pairs: seismic relative L2 %.4f (MSE_norm %.4g; the grid alone %.4f), velocity MAE %.4f RMSE %.4f SSIM %.4f (%.1f m/s)\n",
					model, res.Mode, res.Geometry, res.N, r.Seismic.RelL2, r.Seismic.MSENorm, res.GridFloor.RelL2, r.Velocity.MAE, r.Velocity.RMSE, r.Velocity.SSIM, r.VelocityMS.MAE)
				return nil
			})
		},
	}
}
