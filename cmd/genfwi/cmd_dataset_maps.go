package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/spf13/pflag"

	"genfwi/internal/cli"
	"genfwi/openfwi"
)

// datasetMapsCommand is "genfwi dataset maps": velocity maps from the
// generators in the layout of the shipped real maps, or the real maps when
// present (scripts/demo.sh's fallback).
func datasetMapsCommand() *cli.Command {
	return &cli.Command{
		Name:      "maps",
		UsageLine: "dataset maps --out DIR [--prefer ROOT] [--datasets flatvel-a,curvevel-a] [--files 12] [--per-file 500] [--json]",
		Short:     "generated velocity maps in the real maps' layout (or the real maps when present)",
		Long: `Dataset maps writes velocity maps from the family generators, without
seismic, in the layout of the real OpenFWI maps shipped with genfwi:
DIR/<Dataset>/model/model{i}.npy, i = 1..12, 500 maps each, so that files
1–10 are read as training and 11–12 as test files, like the real subset.
DIR/GENERATED.json marks them as generated. Map j of file i is map j of file
i of "dataset build --source gen" with the same --per-file. A complete set
from an earlier run is kept; a non-empty DIR without GENERATED.json is
refused.

With --prefer ROOT, nothing is written when ROOT holds maps of every dataset
in both splits (the real data are the default): the command then only
selects ROOT. The last stdout line is the directory to use; with --json it
is {"root", "generated", "reason"}. scripts/demo.sh runs it to fall back to
generated maps on machines without ../shared/data/openfwi.

Example:
  genfwi dataset maps --prefer ../shared/data/openfwi --out demo-out/openfwi-gen`,
		Flags: func(fs *pflag.FlagSet) cli.RunFunc {
			out := fs.String("out", "", "directory for the generated maps (required)")
			prefer := fs.String("prefer", "", "use this root instead when it holds maps of every dataset (training and test files)")
			datasets := fs.String("datasets", "flatvel-a,curvevel-a", "comma-separated dataset names")
			files := fs.Int("files", 12, "files per dataset")
			perFile := fs.Int("per-file", openfwi.FileSize, "maps per file")
			jsonOut := fs.Bool("json", false, "print one JSON object as the last stdout line")
			return cli.NoArgs("dataset maps", func(ctx context.Context, env *cli.Env) error {
				if *out == "" {
					return cli.Usagef("--out is required")
				}
				if *files <= 0 || *perFile <= 0 {
					return cli.Usagef("--files and --per-file must be positive, got %d and %d", *files, *perFile)
				}
				ds, err := lookupDatasets(*datasets)
				if err != nil {
					return err
				}
				if len(ds) == 0 {
					return cli.Usagef("--datasets is empty")
				}
				c, err := openfwi.ChooseMaps(*prefer, *out, ds, *files, *perFile)
				if err != nil {
					return err
				}
				switch {
				case !c.Generated:
					slog.Info("using the real maps", "root", c.Root)
				case c.Reason != "":
					slog.Warn("using GENERATED velocity maps, not real OpenFWI data", "root", c.Root, "reason", c.Reason)
				default:
					slog.Warn("using GENERATED velocity maps, not real OpenFWI data", "root", c.Root)
				}
				if *jsonOut {
					return cli.WriteJSON(env.Stdout, c)
				}
				_, err = fmt.Fprintln(env.Stdout, c.Root)
				return err
			})
		},
	}
}
