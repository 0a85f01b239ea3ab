package main

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"genfwi/fwi/driver"
	"genfwi/internal/cli"
)

func TestFWICommandRunsAndResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("OpenFWI-size inversion (a few seconds of PDE solves)")
	}
	// A constant 2500 m/s map inverted from the 1500–4500 m/s gradient: the
	// command's flags, progress, outputs and JSON line (the inversion's
	// quality and its resume are fwi/driver's tests).
	dir := t.TempDir()
	model := writeMaps(t, dir, "m.npy", 1)
	out := filepath.Join(dir, "run")
	o := &fwiOptions{Model: model, Samples: "0:1", Init: "gradient", Out: out, Iters: 2, Freqs: "0",
		Method: "lbfgs", Param: "velocity", Smooth: 3, SNR: math.Inf(1), Seed: 1, VMin: 1500, VMax: 4500,
		VTop: 1500, VBottom: 4500, FilterOrder: 4, JSON: true}
	var stdout, stderr bytes.Buffer
	env := &cli.Env{Stdout: &stdout, Stderr: &stderr}
	if err := runFWI(context.Background(), env, o); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var res struct {
		Samples int   `json:"samples"`
		Solves  int64 `json:"pde_solves"`
		Start   struct{ RMSE float64 }
		Result  struct{ RMSE float64 }
	}
	lastJSON(t, stdout.String(), &res)
	if res.Samples != 1 || res.Solves < 4 || !(res.Start.RMSE > 0) {
		t.Errorf("summary %+v: want 1 sample, ≥ 4 solves, the start's error", res)
	}
	if !strings.Contains(stderr.String(), "iter 2/2") {
		t.Errorf("no per-iteration progress on stderr: %q", stderr.String())
	}
	wantFiles(t, filepath.Join(out, "sample_0"), driver.SampleFiles()...)
	// Other flags on the same --out: refused, naming --fresh (the resume
	// itself is fwi/driver's TestRunResumes).
	o2 := *o
	o2.Iters = 3
	if err := runFWI(context.Background(), env, &o2); err == nil || !strings.Contains(err.Error(), "--fresh") {
		t.Errorf("mismatched checkpoint: got %v, want an error suggesting --fresh", err)
	}
}

func TestFWICommandUsageErrors(t *testing.T) {
	env := &cli.Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}
	base := fwiOptions{Samples: "0:1", Init: "1d-special", Out: t.TempDir(), Iters: 1, Freqs: "0", Method: "lbfgs",
		Param: "velocity", SNR: math.Inf(1), VMin: 1500, VMax: 4500, FilterOrder: 4}
	for name, mut := range map[string]func(o *fwiOptions){
		"no input":    func(o *fwiOptions) {},
		"both inputs": func(o *fwiOptions) { o.Data, o.Model = "a.npy", "b.npy" },
		"bad freqs":   func(o *fwiOptions) { o.Model = "m.npy"; o.Freqs = "4,x" },
		"bad method":  func(o *fwiOptions) { o.Model = "m.npy"; o.Method = "newton" },
		"bad bounds":  func(o *fwiOptions) { o.Model = "m.npy"; o.VMin = 5000 },
	} {
		o := base
		mut(&o)
		if err := runFWI(context.Background(), env, &o); !cli.IsUsage(err) {
			t.Errorf("%s: got %v, want a usage error", name, err)
		}
	}
}
