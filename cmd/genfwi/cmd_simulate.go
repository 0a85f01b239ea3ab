package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"genfwi/experiments"
	"genfwi/internal/cli"
	"genfwi/openfwi"
	"genfwi/wave"
)

// simulateOptions are the flags of "genfwi simulate".
type simulateOptions struct {
	Model    string
	Out      string
	Samples  string
	Top      int
	JSON     bool
	Workers  int
	Compare  string
	Preset   string
	Dx       float64
	Dt       float64
	Nt       int
	Order    int
	Boundary string
	NBC      int
	SrcX     string
	SrcZ     int
	RecZ     int
	Freq     float64
	Wavelet  string
}

func (o *simulateOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Model, "model", "", "velocity model .npy (m/s), shape [N,1,Nz,Nx], [N,Nz,Nx] or [Nz,Nx]; several files comma-separated (required)")
	fs.StringVar(&o.Out, "out", "", "output seismic .npy [N,shots,nt,receivers] float32 (omit to only report statistics)")
	fs.StringVar(&o.Samples, "samples", "", "half-open sample range A:B of the model file (default all)")
	fs.IntVar(&o.Top, "top", 0, "simulate only the K samples per file (within --samples) with the highest mean top-row velocity (the ones that set OpenFWI's data_max)")
	fs.BoolVar(&o.JSON, "json", false, "print one JSON summary object as the last stdout line")
	fs.IntVar(&o.Workers, "workers", 0, "worker goroutines (0 = GOMAXPROCS)")
	fs.StringVar(&o.Compare, "compare", "", "report the relative error of min/max against an OpenFWI dataset_config entry (flatvel-a, curvevel-a, flatfault-a, ...)")
	fs.StringVar(&o.Preset, "preset", "openfwi", "openfwi (exact OpenFWI acquisition, 70×70 maps) or custom (the geometry flags below)")
	fs.Float64Var(&o.Dx, "dx", 10, "custom: cell size (m)")
	fs.Float64Var(&o.Dt, "dt", 1e-3, "custom: recording time step (s)")
	fs.IntVar(&o.Nt, "nt", 1000, "custom: recorded time samples")
	fs.IntVar(&o.Order, "order", 4, "custom: spatial order 2, 4 or 8")
	fs.StringVar(&o.Boundary, "boundary", "sponge", "custom: absorbing boundary sponge or devito")
	fs.IntVar(&o.NBC, "nbc", 120, "custom: absorbing cells per side")
	fs.StringVar(&o.SrcX, "src-x", "5", "custom: source columns as a comma list (\"0,17,34\") or a count K for K sources evenly spread")
	fs.IntVar(&o.SrcZ, "src-z", 1, "custom: source row")
	fs.IntVar(&o.RecZ, "rec-z", 1, "custom: receiver row (one receiver per column)")
	fs.Float64Var(&o.Freq, "freq", 15, "custom: Ricker peak frequency (Hz)")
	fs.StringVar(&o.Wavelet, "wavelet", "openfwi", "custom: openfwi (peak at floor(nw/2), as UPFWI's FWM) or ricker (peak at 1/f)")
}

// simulateCommand is "genfwi simulate".
func simulateCommand() *cli.Command {
	return &cli.Command{
		Name:      "simulate",
		UsageLine: "simulate --model FILE [--samples A:B] [--out FILE] [--json] [--preset openfwi|custom ...]",
		Short:     "simulate seismic data for velocity models (OpenFWI-exact by default)",
		Long: `Simulate reads velocity maps (m/s) from a .npy file and writes the recorded
pressure in the OpenFWI layout [N, shots, time, receivers] float32, atomically.

With --preset openfwi (default) the maps must be 70×70 and the acquisition is
OpenFWI's (dataset_config.json: 5 shots, 1000 samples of 1 ms, 70 receivers, 120-cell
sponge, 4th order). With --preset custom the geometry flags apply to any grid.
The summary (data_min, data_max, timing) goes to stdout; with --compare the
extremes are compared with OpenFWI's dataset_config normalisation constants.

Examples:
  genfwi simulate --model ../shared/data/openfwi/FlatVel_A/model/model1.npy --samples 0:8 --out data.npy
  genfwi simulate --model ../shared/data/openfwi/FlatVel_A/model/model1.npy --top 10 --compare flatvel-a --json
  genfwi simulate --model $(echo ../shared/data/openfwi/FlatVel_A/model/model{1..10}.npy | tr ' ' ,) --top 20 --compare flatvel-a
`,
		Flags: optionsFlags("simulate", runSimulate),
	}
}

// simulateSetup builds the simulator for the options and a model grid.
func simulateSetup(o *simulateOptions, nz, nx, workers int) (*wave.Simulator, error) {
	if o.Preset == "openfwi" {
		if nz != wave.OpenFWINz || nx != wave.OpenFWINx {
			return nil, fmt.Errorf("--preset openfwi needs 70×70 maps, %s has %d×%d (use --preset custom)", o.Model, nz, nx)
		}
		return wave.NewOpenFWI(workers)
	}
	if o.Preset != "custom" {
		return nil, cli.Usagef("--preset must be openfwi or custom, got %q", o.Preset)
	}
	b, err := wave.ParseBoundary(o.Boundary)
	if err != nil {
		return nil, cli.Usagef("--boundary: %v", err)
	}
	var xs []int
	if k, err := strconv.Atoi(o.SrcX); err == nil && !strings.Contains(o.SrcX, ",") {
		if k < 1 {
			return nil, cli.Usagef("--src-x count must be >= 1, got %d", k)
		}
		for i := 0; i < k; i++ {
			x := 0.0
			if k > 1 {
				x = float64(i) * float64(nx-1) / float64(k-1)
			} else {
				x = float64(nx-1) / 2
			}
			xs = append(xs, int(math.RoundToEven(x)))
		}
	} else {
		for _, f := range strings.Split(o.SrcX, ",") {
			x, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				return nil, cli.Usagef("--src-x: %q is not an integer column", f)
			}
			xs = append(xs, x)
		}
	}
	shots := make([]wave.Shot, len(xs))
	for i, x := range xs {
		rec := make([]wave.Point, nx)
		for j := range rec {
			rec[j] = wave.Point{Z: o.RecZ, X: j}
		}
		shots[i] = wave.Shot{Source: wave.Point{Z: o.SrcZ, X: x}, Receivers: rec}
	}
	if !(o.Freq > 0) {
		return nil, cli.Usagef("--freq must be positive, got %v", o.Freq)
	}
	if o.Nt < 1 || !(o.Dt > 0) {
		return nil, cli.Usagef("--nt must be >= 1 and --dt > 0, got %d and %v", o.Nt, o.Dt)
	}
	var w []float64
	switch o.Wavelet {
	case "openfwi":
		w = wave.RickerOpenFWI(o.Nt, o.Freq, o.Dt)
	case "ricker":
		w = wave.Ricker(o.Nt, o.Freq, o.Dt, 0)
	default:
		return nil, cli.Usagef("--wavelet must be openfwi or ricker, got %q", o.Wavelet)
	}
	opts := wave.Options{Order: o.Order, Boundary: b, NB: o.NBC, Dt: o.Dt, Nt: o.Nt, Workers: workers}
	if err := opts.Validate(); err != nil {
		return nil, cli.Usagef("%v (check --order/--nbc/--dt/--nt)", err)
	}
	return wave.NewSimulator(wave.Grid{Nz: nz, Nx: nx, H: o.Dx}, shots, w, opts)
}

// loadModels reads the selected samples of one model file.
func loadModels(o *simulateOptions, path string) (items []experiments.SimItem, nz, nx int, err error) {
	f, err := openVelocity("--model", path)
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	nz, nx = f.Nz, f.Nx
	lo, hi, err := cli.ParseRange(o.Samples, f.N)
	if err != nil {
		return nil, 0, 0, cli.Usagef("--samples: %v", err)
	}
	cells := nz * nx
	models, err := f.Maps(lo, hi)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("--model %w", err)
	}
	for i := 0; i < hi-lo; i++ {
		items = append(items, experiments.SimItem{File: path, Sample: lo + i, V: models[i*cells : (i+1)*cells]})
	}
	if o.Top > 0 {
		top := func(it experiments.SimItem) float64 {
			var s float64
			for _, v := range it.V[:nx] {
				s += float64(v)
			}
			return s / float64(nx)
		}
		sort.SliceStable(items, func(a, b int) bool { return top(items[a]) > top(items[b]) })
		if o.Top < len(items) {
			items = items[:o.Top]
		}
		sort.SliceStable(items, func(a, b int) bool { return items[a].Sample < items[b].Sample })
	}
	return items, nz, nx, nil
}

func runSimulate(ctx context.Context, env *cli.Env, o *simulateOptions) error {
	if o.Model == "" {
		return cli.Usagef("--model is required")
	}
	files := strings.Split(o.Model, ",")
	if slices.Contains(files, "") {
		return cli.Usagef("--model %q has an empty file name", o.Model)
	}
	if len(files) > 1 && o.Out != "" {
		return cli.Usagef("--out needs a single --model file, got %d", len(files))
	}
	// --compare names an entry of dataset_config.json, whose data_min and
	// data_max openfwi.Datasets holds.
	var ref openfwi.Norm
	if o.Compare != "" {
		d, err := openfwi.Lookup(o.Compare)
		if err != nil {
			return cli.Usagef("--compare: unknown dataset %q", o.Compare)
		}
		ref = d.Norm
	}
	if o.Workers < 0 {
		return cli.Usagef("--workers must be >= 0, got %d", o.Workers)
	}
	if o.Top < 0 {
		return cli.Usagef("--top must be >= 0, got %d", o.Top)
	}
	var ins []fileArg
	for _, f := range files {
		ins = append(ins, fileArg{"--model", f})
	}
	if err := checkOutputs([]fileArg{{"--out", o.Out}}, ins); err != nil {
		return err
	}
	var items []experiments.SimItem
	nz, nx := -1, -1
	for _, path := range files {
		it, z, x, err := loadModels(o, path)
		if err != nil {
			return err
		}
		if nz >= 0 && (z != nz || x != nx) {
			return fmt.Errorf("--model %s: %d×%d maps, the first file has %d×%d", path, z, x, nz, nx)
		}
		nz, nx = z, x
		items = append(items, it...)
	}
	r, err := experiments.Simulate(ctx, experiments.SimulateOptions{Items: items, Workers: o.Workers, Out: o.Out, Bar: progressBars(env),
		NewSimulator: func(workers int) (*wave.Simulator, error) { return simulateSetup(o, nz, nx, workers) }})
	var ie *experiments.InputError
	if err != nil && !errors.As(err, &ie) {
		err = fmt.Errorf("--model %w", err) // a map the simulator refuses or fails on
	}
	if err != nil {
		return inputError(err)
	}
	where := func(it experiments.SimItem) string { return fmt.Sprintf("%s[%d]", it.File, it.Sample) }
	out := map[string]any{
		"files": len(files), "samples": len(items), "preset": o.Preset,
		"data_min": r.DataMin, "data_max": r.DataMax, "argmin": where(r.ArgMin), "argmax": where(r.ArgMax),
		"seconds": r.Seconds, "seconds_per_sample": r.SecondsPerSample, "workers": r.Workers,
	}
	if o.Out != "" {
		out["out"] = o.Out
	}
	if o.Compare != "" {
		out["ref_data_min"], out["ref_data_max"] = ref.DataMin, ref.DataMax
		out["rel_err_min"] = (r.DataMin - ref.DataMin) / math.Abs(ref.DataMin)
		out["rel_err_max"] = (r.DataMax - ref.DataMax) / math.Abs(ref.DataMax)
	}
	if o.JSON {
		return cli.WriteJSON(env.Stdout, out)
	}
	fmt.Fprintf(env.Stdout, "simulated %d samples from %d file(s) in %.1f s (%.3f s/sample, %d workers)\n", len(items), len(files), r.Seconds, r.SecondsPerSample, r.Workers)
	fmt.Fprintf(env.Stdout, "data_min %.4f at %s\ndata_max %.4f at %s\n", r.DataMin, where(r.ArgMin), r.DataMax, where(r.ArgMax))
	if o.Compare != "" {
		fmt.Fprintf(env.Stdout, "%s dataset_config: data_min %.2f (rel. err %+.2f%%), data_max %.2f (rel. err %+.2f%%)\n", o.Compare,
			out["ref_data_min"], 100*out["rel_err_min"].(float64), out["ref_data_max"], 100*out["rel_err_max"].(float64))
	}
	return nil
}
