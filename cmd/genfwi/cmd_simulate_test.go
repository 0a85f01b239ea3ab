package main

import (
	"context"
	"path/filepath"
	"testing"

	"genfwi/npy"
	"genfwi/wave"
)

// TestSimulateCommand runs "genfwi simulate" on two 70×70 maps, checks the
// JSON summary and that the output file holds exactly what OpenFWIForward
// computes.
func TestSimulateCommand(t *testing.T) {
	dir := t.TempDir()
	v := make([]float32, 3*70*70)
	for i := range v {
		s, iz := i/4900, (i%4900)/70
		v[i] = 1800 + 300*float32(s)
		if iz > 40 {
			v[i] += 1000
		}
	}
	model := filepath.Join(dir, "m.npy")
	writeNPY(t, model, []int{3, 1, 70, 70}, v)
	out := filepath.Join(dir, "d.npy")
	code, stdout, stderr := cliRun("simulate", "--model", model, "--samples", "1:3", "--out", out, "--json", "--compare", "flatvel-a")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res map[string]any
	lastJSON(t, stdout, &res)
	if res["samples"].(float64) != 2 || !(res["data_max"].(float64) > 0) || res["ref_data_max"].(float64) != 52.77 {
		t.Errorf("summary %v", res)
	}
	got, shape, err := npy.ReadFileFloat32(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(shape) != 4 || shape[0] != 2 || shape[1] != 5 || shape[2] != 1000 || shape[3] != 70 {
		t.Fatalf("output shape %v, want [2 5 1000 70]", shape)
	}
	want := make([]float32, wave.OpenFWISample)
	if err := wave.OpenFWIForward(context.Background(), v[2*4900:3*4900], want, 1); err != nil {
		t.Fatal(err)
	}
	for i, x := range want {
		if got[wave.OpenFWISample+i] != x {
			t.Fatalf("output sample 1 value %d: %g, OpenFWIForward gives %g", i, got[wave.OpenFWISample+i], x)
		}
	}
}

func TestSimulateErrors(t *testing.T) {
	dir := t.TempDir()
	v := make([]float32, 70*70)
	for i := range v {
		v[i] = 2000
	}
	v[75] = 0
	model := filepath.Join(dir, "bad.npy")
	writeNPY(t, model, []int{1, 1, 70, 70}, v)
	small := filepath.Join(dir, "small.npy")
	writeNPY(t, small, []int{1, 1, 2, 2}, []float32{1, 2, 3, 4})
	checkExits(t, []exitCase{
		{[]string{"simulate"}, 2, "--model is required"},
		{[]string{"simulate", "--model", model, "--samples", "3:9"}, 2, "--samples"},
		{[]string{"simulate", "--model", model}, 1, "(z=1, x=5) is 0 m/s"},
		{[]string{"simulate", "--model", small}, 1, "needs 70×70 maps"},
		{[]string{"simulate", "--model", small, "--preset", "custom", "--order", "6"}, 2, "Order must be 2, 4 or 8"},
		{[]string{"simulate", "--model", filepath.Join(dir, "none.npy")}, 1, "--model"},
		{[]string{"simulate", "--model", model, "--compare", "nope"}, 2, "unknown dataset"},
	})
}

// TestSimulateCustom runs a small custom geometry end to end.
func TestSimulateCustom(t *testing.T) {
	dir := t.TempDir()
	v := make([]float32, 30*40)
	for i := range v {
		v[i] = 2500
	}
	model := filepath.Join(dir, "m.npy")
	writeNPY(t, model, []int{30, 40}, v)
	out := filepath.Join(dir, "d.npy")
	code, _, stderr := cliRun("simulate", "--model", model, "--preset", "custom", "--dx", "12.5", "--dt", "2e-3",
		"--nt", "200", "--order", "8", "--boundary", "devito", "--nbc", "20", "--src-x", "3", "--freq", "10", "--wavelet", "ricker", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, shape, err := npy.ReadFileFloat32(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(shape) != 4 || shape[0] != 1 || shape[1] != 3 || shape[2] != 200 || shape[3] != 40 {
		t.Fatalf("output shape %v, want [1 3 200 40]", shape)
	}
}
