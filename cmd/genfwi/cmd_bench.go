package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/spf13/pflag"

	"genfwi/benchmarks"
	"genfwi/internal/cli"
)

// benchTable returns the bench cases by name, built for each command line.
func benchTable() map[string]*benchmarks.Case {
	t := map[string]*benchmarks.Case{}
	for _, c := range benchmarks.Cases() {
		t[c.Name] = c
	}
	return t
}

// benchCommand is "genfwi bench".
func benchCommand() *cli.Command {
	return &cli.Command{
		Name:      "bench",
		UsageLine: "bench [--json] [--threads N] [--repeat N] CASE",
		Short:     "run a benchmark case (bench --list prints them)",
		Long: `Bench runs one of the benchmark cases defined in docs/benchmarks.md (listed
below and by "genfwi bench --list") and reports medians over repeated runs
after a warm-up. Progress goes to stderr.

Examples:
  genfwi bench --json wave-openfwi
  genfwi bench wave-openfwi --json --repeat 5`,
		Choices: func() []cli.Choice { return benchChoices(benchTable()) },
		Flags: func(fs *pflag.FlagSet) cli.RunFunc {
			o := &benchmarks.Options{}
			cases := benchTable()
			list := fs.Bool("list", false, "list the bench cases and exit")
			asJSON := fs.Bool("json", false, "print one JSON object with the headline figures as the last line of stdout")
			fs.IntVar(&o.Threads, "threads", 0, "worker threads (0 = GOMAXPROCS)")
			fs.IntVar(&o.Repeat, "repeat", 0, "timed repetitions after warm-up (0 = the case's default)")
			fs.StringVar(&o.Data, "data", defaultOpenFWIRoot(), "directory holding the OpenFWI velocity maps (FlatVel_A/model/model1.npy, ...)")
			return func(ctx context.Context, env *cli.Env, args []string) error {
				if *list {
					for _, c := range benchChoices(cases) {
						fmt.Fprintf(env.Stdout, "%-18s %s\n", c.Name, c.Short)
					}
					return nil
				}
				if len(args) != 1 {
					return cli.Usagef("bench needs exactly one case, one of: %s", cli.JoinOr(benchNames(cases)))
				}
				if err := cli.CheckChoice("bench case", args[0], benchNames(cases)); err != nil {
					return err
				}
				c := cases[args[0]]
				if o.Threads < 0 || o.Repeat < 0 {
					return cli.Usagef("--threads and --repeat must be >= 0, got %d and %d", o.Threads, o.Repeat)
				}
				o.Bar = progressBars(env)
				res, err := c.Run(ctx, o)
				if err != nil {
					return err
				}
				res["case"] = c.Name
				if *asJSON {
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
	}
}

// benchChoices lists the bench cases, sorted by name, for help and errors.
func benchChoices(cases map[string]*benchmarks.Case) []cli.Choice {
	var cs []cli.Choice
	for _, n := range benchNames(cases) {
		cs = append(cs, cli.Choice{Name: n, Short: cases[n].Short})
	}
	return cs
}

// benchNames lists the case names, sorted.
func benchNames(cases map[string]*benchmarks.Case) []string {
	var s []string
	for k := range cases {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}
