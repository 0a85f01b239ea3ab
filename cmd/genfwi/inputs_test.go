package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"genfwi/wave"
)

// writeMaps writes n constant 70×70 velocity maps to dir/name.
func writeMaps(t *testing.T, dir, name string, n int) string {
	t.Helper()
	v := make([]float32, n*70*70)
	for i := range v {
		v[i] = 2500
	}
	p := filepath.Join(dir, name)
	writeNPY(t, p, []int{n, 1, 70, 70}, v)
	return p
}

// noPanic fails if stderr holds a Go stack trace.
func noPanic(t *testing.T, args []string, stderr string) {
	t.Helper()
	if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
		t.Errorf("genfwi %s panicked:\n%s", strings.Join(args, " "), stderr)
	}
}

// TestEmptyArrayInputs: an empty .npy ([0,1,70,70]) is a clear error naming
// the file, exit 1, no output file and no stack trace.
func TestEmptyArrayInputs(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.npy")
	writeNPY(t, empty, []int{0, 1, 70, 70}, nil)
	emptyData := filepath.Join(dir, "empty-data.npy")
	writeNPY(t, emptyData, []int{0, 5, 1000, 70}, nil)
	out := filepath.Join(dir, "out.npy")
	for _, args := range [][]string{
		{"simulate", "--model", empty, "--out", out},
		{"simulate", "--model", empty, "--samples", "0:1", "--out", out},
		{"plot", "--model", empty, "--out", filepath.Join(dir, "fig.png")},
		{"fwi", "--model", empty, "--out", filepath.Join(dir, "fwi")},
		{"fwi", "--data", emptyData, "--init", "gradient", "--out", filepath.Join(dir, "fwi")},
		{"invert", "--model", filepath.Join(dir, "no-model"), "--data", emptyData, "--out", filepath.Join(dir, "inv")},
	} {
		code, _, errs := cliRun(args...)
		noPanic(t, args, errs)
		file := empty
		if strings.Contains(strings.Join(args, " "), emptyData) {
			file = emptyData
		}
		if code != 1 || !strings.Contains(errs, file) || !strings.Contains(errs, "empty") {
			t.Errorf("genfwi %s: exit %d, stderr %q; want exit 1 naming %s as empty", strings.Join(args, " "), code, errs, file)
		}
	}
	for _, p := range []string{out, filepath.Join(dir, "fig.png"), filepath.Join(dir, "fwi"), filepath.Join(dir, "inv")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
}

// TestStrictSamples: malformed --samples ranges are usage errors naming the
// flag, for every command that takes one.
func TestStrictSamples(t *testing.T) {
	dir := t.TempDir()
	model := writeMaps(t, dir, "m.npy", 6)
	for _, bad := range []string{"1:3:5", "1abc:3", "0x1:2", "-1:2", "1:-2", "+1:3", ":", "1::3", "4:2"} {
		for _, cmd := range [][]string{
			{"simulate", "--model", model},
			{"plot", "--model", model, "--out", filepath.Join(dir, "figs")},
			{"fwi", "--model", model, "--out", filepath.Join(dir, "fwi")},
		} {
			args := append(cmd, "--samples", bad)
			code, _, errs := cliRun(args...)
			if code != 2 || !strings.Contains(errs, "--samples") {
				t.Errorf("genfwi %s: exit %d, stderr %q; want a usage error naming --samples", strings.Join(args, " "), code, errs)
			}
		}
	}
}

// TestOutRefusesNonRegularAndInputs: --out is never a symbolic link, a
// directory or a device replaced by a regular file, and never an input.
func TestOutRefusesNonRegularAndInputs(t *testing.T) {
	dir := t.TempDir()
	model := writeMaps(t, dir, "m.npy", 1)
	before, _ := os.ReadFile(model)
	target := filepath.Join(dir, "target.npy")
	os.WriteFile(target, []byte("keep"), 0o644)
	link := filepath.Join(dir, "link.npy")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub.npy")
	os.Mkdir(sub, 0o755)
	fifo := filepath.Join(dir, "fifo.npy")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	linkPNG := filepath.Join(dir, "link.png")
	os.Symlink(target, linkPNG)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"simulate", "--model", model, "--out", link}, "symbolic link"},
		{[]string{"simulate", "--model", model, "--out", sub}, "directory"},
		{[]string{"simulate", "--model", model, "--out", fifo}, "named pipe"},
		{[]string{"simulate", "--model", model, "--out", model}, "same file as the input --model"},
		{[]string{"simulate", "--model", model, "--out", filepath.Join(dir, ".", "m.npy")}, "same file"},
		{[]string{"plot", "--model", model, "--out", linkPNG}, "symbolic link"},
		{[]string{"fwi", "--model", model, "--init", filepath.Join(dir, "run", "sample_0", "inverted.npy"), "--out", filepath.Join(dir, "run")}, "--init"},
	}
	// An --init taken from the same run directory's output is an input too.
	os.MkdirAll(filepath.Join(dir, "run", "sample_0"), 0o755)
	writeNPY(t, filepath.Join(dir, "run", "sample_0", "inverted.npy"), []int{1, 1, 70, 70}, make([]float32, 4900))
	if dev := filepath.Join(dir, "null.npy"); syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3) == nil {
		cases = append(cases, struct {
			args []string
			want string
		}{[]string{"simulate", "--model", model, "--out", dev}, "device"})
	}
	for _, c := range cases {
		code, _, errs := cliRun(c.args...)
		noPanic(t, c.args, errs)
		if code != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("genfwi %s: exit %d, stderr %q; want exit 1 and %q", strings.Join(c.args, " "), code, errs, c.want)
		}
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Error("the symbolic link --out was replaced")
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Error("the symbolic link's target was written")
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Error("the named pipe --out was replaced")
	}
	if after, _ := os.ReadFile(model); string(after) != string(before) {
		t.Error("the input --model was overwritten")
	}
}

// writeSeismicWithNaN writes n zero OpenFWI-layout samples with one NaN in
// sample bad at shot 1, time sample 2, receiver 3.
func writeSeismicWithNaN(t *testing.T, dir string, n, bad int) string {
	t.Helper()
	d := make([]float32, n*wave.OpenFWISample)
	d[bad*wave.OpenFWISample+1*1000*70+2*70+3] = float32(math.NaN())
	p := filepath.Join(dir, "nan.npy")
	writeNPY(t, p, []int{n, 5, 1000, 70}, d)
	return p
}

// TestNaNInputsNamed: a NaN in the seismic input of invert and fwi is
// reported as a NaN in that file and sample, before anything is written.
func TestNaNInputsNamed(t *testing.T) {
	dir := t.TempDir()
	data := writeSeismicWithNaN(t, dir, 3, 1)
	for _, args := range [][]string{
		{"invert", "--model", filepath.Join(dir, "no-model"), "--data", data, "--out", filepath.Join(dir, "inv")},
		{"fwi", "--data", data, "--samples", "0:3", "--init", "gradient", "--out", filepath.Join(dir, "fwi")},
	} {
		code, _, errs := cliRun(args...)
		noPanic(t, args, errs)
		if code != 1 || !strings.Contains(errs, data) || !strings.Contains(errs, "sample 1") || !strings.Contains(errs, "NaN") ||
			!strings.Contains(errs, "shot 1, time sample 2, receiver 3") || strings.Contains(errs, "unstable") {
			t.Errorf("genfwi %s: exit %d, stderr %q; want exit 1 naming the file, sample 1 and the NaN", strings.Join(args, " "), code, errs)
		}
	}
	for _, p := range []string{filepath.Join(dir, "inv"), filepath.Join(dir, "fwi")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
	// fwi --iters 0 is a usage error, not 20 iterations.
	if code, _, errs := cliRun("fwi", "--data", data, "--init", "gradient", "--iters", "0", "--out", filepath.Join(dir, "fwi")); code != 2 || !strings.Contains(errs, "--iters must be >= 1") {
		t.Errorf("fwi --iters 0: exit %d, stderr %q", code, errs)
	}
}

// TestSampleChecksVQAE: an explicit --vqae must be the autoencoder the
// diffusion model recorded (committed weights).
func TestSampleChecksVQAE(t *testing.T) {
	w := filepath.Join("..", "..", "weights", "wavediffusion-cpu")
	if _, err := os.Stat(filepath.Join(w, "diffusion", "model.safetensors")); err != nil {
		t.Skip("committed weights not found")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "bad")
	code, _, errs := cliRun("sample", "--model", filepath.Join(w, "diffusion"), "--vqae", filepath.Join(w, "vqae-one-in"), "--n", "1", "--steps", "1", "--out", out)
	if code != 1 || !strings.Contains(errs, "not the autoencoder the diffusion model was trained on") || !strings.Contains(errs, "--allow-vqae-mismatch") {
		t.Errorf("sample with the wrong --vqae: exit %d, stderr %q", code, errs)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s was written", out)
	}
	code, _, errs = cliRun("sample", "--model", filepath.Join(w, "diffusion"), "--vqae", filepath.Join(w, "vqae"), "--n", "1", "--steps", "1",
		"--gallery", "0", "--out", filepath.Join(dir, "ok"))
	if code != 0 {
		t.Errorf("sample with the recorded --vqae (a float16 copy): exit %d, stderr %q", code, errs)
	}
}
