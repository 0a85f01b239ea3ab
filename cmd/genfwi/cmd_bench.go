package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/spf13/pflag"

	"genfwi/internal/cli"
)

// benchCase is one "genfwi bench" case (docs in docs/benchmarks.md).
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
	register(&cli.Command{
		Name:      "bench",
		UsageLine: "bench [--json] [--threads N] [--repeat N] CASE",
		Short:     "run a benchmark case (bench --list prints them)",
		Long: `Bench runs one of the benchmark cases defined in docs/benchmarks.md (listed
below and by "genfwi bench --list") and reports medians over repeated runs
after a warm-up. Progress goes to stderr.

Examples:
  genfwi bench --json wave-openfwi
  genfwi bench wave-openfwi --json --repeat 5`,
		Choices: benchChoices,
		Flags: func(fs *pflag.FlagSet) cli.RunFunc {
			o := &benchOptions{}
			list := fs.Bool("list", false, "list the bench cases and exit")
			fs.BoolVar(&o.JSON, "json", false, "print one JSON object with the headline figures as the last line of stdout")
			fs.IntVar(&o.Threads, "threads", 0, "worker threads (0 = GOMAXPROCS)")
			fs.IntVar(&o.Repeat, "repeat", 0, "timed repetitions after warm-up (0 = the case's default)")
			fs.StringVar(&o.Data, "data", defaultOpenFWIRoot(), "directory holding the OpenFWI velocity maps (FlatVel_A/model/model1.npy, ...)")
			return func(ctx context.Context, env *cli.Env, args []string) error {
				if *list {
					for _, c := range benchChoices() {
						fmt.Fprintf(env.Stdout, "%-18s %s\n", c.Name, c.Short)
					}
					return nil
				}
				if len(args) != 1 {
					return cli.Usagef("bench needs exactly one case, one of: %s", cli.JoinOr(benchNames()))
				}
				if err := cli.CheckChoice("bench case", args[0], benchNames()); err != nil {
					return err
				}
				c := benchCases[args[0]]
				if o.Threads < 0 || o.Repeat < 0 {
					return cli.Usagef("--threads and --repeat must be >= 0, got %d and %d", o.Threads, o.Repeat)
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
			}
		},
	})
}

// benchChoices lists the bench cases, sorted by name, for help and errors.
func benchChoices() []cli.Choice {
	var cs []cli.Choice
	for _, n := range benchNames() {
		cs = append(cs, cli.Choice{Name: n, Short: benchCases[n].Short})
	}
	return cs
}

func benchNames() []string {
	var s []string
	for k := range benchCases {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}
