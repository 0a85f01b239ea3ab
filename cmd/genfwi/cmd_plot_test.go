package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genfwi/internal/cli"
)

func TestPlotModelsAndGather(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.npy")
	v := make([]float32, 3*1*8*6)
	for i := range v {
		v[i] = float32(1500 + 10*i)
	}
	writeNPY(t, model, []int{3, 1, 8, 6}, v)
	var out bytes.Buffer
	o := &plotOptions{Model: model, Samples: "1:3", Out: filepath.Join(dir, "figs"), DX: 10, DT: 1e-3, VMin: 1500, VMax: 4500, Cols: 2, JSON: true}
	if err := runPlot(context.Background(), &cli.Env{Stdout: &out, Stderr: &out}, o); err != nil {
		t.Fatal(err)
	}
	var res struct{ Files []string }
	lastJSON(t, out.String(), &res)
	if len(res.Files) != 2 {
		t.Fatalf("JSON %q: want 2 files", out.String())
	}
	for _, f := range append(res.Files, filepath.Join(dir, "figs", "model_2.png")) {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	o.Out = filepath.Join(dir, "gallery.png")
	if err := runPlot(context.Background(), &cli.Env{Stdout: &out, Stderr: &out}, o); err != nil {
		t.Fatal(err)
	}

	data := filepath.Join(dir, "d.npy")
	writeNPY(t, data, []int{1, 2, 50, 6}, make([]float32, 600))
	g := &plotOptions{Data: data, Shot: 1, Out: filepath.Join(dir, "g.png"), DX: 10, DT: 1e-3}
	if err := runPlot(context.Background(), &cli.Env{Stdout: &out, Stderr: &out}, g); err != nil {
		t.Fatal(err)
	}
	g.Shot = 2
	if err := runPlot(context.Background(), &cli.Env{Stdout: &out, Stderr: &out}, g); !cli.IsUsage(err) {
		t.Errorf("shot out of range: got %v, want a usage error", err)
	}
	o2 := &plotOptions{Model: model, Data: data, Out: "x", DX: 10, DT: 1e-3}
	if err := runPlot(context.Background(), &cli.Env{Stdout: &out, Stderr: &out}, o2); !cli.IsUsage(err) {
		t.Errorf("both --model and --data: got %v, want a usage error", err)
	}
	o3 := &plotOptions{Model: data, Samples: "0:1", Out: dir, DX: 10, DT: 1e-3}
	if err := runPlot(context.Background(), &cli.Env{Stdout: &out, Stderr: &out}, o3); err == nil || !strings.Contains(err.Error(), "--model") {
		t.Errorf("seismic file as --model: got %v, want an error naming --model", err)
	}
}
