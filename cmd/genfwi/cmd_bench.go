package main

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"strings"

	"genfwi/internal/cli"
)

// benchCase is one "genfwi bench" case (docs in ../shared/docs/benchmarks.md).
// Run returns the headline figures printed as the final JSON object.
type benchCase struct {
	Name  string
	Short string
	Run   func(ctx context.Context, env *cli.Env, o *benchOptions) (map[string]any, error)
}

// benchOptions are the flags shared by every bench case.
type benchOptions struct {
	JSON    bool
	Threads int
	Repeat  int
	Data    string // root of the OpenFWI velocity files
}

var benchCases = map[string]*benchCase{}

// registerBench adds bench cases; each bench_*.go file calls it from init.
func registerBench(c ...*benchCase) {
	for _, b := range c {
		benchCases[b.Name] = b
	}
}

func init() {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	o := &benchOptions{}
	list := fs.Bool("list", false, "list the bench cases and exit")
	fs.BoolVar(&o.JSON, "json", false, "print one JSON object with the headline figures as the last line of stdout")
	fs.IntVar(&o.Threads, "threads", 0, "worker threads (0 = GOMAXPROCS)")
	fs.IntVar(&o.Repeat, "repeat", 0, "timed repetitions after warm-up (0 = the case's default)")
	fs.StringVar(&o.Data, "data", defaultOpenFWIRoot(), "directory holding the OpenFWI velocity maps (FlatVel_A/model/model1.npy, ...)")
	register(&cli.Command{
		Name:      "bench",
		UsageLine: "bench [--json] [--threads N] [--repeat N] CASE",
		Short:     "run a benchmark case (wave-*, grad-openfwi, nn-refae, sgemm, vqae-*, diffusion-cpu)",
		Long: `Bench runs one of the benchmark cases defined in docs/benchmarks.md (wave-openfwi,
wave-large, grad-openfwi, nn-refae, sgemm) and
reports medians over repeated runs after a warm-up. Progress goes to stderr.
Run "genfwi bench --list" to print every case with a one-line description.

Example:
  genfwi bench --json wave-openfwi
` + cli.ExitStatus,
		Flag: fs,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if *list {
				for _, n := range benchNames() {
					fmt.Fprintf(env.Stdout, "%-18s %s\n", n, benchCases[n].Short)
				}
				return nil
			}
			if len(args) != 1 {
				return cli.Usagef("bench needs exactly one case, one of: %s", strings.Join(benchNames(), ", "))
			}
			c, ok := benchCases[args[0]]
			if !ok {
				return cli.Usagef("unknown bench case %q (have: %s)", args[0], strings.Join(benchNames(), ", "))
			}
			res, err := c.Run(ctx, env, o)
			if err != nil {
				return err
			}
			res["case"] = c.Name
			if o.JSON {
				return cli.WriteJSON(env.Stdout, res)
			}
			keys := make([]string, 0, len(res))
			for k := range res {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(env.Stdout, "%-22s %v\n", k, res[k])
			}
			return nil
		},
	})
}

func benchNames() []string {
	var s []string
	for k := range benchCases {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}
