package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"genfwi/cig"
	"genfwi/internal/cli"
)

// cigCommand is "genfwi cig".
func cigCommand() *cli.Command {
	return &cli.Command{
		Name:  "cig",
		Short: "build and inspect WISE common-image-gather data sets",
		Long: `Cig builds (velocity, common-image gather) pairs for WISE: velocity maps from
OpenFWI files resized to 64×64, data simulated in WISE's OpenFWI acquisition
(16 jittered sources, 64 receivers, 1 s, 15 Hz Ricker high-passed at 3 Hz,
Devito damping, 12 dB band-limited noise) and migrated into subsurface-offset
gathers in the 1d-special background (docs/wise.md, "Data").

Examples:
  genfwi cig build --maps ../shared/data/openfwi/CurveVel_A --files 1:10 --out runs/cig-train
  genfwi cig build --maps ../shared/data/openfwi/CurveVel_A --files 11:12 --limit 200 --maxy-from runs/cig-train --out runs/cig-test
  genfwi cig manifest runs/cig-train`,
		Subcommands: []*cli.Command{
			{
				Name:      "build",
				UsageLine: "cig build --maps DIR --files A:B --out DIR [--limit N] [--shard i/n] [--workers k] [--offsets 21|51] [--snr 12] [--maxy-from TRAINDIR] [--json]",
				Short:     "build a CIG data set (resumable, shardable)",
				Long: `Cig build reads the velocity maps of the OpenFWI files --files (numbers N of
model{N}.npy, an inclusive range A:B, a single N or a comma list) in --maps,
resizes them to 64×64 (bilinear), simulates each map's observed data with its
own seed and writes DIR/vel{N}.npy (n, 1, 64, 64), m/s, and DIR/cig{N}.npy
(n, offsets, 64, 64), the depth-weighted gathers, with DIR/manifest.json.
The normalisation constant MaxY (0.9999 quantile of |gather| over the first
300 gathers) is computed from the training set and stored in the manifest;
readers divide by it. Test files (11–12 of the shipped subset) are refused
unless --maxy-from names the training set whose MaxY they must use.

Resumable: rerun the same command after a kill (complete files are kept,
the result is byte-identical). Shardable: run i = 0..n−1 with --shard i/n into
the same DIR, then "genfwi cig manifest DIR" (or any rerun).

Examples:
  genfwi cig build --maps ../shared/data/openfwi/CurveVel_A --files 1:10 --out runs/cig-curvevel-train
  genfwi cig build --maps ../shared/data/openfwi/CurveVel_A --files 11:12 --limit 200 --maxy-from runs/cig-curvevel-train --out runs/cig-curvevel-test`,
				Flags: optionsFlags("cig build", runCIGBuild),
			},
			{
				Name:      "manifest",
				UsageLine: "cig manifest DIR",
				Short:     "rebuild DIR/manifest.json after sharded runs",
				Long: `Cig manifest rebuilds DIR/manifest.json from the per-file entries (after
sharded runs), computes MaxY when the first 300 training gathers exist, and
reports whether the data set is complete.

Example:
  genfwi cig manifest runs/cig-curvevel-train`,
				Flags: func(fs *pflag.FlagSet) cli.RunFunc {
					return cli.OneArg("cig manifest", "data set directory", func(ctx context.Context, env *cli.Env, dir string) error {
						m, err := cig.WriteManifest(dir)
						if err != nil {
							return err
						}
						fmt.Fprintf(env.Stdout, "%s: %d of %d pairs, max_y %g, complete %v\n", dir, m.Count, m.Planned, m.MaxY, m.Complete)
						return nil
					})
				},
			},
			{
				Name:      "verify",
				UsageLine: "cig verify [--json] DIR",
				Short:     "check a built CIG data set against its manifest",
				Long: `Cig verify re-hashes every file of the data set in DIR and checks sizes,
shapes, dtypes, NaN/Inf, velocity and gather ranges against manifest.json, and
that no partial file is left. Exit status 1 if any check fails.

Example:
  genfwi cig verify runs/cig-curvevel-train --json`,
				Flags: func(fs *pflag.FlagSet) cli.RunFunc {
					jsonOut := fs.Bool("json", false, "print the report as one JSON object on the last stdout line")
					return cli.OneArg("cig verify", "data set directory", func(ctx context.Context, env *cli.Env, dir string) error {
						r, err := cig.Verify(dir)
						if err != nil {
							return err
						}
						if *jsonOut {
							if err := cli.WriteJSON(env.Stdout, r); err != nil {
								return err
							}
						} else {
							fmt.Fprintf(env.Stdout, "%s: %d files, %d pairs, complete %v, %d problems\n", dir, r.Files, r.Pairs, r.Complete, len(r.Problems))
							for _, p := range r.Problems {
								fmt.Fprintf(env.Stdout, "  %s\n", p)
							}
						}
						if len(r.Problems) > 0 {
							return fmt.Errorf("%s: %d problems found", dir, len(r.Problems))
						}
						return nil
					})
				},
			},
		},
	}
}

// cigBuildOptions are the flags of "genfwi cig build".
type cigBuildOptions struct {
	buildFlags
	Maps     string
	Files    string
	Limit    int
	Offsets  int
	SNR      float64
	Seed     uint64
	NB       int
	MaxYFrom string
}

func (o *cigBuildOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Maps, "maps", filepath.Join(defaultOpenFWIRoot(), "CurveVel_A"), "OpenFWI dataset directory holding model/model{N}.npy")
	fs.StringVar(&o.Files, "files", "1:10", "input file numbers: inclusive range A:B, N, or a comma list")
	o.buildFlags.add(fs, "output data set directory (required)", "maps simulated at once (0 = GOMAXPROCS)")
	fs.IntVar(&o.Limit, "limit", 0, "use only the first N maps of the files, in order (0 = all)")
	fs.IntVar(&o.Offsets, "offsets", 21, "subsurface offsets: 21 (−200…200 m) or 51 (−500…500 m, WISE's)")
	fs.Float64Var(&o.SNR, "snr", cig.DefaultSNRdB, "band-limited noise SNR in dB (0 = noise-free)")
	fs.Uint64Var(&o.Seed, "seed", cig.DefaultSeed, "base seed of the per-map source jitter and noise")
	fs.IntVar(&o.NB, "nb", cig.DefaultSurveyConfig().NB, "absorbing (Devito damping) layer width in cells (WISE: 120)")
	fs.StringVar(&o.MaxYFrom, "maxy-from", "", "training set whose MaxY normalises this set (required for test files)")
}

// parseFileNumbers parses --files: "A:B" (inclusive), "N" or a comma list
// of them, file numbers from 1.
func parseFileNumbers(s string) ([]int, error) {
	return parseNumberList("--files", s, "file", "file numbers N", "N", 1)
}

// parseNumberList parses "A:B" (inclusive), "N" or a comma list of them,
// every number at least lowest and none twice, for the flag named flag
// (one of a kind such as "file", described as what with symbol sym in
// errors).
func parseNumberList(flag, s, kind, what, sym string, lowest int) ([]int, error) {
	var out []int
	seen := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		a, b, isRange := strings.Cut(part, ":")
		lo, err1 := strconv.Atoi(a)
		hi, err2 := lo, error(nil)
		if isRange {
			hi, err2 = strconv.Atoi(b)
		}
		if err1 != nil || err2 != nil || lo < lowest || hi < lo {
			return nil, cli.Usagef("%s %q: want %s %s >= %d as A:B (inclusive, A <= B), %s, or a comma list", flag, s, what, sym, lowest, sym)
		}
		for n := lo; n <= hi; n++ {
			if seen[n] {
				return nil, cli.Usagef("%s %q: %s %d given twice", flag, s, kind, n)
			}
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}

func runCIGBuild(ctx context.Context, env *cli.Env, o *cigBuildOptions) error {
	shard, shards, err := o.shard()
	if err != nil {
		return err
	}
	files, err := parseFileNumbers(o.Files)
	if err != nil {
		return err
	}
	if o.Limit < 0 {
		return cli.Usagef("--limit must be >= 0 (0 = all maps), got %d", o.Limit)
	}
	workers, err := o.workers()
	if err != nil {
		return err
	}
	if o.SNR < 0 {
		return cli.Usagef("--snr must be >= 0 dB (0 = noise-free), got %g", o.SNR)
	}
	sc := cig.DefaultSurveyConfig()
	switch o.Offsets {
	case 21:
	case 51:
		sc.Offsets = cig.PaperOffsets(sc.H)
	default:
		return cli.Usagef("--offsets must be 21 (−200…200 m) or 51 (−500…500 m), got %d", o.Offsets)
	}
	sc.SNRdB = o.SNR
	sc.NB = o.NB
	if err := sc.Validate(); err != nil {
		return cli.Usagef("%v", err)
	}
	if sameDir(o.Out, o.Maps) {
		return fmt.Errorf("--out %s is the maps directory (--maps): use another --out", o.Out)
	}
	var bar *cli.Progress
	cfg := cig.BuildConfig{Out: o.Out, Maps: o.Maps, Files: files, Limit: o.Limit, Survey: sc, Seed: o.Seed,
		MaxYFrom: o.MaxYFrom, Shard: shard, Shards: shards, Workers: workers, Version: version, Recheck: o.Recheck,
		OnStart:  func(n int) { bar = cli.NewProgress(env, n, filepath.Base(o.Out)) },
		OnSample: func() { bar.Add(1) },
	}
	t0 := time.Now()
	res, err := cig.Build(ctx, cfg)
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return fmt.Errorf("building %s: %w", o.Out, err)
	}
	secs := time.Since(t0).Seconds()
	m := res.Manifest
	perPair := 0.0
	if res.Pairs > 0 {
		perPair = res.Seconds / float64(res.Pairs)
	}
	if o.JSON {
		return cli.WriteJSON(env.Stdout, map[string]any{"dir": o.Out, "files_built": len(res.Built), "files_skipped": len(res.Skipped),
			"pairs_simulated": res.Pairs, "seconds": secs, "seconds_per_pair": perPair, "workers": workers, "shard": o.Shard,
			"pairs": m.Count, "planned": m.Planned, "complete": m.Complete, "max_y": m.MaxY, "split": m.Split})
	}
	fmt.Fprintf(env.Stdout, "%s: %d files built, %d already complete, %d pairs in %.1f s (%.3f s per pair, %d workers); %d of %d pairs, max_y %g, complete %v\n",
		o.Out, len(res.Built), len(res.Skipped), res.Pairs, secs, perPair, workers, m.Count, m.Planned, m.MaxY, m.Complete)
	return nil
}
