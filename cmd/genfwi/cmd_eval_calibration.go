package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"genfwi/experiments"
	"genfwi/internal/cli"
	"genfwi/wise"
)

// evalCalibrationCommand is "genfwi eval calibration".
func evalCalibrationCommand() *cli.Command {
	return &cli.Command{Name: "calibration",
		UsageLine: "eval calibration --model DIR --data TESTCIGDIR [--n 100] [--samples 64] --out DIR [--json]",
		Short:     "coverage of WISE's pointwise credible intervals on test maps",
		Long: `Eval calibration measures how well WISE's posterior uncertainty is calibrated:
for --n test pairs of a CIG data set (evenly spaced; 0 = all) it draws
--samples posterior samples per gather and counts, for the central credible
levels 10 %…99 %, the fraction of true velocity pixels inside the pointwise
interval between the (1−p)/2 and (1+p)/2 quantiles of the samples. A
calibrated posterior covers a fraction p at level p (the diagonal); below it
the posterior is over-confident, above it under-confident. Neither WISE nor
WISER reports this. Writes calibration.csv and calibration.png (with the
diagonal) to --out; --json prints the 50/80/90/95 % coverages.

Example:
  genfwi eval calibration --model runs/wise --data data/cig-test --n 100 --out out/calib --json`,
		Flags: func(fs *pflag.FlagSet) cli.RunFunc {
			var model, data, out string
			var n, samples int
			var seed uint64
			var asJSON, trainMode bool
			fs.StringVar(&model, "model", "", "trained WISE run directory or .safetensors (required)")
			fs.StringVar(&data, "data", "", "test CIG data set directory (genfwi cig build) (required)")
			fs.IntVar(&n, "n", 100, "test pairs (evenly spaced; 0 = all)")
			fs.IntVar(&samples, "samples", 64, "posterior samples per map")
			fs.Uint64Var(&seed, "seed", 1, "seed of the latent draws")
			fs.StringVar(&out, "out", "", "output directory (calibration.csv, calibration.png) (required)")
			fs.BoolVar(&asJSON, "json", false, "print one JSON summary object as the last stdout line")
			fs.BoolVar(&trainMode, "summary-train-mode", false, "sample with the summary network in training mode (dropout mask per sample, as WISE.jl; default eval mode)")
			return cli.NoArgs("eval calibration", func(ctx context.Context, env *cli.Env) error {
				if model == "" || data == "" || out == "" {
					return cli.Usagef("eval calibration needs --model, --data and --out")
				}
				if n < 0 || samples < 2 {
					return cli.Usagef("--n must be >= 0 and --samples >= 2")
				}
				if err := checkOutDir(out, []string{"calibration.csv", "calibration.png"}, modelFileArg("--model", model)); err != nil {
					return err
				}
				m, err := wise.LoadModel(model)
				if err != nil {
					return fmt.Errorf("--model: %w", err)
				}
				m.Config.Posterior.SummaryTrainMode = trainMode
				res, err := experiments.Calibration(ctx, experiments.CalibrationOptions{Model: m, Data: data, N: n, Samples: samples, Seed: seed,
					Out: out, Bar: progressBars(env), Note: func(msg string) { fmt.Fprintln(env.Stderr, msg) }})
				if err != nil {
					return inputError(err)
				}
				if asJSON {
					return cli.WriteJSON(env.Stdout, res.Headline)
				}
				r := res.CalibrationResult
				fmt.Fprintf(env.Stdout, "coverage over %d maps × %d samples:", r.Maps, r.Samples)
				for _, l := range wise.HeadlineLevels {
					fmt.Fprintf(env.Stdout, " %.0f%%→%.3f", 100*l, r.At(l))
				}
				fmt.Fprintf(env.Stdout, " (%s)\n", out)
				fmt.Fprintf(env.Stdout, "conditional means: SSIM %.4f, RMSE %.4f, MAE %.4f (OpenFWI scale; RMSE %.1f m/s), mean std %.1f m/s\n",
					r.CM.SSIM, r.CM.RMSE, r.CM.MAE, r.CMms.RMSE, r.MeanStd)
				return nil
			})
		}}
}
