package main

import (
	"context"

	"github.com/spf13/pflag"

	"genfwi/experiments"
	"genfwi/internal/cli"
)

// evalReportCommand is "genfwi eval report".
func evalReportCommand() *cli.Command {
	return &cli.Command{
		Name:      "report",
		UsageLine: "eval report --dir demo-out [--weights DIR] [--mode pretrained|short]",
		Short:     "write DIR/REPORT.md from the demo's JSON results",
		Long: `Eval report writes DIR/REPORT.md from the JSON results scripts/demo.sh leaves
in DIR.

Example:
  genfwi eval report --dir demo-out --weights weights/wavediffusion-cpu`,
		Flags: func(fs *pflag.FlagSet) cli.RunFunc {
			o := &evalReportOptions{}
			fs.StringVar(&o.Dir, "dir", "", "directory of the demo results (required)")
			fs.StringVar(&o.Weights, "weights", "", "directory of the models used (their train.json summaries are quoted)")
			fs.StringVar(&o.Mode, "mode", "pretrained", "pretrained (committed weights) or short (trained briefly by the demo)")
			fs.Float64Var(&o.Seconds, "seconds", 0, "wall time of the demo, s")
			fs.StringVar(&o.ShortStages, "short-stages", "", "stages the demo trained briefly although the others were loaded (e.g. diffusion-one-in)")
			return cli.NoArgs("eval report", func(_ context.Context, env *cli.Env) error {
				return runEvalReport(env, o)
			})
		},
	}
}

// evalReportOptions are the flags of "genfwi eval report".
type evalReportOptions struct {
	Dir, Weights, Mode, ShortStages string
	Seconds                         float64
}

// runEvalReport writes DIR/REPORT.md from the JSON results the demo left in
// DIR ("genfwi eval report").
func runEvalReport(env *cli.Env, o *evalReportOptions) error {
	if o.Dir == "" {
		return cli.Usagef("eval report needs --dir")
	}
	if o.Mode != "pretrained" && o.Mode != "short" {
		return cli.Usagef("--mode must be pretrained or short, got %q", o.Mode)
	}
	return experiments.WriteReport(experiments.ReportOptions{Dir: o.Dir, Weights: o.Weights, Short: o.Mode == "short",
		ShortStages: o.ShortStages, Seconds: o.Seconds})
}
