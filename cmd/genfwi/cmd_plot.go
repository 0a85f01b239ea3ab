package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"genfwi/experiments"
	"genfwi/internal/cli"
)

// plotOptions are the flags of "genfwi plot".
type plotOptions struct {
	Model, Data string
	Samples     string
	Sample      int
	Shot        int
	Out         string
	Title       string
	DX, DT      float64
	VMin, VMax  float64
	Clip        float64
	Cols        int
	JSON        bool
}

func (o *plotOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Model, "model", "", "velocity `file` (.npy, m/s, shape [N,1,nz,nx], [N,nz,nx] or [nz,nx])")
	fs.StringVar(&o.Data, "data", "", "seismic `file` (.npy, OpenFWI layout [N,shots,nt,receivers])")
	fs.StringVar(&o.Samples, "samples", "0:1", "velocity samples to draw, half-open range `A:B` (with --model)")
	fs.IntVar(&o.Sample, "sample", 0, "sample index, from 0 (with --data)")
	fs.IntVar(&o.Shot, "shot", 0, "shot index, from 0 as in every figure title (with --data; galleries draw shot 2, the middle source)")
	fs.StringVar(&o.Out, "out", "", "output: a directory (one PNG per sample) or a .png file (one map, a gallery of several, or a gather)")
	fs.StringVar(&o.Title, "title", "", "figure title (default: file name and indices)")
	fs.Float64Var(&o.DX, "dx", 10, "grid spacing in m (velocity cells; receiver spacing for gathers)")
	fs.Float64Var(&o.DT, "dt", 1e-3, "time step of the data in s")
	fs.Float64Var(&o.VMin, "vmin", 1500, "lower end of the velocity colour scale in m/s (vmin >= vmax: data range)")
	fs.Float64Var(&o.VMax, "vmax", 4500, "upper end of the velocity colour scale in m/s")
	fs.Float64Var(&o.Clip, "clip", 0, "gather colour scale ±clip in the data's units (0: 95th percentile of |amplitude|)")
	fs.IntVar(&o.Cols, "cols", 4, "columns of a gallery (--model with several samples and a .png --out)")
	fs.BoolVar(&o.JSON, "json", false, "print one JSON object listing the files written as the last line of stdout")
}

// plotCommand is "genfwi plot".
func plotCommand() *cli.Command {
	return &cli.Command{
		Name:      "plot",
		UsageLine: "plot (--model m.npy [--samples A:B] | --data d.npy [--sample K] [--shot S]) --out PATH [flags]",
		Short:     "write PNG figures of velocity maps and shot gathers",
		Long: `Plot draws velocity maps (x and depth in m, depth increasing downward,
colour bar in m/s) or one shot gather (receiver x in m against time in s,
symmetric colour scale of the recorded pressure in the simulator's arbitrary
units) as PNG files, written atomically. Samples and shots are numbered from 0
here and in every figure genfwi draws.

With --model, each sample of --samples becomes one PNG in the --out directory
(model_<index>.png); if --out ends in .png, a single sample is drawn to that
file and several samples to one gallery grid (--cols columns).
With --data, shot --shot of sample --sample is drawn to the --out .png file.

Examples:
  genfwi plot --model ../shared/data/openfwi/CurveVel_A/model/model11.npy --samples 0:4 --out figs/
  genfwi plot --model model11.npy --samples 0:8 --out gallery.png --cols 4
  genfwi plot --data data.npy --sample 0 --shot 2 --out gather.png
`,
		Flags: optionsFlags("plot", runPlot),
	}
}

// runPlot does the work of "genfwi plot".
func runPlot(ctx context.Context, env *cli.Env, o *plotOptions) error {
	if (o.Model == "") == (o.Data == "") {
		return cli.Usagef("give exactly one of --model or --data")
	}
	if o.Out == "" {
		return cli.Usagef("--out is required")
	}
	if o.DX <= 0 || o.DT <= 0 {
		return cli.Usagef("--dx and --dt must be positive, got %g and %g", o.DX, o.DT)
	}
	var files []string
	var err error
	if o.Model != "" {
		files, err = plotModels(ctx, o)
	} else {
		files, err = plotGather(o)
	}
	if err != nil {
		return err
	}
	if o.JSON {
		return cli.WriteJSON(env.Stdout, map[string]any{"files": files})
	}
	for _, f := range files {
		fmt.Fprintln(env.Stdout, f)
	}
	return nil
}

func plotModels(ctx context.Context, o *plotOptions) ([]string, error) {
	f, err := openVelocity("--model", o.Model)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p := &experiments.MapsPlot{File: f, Out: o.Out, Title: o.Title, DX: o.DX, VMin: o.VMin, VMax: o.VMax, Cols: o.Cols}
	if p.Lo, p.Hi, err = cli.ParseRange(o.Samples, f.N); err != nil {
		return nil, cli.Usagef("--samples: %v", err)
	}
	if p.ToFile() && p.Hi-p.Lo > 1 && o.Cols < 1 {
		return nil, cli.Usagef("--cols must be >= 1, got %d", o.Cols)
	}
	var outs []fileArg
	for _, out := range p.Outputs() {
		outs = append(outs, fileArg{"--out", out})
	}
	if err := checkOutputs(outs, []fileArg{{"--model", o.Model}}); err != nil {
		return nil, err
	}
	files, err := p.Run(ctx)
	var ie *experiments.InputError
	if err != nil && !errors.As(err, &ie) {
		err = fmt.Errorf("--model %w", err)
	}
	return files, inputError(err)
}

func plotGather(o *plotOptions) ([]string, error) {
	if !strings.EqualFold(filepath.Ext(o.Out), ".png") {
		return nil, cli.Usagef("--out must name a .png file for a gather, got %q", o.Out)
	}
	if err := checkOutputs([]fileArg{{"--out", o.Out}}, []fileArg{{"--data", o.Data}}); err != nil {
		return nil, err
	}
	p := &experiments.GatherPlot{Data: o.Data, Sample: o.Sample, Shot: o.Shot, Out: o.Out, Title: o.Title, DT: o.DT, DX: o.DX, Clip: o.Clip}
	var re *experiments.RangeError
	if err := p.Run(); errors.As(err, &re) {
		return nil, cli.Usagef("%s %v", optionFlag(re.Input), re.Err)
	} else if err != nil {
		return nil, inputError(err)
	}
	return []string{o.Out}, nil
}
