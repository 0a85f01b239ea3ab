package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"genfwi/experiments"
	"genfwi/internal/cli"
)

// evalBaselinesCommand is "genfwi eval baselines".
func evalBaselinesCommand() *cli.Command {
	return &cli.Command{Name: "baselines",
		UsageLine: "eval baselines --root DIR [--figures 4] [--json]",
		Short:     "collect the baselines study: tables beside the paper's numbers, the paper's claims checked, prediction grids",
		Long: `Eval baselines collects the evaluations of the generated-data study
(scripts/study-baselines.sh, docs/baselines.md): every
ROOT/<Family>/eval-<model>-<regime>-noise<σ>/invert.json written by
"genfwi invert" (model invnet, velocitygan, upfwi or wavediffusion; regime
puregen, gen1, one, full or full-aug), with the true test maps in
ROOT/test/<Family>/model/model11.npy. Writes ROOT/results.csv, results.md (per
family the clean and the noisy-input table with WaveDiffusion's published
numbers beside ours, and its claims — Gen+1 % beats 1 % Only, PureGen
approaches Full, WaveDiffusion degrades least under noise — checked on ours)
and results.json; per family regimes-<model>.png (predictions of every
regime beside the truth, like the paper's Fig. 17) and noise.png (the
clean-trained models on σ = 0.05 input, like Fig. 18), --figures test maps
each. Unfinished evaluations (no invert.json) are left out.

Example:
  genfwi eval baselines --root runs/study --json`,
		Flags: func(fs *pflag.FlagSet) cli.RunFunc {
			var root string
			var maps int
			var asJSON bool
			fs.StringVar(&root, "root", "", "study directory (the S of scripts/study-baselines.sh) (required)")
			fs.IntVar(&maps, "figures", 4, "test maps per figure (0 = no figures)")
			fs.BoolVar(&asJSON, "json", false, "print one JSON summary object as the last stdout line")
			return cli.NoArgs("eval baselines", func(ctx context.Context, env *cli.Env) error {
				if root == "" {
					return cli.Usagef("eval baselines needs --root")
				}
				if maps < 0 {
					return cli.Usagef("--figures must be >= 0, got %d", maps)
				}
				if err := checkOutputs(inDir("--root", root, experiments.BaselinesFiles...), nil); err != nil {
					return err
				}
				s, err := experiments.BaselinesStudy(root, maps)
				if err != nil {
					return err
				}
				if asJSON {
					return cli.WriteJSON(env.Stdout, s)
				}
				for _, c := range s.Claims {
					fmt.Fprintf(env.Stdout, "%-10s %s: %s\n", c.Verdict, c.Claim, c.Detail)
				}
				fmt.Fprintf(env.Stdout, "%d evaluations → %s/results.md\n", len(s.Rows), root)
				return nil
			})
		}}
}
