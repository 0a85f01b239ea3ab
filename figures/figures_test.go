package figures

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", path, err)
	}
	return img
}

// pixelsOf returns how many pixels of img have exactly colour c and their
// mean row.
func pixelsOf(img image.Image, c color.Color) (n int, meanY float64) {
	want := color.NRGBAModel.Convert(c).(color.NRGBA)
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA) == want {
				n++
				meanY += float64(y)
			}
		}
	}
	if n > 0 {
		meanY /= float64(n)
	}
	return n, meanY
}

func TestVelocityMapDepthIncreasesDownward(t *testing.T) {
	const nz, nx = 70, 70
	v := make([]float32, nz*nx)
	for iz := 0; iz < nz; iz++ {
		for ix := 0; ix < nx; ix++ {
			v[iz*nx+ix] = 4500
			if iz < 10 { // slow top layer, 10 of 70 rows
				v[iz*nx+ix] = 1500
			}
		}
	}
	path := filepath.Join(t.TempDir(), "v.png")
	if err := VelocityMap(path, "two layers", v, nz, nx, 10, 10, 1500, 4500); err != nil {
		t.Fatal(err)
	}
	img := readPNG(t, path)
	s, _ := VelocityScale(1500, 4500).resolve(v)
	nLow, yLow := pixelsOf(img, s.colorAt(1500))
	nHigh, yHigh := pixelsOf(img, s.colorAt(4500))
	if nLow == 0 || nHigh == 0 {
		t.Fatalf("end colours not found: %d low, %d high pixels", nLow, nHigh)
	}
	if yLow >= yHigh {
		t.Errorf("slow layer drawn at mean row %.0f, fast at %.0f: the surface must be on top", yLow, yHigh)
	}
	// The slow layer is 1/7 of the map (the colour bar adds a few end pixels).
	if r := float64(nLow) / float64(nHigh); math.Abs(r-1.0/6) > 0.03 {
		t.Errorf("slow/fast pixel ratio %.3f, want about 1/6", r)
	}
}

func TestShotGatherSymmetricScaleAndTimeDown(t *testing.T) {
	const nt, nrec = 200, 30
	d := make([]float32, nt*nrec)
	for it := 0; it < nt; it++ {
		for r := 0; r < nrec; r++ {
			switch {
			case it < 50:
				d[it*nrec+r] = 3 // early: strongly positive
			case it >= 150:
				d[it*nrec+r] = -1 // late: weakly negative
			}
		}
	}
	s := GatherScale(d, 0)
	if s.Min != -s.Max || s.Max != 3 {
		t.Fatalf("GatherScale = [%g, %g], want symmetric ±3 (95th percentile of |d|)", s.Min, s.Max)
	}
	path := filepath.Join(t.TempDir(), "g.png")
	if err := ShotGather(path, "gather", d, nt, nrec, 1e-3, 0, 10, 0); err != nil {
		t.Fatal(err)
	}
	img := readPNG(t, path)
	s, _ = s.resolve(d)
	nPos, yPos := pixelsOf(img, s.colorAt(3))
	nNeg, yNeg := pixelsOf(img, s.colorAt(-1))
	if nPos == 0 || nNeg == 0 || yPos >= yNeg {
		t.Errorf("early arrivals at mean row %.0f (%d px), late at %.0f (%d px): time must increase downward", yPos, nPos, yNeg, nNeg)
	}
}

func TestLinesAndGridWriteFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "misfit.png")
	err := Lines(p, LineSpec{Title: "misfit", XLabel: "iteration", YLabel: "½‖r‖²", LogY: true},
		Series{Name: "a", Y: []float64{4, 2, 1}}, Series{Name: "b", X: []float64{2, 3}, Y: []float64{1, 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	if b := readPNG(t, p).Bounds(); b.Dx() < 500 || b.Dy() < 300 {
		t.Errorf("line plot is only %v", b)
	}
	// One small value on a log scale (a first iteration's misfit below 1):
	// gonum alone would widen the axis below zero and panic.
	for _, y := range [][]float64{{0.004}, {0.3, 0.3}, {2e-9, 0, -1}} {
		if err := Lines(p, LineSpec{LogY: true}, Series{Name: "one", Y: y}); err != nil {
			t.Errorf("log plot of %v: %v", y, err)
		}
	}
	if err := Lines(p, LineSpec{}, Series{X: []float64{1}, Y: []float64{1, 2}}); err == nil {
		t.Error("Lines accepted mismatched X and Y")
	}
	if err := Lines(p, LineSpec{}); err == nil {
		t.Error("Lines accepted no series")
	}

	v := make([]float32, 12)
	for i := range v {
		v[i] = float32(1500 + 200*i)
	}
	one := Panel{Title: "p", Raster: VelocityRaster(v, 3, 4, 10, 10), Scale: VelocityScale(0, 0)}
	g1, g3 := filepath.Join(dir, "g1.png"), filepath.Join(dir, "g3.png")
	if err := Grid(g1, "", []Panel{one}, 1); err != nil {
		t.Fatal(err)
	}
	if err := Grid(g3, "three", []Panel{one, one, one}, 2); err != nil {
		t.Fatal(err)
	}
	b1, b3 := readPNG(t, g1).Bounds(), readPNG(t, g3).Bounds()
	if b3.Dx() != 2*b1.Dx() || b3.Dy() <= 2*b1.Dy() {
		t.Errorf("grid of 3 in 2 columns is %v, single panel %v: want 2 wide, 2 high plus a title", b3, b1)
	}
	bad := one
	bad.Raster.Rows = 5
	if err := Grid(g1, "", []Panel{bad}, 1); err == nil {
		t.Error("Grid accepted a raster whose data length does not match its shape")
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if filepath.Ext(e.Name()) != ".png" {
			t.Errorf("stray file %s left behind", e.Name())
		}
	}
}

func TestWriteToMissingDirFails(t *testing.T) {
	v := []float32{1500, 2000, 2500, 3000}
	err := VelocityMap(filepath.Join(t.TempDir(), "no", "such", "v.png"), "", v, 2, 2, 10, 10, 1500, 4500)
	if err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

func TestPercentile(t *testing.T) {
	d := make([]float32, 100)
	for i := range d {
		d[i] = float32(i + 1)
		if i%2 == 1 {
			d[i] = -d[i]
		}
	}
	if got := Percentile(d, 99); got != 99 {
		t.Errorf("Percentile(99) = %g, want 99", got)
	}
	if got := Percentile(d, 100); got != 100 {
		t.Errorf("Percentile(100) = %g, want 100", got)
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("Percentile(nil) = %g", got)
	}
}
