package main

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"genfwi/experiments"
	"genfwi/internal/cli"
	"genfwi/openfwi"
	"genfwi/openfwi/gen"
	"genfwi/wave"
)

// datasetCommand is "genfwi dataset".
func datasetCommand() *cli.Command {
	return &cli.Command{
		Name:  "dataset",
		Short: "build, verify and view OpenFWI-layout datasets",
		Long: `Dataset builds OpenFWI-layout datasets (velocity maps + simulated seismic),
checks them, and draws galleries of real and generated maps.

Examples:
  genfwi dataset build --out data/openfwi-train
  genfwi dataset build --source gen --datasets flatfault-a --files 4 --per-file 50 --out data/gen
  genfwi dataset verify data/openfwi-train --json`,
		Subcommands: []*cli.Command{
			{
				Name:      "build",
				UsageLine: "dataset build --out DIR [--datasets flatvel-a,curvevel-a] [--source real|gen] [--files N] [--per-file 500] [--samples A:B] [--shard i/n] [--workers N] [--json]",
				Short:     "build a dataset (resumable, shardable)",
				Long: `Dataset build writes DIR/<Dataset>/{model,data}/... (Fault generator sets:
vel{L}_1_{k}.npy), simulating every map with the OpenFWI-exact wave preset.
With --source real (default) the maps are the TRAINING files of the real data
(--data root; files 1–10 of the shipped subset, never 11–12 unless --split
test). With --source gen they come from the family generators, deterministic
per (dataset, file, index). Resumable: rerun the same command after a kill.
Shardable: run i = 0..n−1 with --shard i/n, in any order or at once, into the
same DIR; then "genfwi dataset manifest DIR/<Dataset>" (or any rerun).

Examples:
  genfwi dataset build --out data/openfwi-train
  genfwi dataset build --source gen --datasets flatfault-a --files 4 --per-file 50 --out data/gen --shard 0/2`,
				Flags: optionsFlags("dataset build", runDatasetBuild),
			},
			{
				Name:      "verify",
				UsageLine: "dataset verify [--json] DIR...",
				Short:     "check a built dataset against its manifest",
				Long: `Dataset verify checks shapes, dtypes, NaN/Inf, SHA-256 checksums and value
ranges of each dataset directory (or of every dataset directory below DIR)
against its manifest.json. Exit status 1 if any check fails.

Example:
  genfwi dataset verify data/openfwi-train --json`,
				Flags: func(fs *pflag.FlagSet) cli.RunFunc {
					jsonOut := fs.Bool("json", false, "print one JSON object with all reports as the last stdout line")
					return func(ctx context.Context, env *cli.Env, args []string) error {
						return runDatasetVerify(env, args, *jsonOut)
					}
				},
			},
			{
				Name:      "gallery",
				UsageLine: "dataset gallery --out FILE.png [--datasets ...] [--n 3]",
				Short:     "draw real and generated maps of each family",
				Long: `Dataset gallery writes a PNG grid: per family, real maps (where available)
beside generated ones.

Example:
  genfwi dataset gallery --out gallery-families.png`,
				Flags: func(fs *pflag.FlagSet) cli.RunFunc {
					o := &datasetGalleryOptions{}
					fs.StringVar(&o.Out, "out", "", "output PNG (required)")
					fs.StringVar(&o.Datasets, "datasets", strings.Join(gen.Names(), ","), "comma-separated dataset names")
					fs.StringVar(&o.Data, "data", defaultOpenFWIRoot(), "root of the real OpenFWI maps")
					fs.IntVar(&o.N, "n", 3, "maps per kind (real, generated) and family")
					fs.IntVar(&o.File, "file", 0, "generator file id to draw maps from")
					return cli.NoArgs("dataset gallery", func(ctx context.Context, env *cli.Env) error {
						return runDatasetGallery(env, o)
					})
				},
			},
			{
				Name:      "manifest",
				UsageLine: "dataset manifest DIR",
				Short:     "rebuild DIR/manifest.json after sharded runs",
				Long: `Dataset manifest rebuilds DIR/manifest.json from the per-file entries (after
sharded runs) and reports whether the dataset is complete.

Example:
  genfwi dataset manifest data/gen/FlatFault_A`,
				Flags: func(fs *pflag.FlagSet) cli.RunFunc {
					return cli.OneArg("dataset manifest", "dataset directory", func(ctx context.Context, env *cli.Env, dir string) error {
						m, err := openfwi.WriteManifest(dir)
						if err != nil {
							return err
						}
						fmt.Fprintf(env.Stdout, "%s: %d of %d files, complete %v\n", dir, len(m.Files), m.FilesPlanned, m.Complete)
						return nil
					})
				},
			},
			datasetMapsCommand(),
		},
	}
}

// datasetBuildOptions are the flags of "genfwi dataset build".
type datasetBuildOptions struct {
	buildFlags
	Datasets string
	Source   string
	Data     string
	Split    string
	Files    int
	PerFile  int
	Samples  string
}

func (o *datasetBuildOptions) addFlags(fs *pflag.FlagSet) {
	o.buildFlags.add(fs, "output root; each dataset goes to OUT/<Dir> (required)", "samples simulated at once (0 = GOMAXPROCS)")
	fs.StringVar(&o.Datasets, "datasets", "flatvel-a,curvevel-a", "comma-separated dataset names")
	fs.StringVar(&o.Source, "source", "real", "real (maps from --data) or gen (family generators)")
	fs.StringVar(&o.Data, "data", defaultOpenFWIRoot(), "root of the real OpenFWI maps (<root>/FlatVel_A/model/model1.npy, ...)")
	fs.StringVar(&o.Split, "split", "train", "real source: train, or test to build an evaluation set (keeps test file names)")
	fs.IntVar(&o.Files, "files", 10, "gen source: number of files per dataset")
	fs.IntVar(&o.PerFile, "per-file", openfwi.FileSize, "samples per file")
	fs.StringVar(&o.Samples, "samples", "", "real source: half-open range A:B of the split's maps, in file order (default all)")
}

// buildFlags are the flags that the resumable, shardable file builds
// ("dataset build", "cig build") share.
type buildFlags struct {
	Out     string
	Shard   string
	Workers int
	Recheck bool
	JSON    bool
}

// add defines the shared flags; the help texts of --out and --workers are
// the command's.
func (b *buildFlags) add(fs *pflag.FlagSet, out, workers string) {
	fs.StringVar(&b.Out, "out", "", out)
	fs.StringVar(&b.Shard, "shard", "0/1", "build only files with id mod n = i (i/n, 0-based)")
	fs.IntVar(&b.Workers, "workers", 0, workers)
	fs.BoolVar(&b.Recheck, "recheck", false, "re-hash files of earlier runs before skipping them")
	fs.BoolVar(&b.JSON, "json", false, "print one JSON summary object as the last stdout line")
}

// shard refuses a build without --out and parses --shard.
func (b *buildFlags) shard() (i, n int, err error) {
	if b.Out == "" {
		return 0, 0, cli.Usagef("--out is required")
	}
	return parseShard(b.Shard)
}

// workers checks --workers and returns the number of workers to run
// (GOMAXPROCS for 0).
func (b *buildFlags) workers() (int, error) {
	if b.Workers < 0 {
		return 0, cli.Usagef("--workers must be >= 0, got %d", b.Workers)
	}
	if b.Workers == 0 {
		return runtime.GOMAXPROCS(0), nil
	}
	return b.Workers, nil
}

// parseShard parses "i/n".
func parseShard(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	if ok {
		i, err = strconv.Atoi(a)
		if err == nil {
			n, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, cli.Usagef("--shard %q: want i/n with 0 <= i < n, e.g. 0/4", s)
	}
	return i, n, nil
}

func runDatasetBuild(ctx context.Context, env *cli.Env, o *datasetBuildOptions) error {
	shard, shards, err := o.shard()
	if err != nil {
		return err
	}
	if o.PerFile <= 0 {
		return cli.Usagef("--per-file must be positive, got %d", o.PerFile)
	}
	workers, err := o.workers()
	if err != nil {
		return err
	}
	split := openfwi.Train
	switch o.Split {
	case "train":
	case "test":
		split = openfwi.Test
	default:
		return cli.Usagef("--split must be train or test, got %q", o.Split)
	}
	type dsResult struct {
		Dataset  string  `json:"dataset"`
		Dir      string  `json:"dir"`
		Built    int     `json:"files_built"`
		Skipped  int     `json:"files_skipped"`
		Samples  int     `json:"samples_simulated"`
		Seconds  float64 `json:"seconds"`
		Complete bool    `json:"complete"`
	}
	var results []dsResult
	totalSamples, t0 := 0, time.Now()
	dss, err := lookupDatasets(o.Datasets)
	if err != nil {
		return err
	}
	for _, d := range dss {
		var src openfwi.Source
		switch o.Source {
		case "real":
			if sameDir(filepath.Join(o.Out, d.Dir), filepath.Join(o.Data, d.Dir)) {
				return fmt.Errorf("--out %s would write into the real maps' directory %s (--data): use another --out", o.Out, filepath.Join(o.Data, d.Dir))
			}
			c, err := openfwi.OpenCollection(filepath.Join(o.Data, d.Dir), d, 0)
			if err != nil {
				return fmt.Errorf("--data: %w", err)
			}
			lo, hi := 0, 0
			if o.Samples != "" {
				all, err := openfwi.NewRealSource(c, split, o.PerFile, 0, 0)
				if err != nil {
					return err
				}
				if lo, hi, err = cli.ParseRange(o.Samples, all.Info().Samples); err != nil {
					return cli.Usagef("--samples: %v", err)
				}
			}
			if src, err = openfwi.NewRealSource(c, split, o.PerFile, lo, hi); err != nil {
				return err
			}
		case "gen":
			if src, err = openfwi.NewGenSource(d, o.Files, o.PerFile); err != nil {
				return cli.Usagef("%v", err)
			}
		default:
			return cli.Usagef("--source must be real or gen, got %q", o.Source)
		}
		out := filepath.Join(o.Out, d.Dir)
		var bar *cli.Progress
		cfg := openfwi.BuildConfig{
			Out: out, Dataset: d, Source: src,
			Simulate: func(ctx context.Context, vel, dst []float32) error {
				return wave.OpenFWIForward(ctx, vel, dst, 1)
			},
			SimulatorName: "wave.OpenFWIForward (OpenFWI-exact preset, UPFWI FWIForward.FWM)",
			Shard:         shard, Shards: shards, Workers: workers, Version: version, Recheck: o.Recheck,
			OnStart:  func(n int) { bar = cli.NewProgress(env, n, d.Dir) },
			OnSample: func() { bar.Add(1) },
		}
		res, err := openfwi.Build(ctx, cfg)
		if bar != nil {
			bar.Finish()
		}
		if err != nil {
			return fmt.Errorf("building %s: %w", out, err)
		}
		totalSamples += res.Samples
		results = append(results, dsResult{d.Name, out, len(res.Built), len(res.Skipped), res.Samples, res.Seconds, res.Complete})
		if !o.JSON {
			fmt.Fprintf(env.Stdout, "%s: %d files built, %d already complete, %d samples in %.1f s; dataset complete: %v\n",
				out, len(res.Built), len(res.Skipped), res.Samples, res.Seconds, res.Complete)
		}
	}
	secs := time.Since(t0).Seconds()
	rate := 0.0
	if totalSamples > 0 && secs > 0 {
		rate = float64(totalSamples) / secs * 3600
	}
	if o.JSON {
		return cli.WriteJSON(env.Stdout, map[string]any{"datasets": results, "samples_simulated": totalSamples,
			"seconds": secs, "samples_per_hour": rate, "workers": workers, "shard": o.Shard})
	}
	if totalSamples > 0 {
		fmt.Fprintf(env.Stdout, "%d samples in %.1f s: %.0f samples/hour with %d workers\n", totalSamples, secs, rate, workers)
	}
	return nil
}

func runDatasetVerify(env *cli.Env, roots []string, jsonOut bool) error {
	if len(roots) == 0 {
		return cli.Usagef("dataset verify needs at least one directory")
	}
	dirs, err := openfwi.FindDatasets(roots)
	if err != nil {
		return err
	}
	var reports []*openfwi.VerifyReport
	bad := 0
	for _, dir := range dirs {
		m, err := openfwi.ReadManifest(dir)
		if err != nil {
			return err
		}
		var total int64
		for _, e := range m.Files {
			total += e.ModelBytes + e.DataBytes
		}
		bar := cli.NewProgress(env, int(total>>20), "verify "+filepath.Base(dir)+" (MiB)")
		defer bar.Finish()
		var acc int64
		var mu sync.Mutex
		r, err := openfwi.Verify(dir, func(n int64) {
			mu.Lock()
			acc += n
			if acc >= 1<<20 {
				bar.Add(int(acc >> 20))
				acc &= 1<<20 - 1
			}
			mu.Unlock()
		})
		bar.Finish()
		if err != nil {
			return err
		}
		reports = append(reports, r)
		if !r.OK() {
			bad++
		}
		if !jsonOut {
			status := "OK"
			if !r.OK() {
				status = fmt.Sprintf("FAILED (%d problems)", len(r.Problems))
			}
			fmt.Fprintf(env.Stdout, "%s: %s, %d files, %d samples, %.1f MB read, data range [%g, %g]\n",
				dir, status, r.Files, r.Samples, float64(r.Bytes)/1e6, r.DataMin, r.DataMax)
			for _, p := range r.Problems {
				fmt.Fprintf(env.Stdout, "  %s\n", p)
			}
		}
	}
	if jsonOut {
		if err := cli.WriteJSON(env.Stdout, map[string]any{"ok": bad == 0, "reports": reports}); err != nil {
			return err
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d datasets failed verification", bad, len(reports))
	}
	return nil
}

// datasetGalleryOptions are the flags of "genfwi dataset gallery".
type datasetGalleryOptions struct {
	Out, Datasets, Data string
	N, File             int
}

func runDatasetGallery(env *cli.Env, o *datasetGalleryOptions) error {
	if o.Out == "" {
		return cli.Usagef("dataset gallery needs --out FILE.png")
	}
	if o.N < 1 || o.N > 10 {
		return cli.Usagef("--n must be in 1..10, got %d", o.N)
	}
	if o.File < 0 {
		return cli.Usagef("--file must be >= 0, got %d", o.File)
	}
	dss, err := lookupDatasets(o.Datasets)
	if err != nil {
		return err
	}
	n, err := experiments.Gallery(o.Out, dss, o.Data, o.N, o.File)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %s (%d panels)\n", o.Out, n)
	return nil
}
