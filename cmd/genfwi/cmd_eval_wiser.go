package main

import (
	"context"
	"fmt"
	"math"

	"github.com/spf13/pflag"

	"genfwi/experiments"
	"genfwi/internal/cli"
	"genfwi/wise"
	"genfwi/wiser"
)

// evalWISERCommand is "genfwi eval wiser".
func evalWISERCommand() *cli.Command {
	return &cli.Command{Name: "wiser",
		UsageLine: "eval wiser --model DIR --vel FILE.npy --maps A:B [--config cpu-ood] [--perturb 0.2] [--snr 0] [--fwi-only] [--fwi-baseline] --out DIR [--json]",
		Short:     "WISER against WISE (and FWI) on several maps: table, counts and the SSIM-vs-PDE-solves curve",
		Long: `Eval wiser runs "genfwi posterior --method wiser" on the maps --maps of a
velocity file (each with its own observation, seeded by its index as
--index K is) and compares WISER's conditional mean with WISE's: SSIM, RMSE,
data misfit, the Wasserstein-1 distances of the value histograms at two depths
and the coverage of the 50/90 % credible intervals per map; the counts of maps
where WISER is better; and the mean SSIM gain and RMSE against PDE solves
(data passes) — the budget curve, with the data passes after which it
saturates. --fwi-only adds the control without latent correction (same
particles, shots and steps), --fwi-baseline plain L-BFGS FWI from the
1d-special background on WISER's solve budget.

Each map's run is kept in --out/map-K (and map-K-fwionly): a second call with
the same configuration reads the finished maps instead of running them
again, so an interrupted study resumes. Writes study.csv, study.md (a
Markdown table with the counts), budget.csv, budget_ssim.png, budget_rmse.png and study.json.

Example:
  genfwi eval wiser --model weights/wise-cpu --vel $D/CurveVel_A/model/model11.npy --maps 0:9 \
      --config cpu-ood --perturb 0.2 --snr 0 --fwi-only --fwi-baseline --out out/wiser-ood --json`,
		Flags: func(fs *pflag.FlagSet) cli.RunFunc {
			var model, vel, maps, config, out string
			var perturb, snr float64
			var fwiOnly, baseline, asJSON bool
			fs.StringVar(&model, "model", "", "trained WISE run directory or .safetensors (required)")
			fs.StringVar(&vel, "vel", "", "velocity .npy file whose maps are simulated, migrated and inverted (required)")
			fs.StringVar(&maps, "maps", "", "maps of --vel: A:B (inclusive), K, or a comma list of them (required)")
			fs.StringVar(&config, "config", "cpu", "WISER preset (cpu, cpu-ood, cpu-ood-short, paper, paper-ood) or JSON file")
			fs.Float64Var(&perturb, "perturb", 0, "out-of-distribution sinusoidal perturbation of the true maps, amplitude in km/s (WISER: 0.2)")
			fs.Float64Var(&snr, "snr", 0, "noise of the simulated observations in dB (default: the model's survey; 0 dB allowed)")
			fs.BoolVar(&fwiOnly, "fwi-only", false, "also run the particles' FWI steps without the latent correction (control)")
			fs.BoolVar(&baseline, "fwi-baseline", false, "also run plain L-BFGS FWI from the 1d-special background on WISER's budget")
			fs.StringVar(&out, "out", "", "study directory (per-map runs in map-K; resumable) (required)")
			fs.BoolVar(&asJSON, "json", false, "print one JSON summary object as the last stdout line")
			return cli.NoArgs("eval wiser", func(ctx context.Context, env *cli.Env) error {
				if model == "" || vel == "" || maps == "" || out == "" {
					return cli.Usagef("eval wiser needs --model, --vel, --maps and --out")
				}
				if math.IsNaN(perturb) || math.IsInf(perturb, 0) || math.IsNaN(snr) || math.IsInf(snr, 0) {
					return cli.Usagef("--perturb and --snr must be finite numbers")
				}
				idx, err := parseMapList(maps)
				if err != nil {
					return err
				}
				cfg, err := configFlag(config, "wiser", wiser.Preset, nil)
				if err != nil {
					return err
				}
				if err := checkOutDir(out, experiments.WISERStudyFiles, modelFileArg("--model", model), fileArg{"--vel", vel}); err != nil {
					return err
				}
				m, err := wise.LoadModel(model)
				if err != nil {
					return fmt.Errorf("--model: %w", err)
				}
				o := experiments.WISERStudyOptions{Model: m, Config: *cfg, Indices: idx, Name: vel, PerturbKms: perturb,
					FWIOnly: fwiOnly, Baseline: baseline, Out: out, Log: func(msg string) { fmt.Fprintln(env.Stderr, msg) }}
				if fs.Changed("snr") {
					o.SNR = &snr
				}
				for _, k := range idx {
					v, err := readVelocityMap("--vel", vel, k, m.Data.Nz, m.Data.Nx)
					if err != nil {
						return err
					}
					if v, err = perturbMap(v, perturb, fmt.Sprintf(" of map %d", k)); err != nil {
						return err
					}
					o.Maps = append(o.Maps, v)
				}
				runs := len(idx)
				if fwiOnly {
					runs *= 2
				}
				pb := cli.NewProgress(env, runs*cfg.Outer, "eval wiser")
				defer pb.Finish()
				o.OnIter = func(it *wiser.Iter) { pb.Add(1) }
				o.OnRead = func(int) { pb.Drop(cfg.Outer) } // the bar counted cfg.Outer iterations per run
				sum, err := experiments.WISERStudy(ctx, o)
				pb.Finish()
				if err != nil {
					return err
				}
				if asJSON {
					return cli.WriteJSON(env.Stdout, sum)
				}
				fmt.Fprintf(env.Stdout, "%d maps (%d run, %d read): SSIM up on %d, misfit down on %d, both on %d; RMSE down on %d; W1 down on %v\n",
					len(sum.Rows), sum.MapsRun, sum.MapsFound, sum.SSIMUp, sum.MisfitDown, sum.Both, sum.RMSEDown, sum.W1Down)
				fmt.Fprintf(env.Stdout, "mean CM SSIM WISE %.4f → WISER %.4f, RMSE %.4f → %.4f; budget saturates (SSIM) after %.1f of %.1f data passes → %s\n",
					sum.MeanSSIM["wise"], sum.MeanSSIM["wiser"], sum.MeanRMSE["wise"], sum.MeanRMSE["wiser"], sum.PassesToFinalSSIM, sum.FinalPasses, out)
				return nil
			})
		}}
}

// parseMapList parses --maps: "A:B" (inclusive), "K" or a comma list of
// them, map indices from 0.
func parseMapList(s string) ([]int, error) {
	return parseNumberList("--maps", s, "map", "map indices", "K", 0)
}
