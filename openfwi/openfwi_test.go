package openfwi

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// realRoot holds the real OpenFWI velocity maps shipped with genfwi.
const realRoot = "../../shared/data/openfwi"

func needReal(t testing.TB, ds string) string {
	t.Helper()
	dir := filepath.Join(realRoot, ds)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("real OpenFWI data not available: %v", err)
	}
	return dir
}

// realCollection opens the shipped real maps of the dataset name in directory
// ds of the real root (skipping the test without them) and returns the
// directory and the collection.
func realCollection(t testing.TB, ds, name string) (string, *Collection) {
	t.Helper()
	dir := needReal(t, ds)
	d, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	c, err := OpenCollection(dir, d, 0)
	if err != nil {
		t.Fatal(err)
	}
	return dir, c
}

func TestLookup(t *testing.T) {
	for _, name := range []string{"flatvel-a", "FlatVel_A", "FlatVel-A", "FLATVEL_A"} {
		d, err := Lookup(name)
		if err != nil || d.Name != "flatvel-a" || d.Norm.DataMax != 52.77 {
			t.Errorf("Lookup(%q) = %+v, %v", name, d, err)
		}
	}
	if _, err := Lookup("kimberlina"); err == nil {
		t.Error("Lookup(kimberlina) succeeded")
	}
	if len(Datasets) != 10 {
		t.Errorf("%d datasets, want 10", len(Datasets))
	}
}

func TestOfficialSplits(t *testing.T) {
	for _, tc := range []struct {
		name        string
		train, test int
		first, last string
	}{
		{"flatvel-a", 48, 12, "model/model1.npy", "model/model60.npy"},
		{"curvefault-b", 96, 12, "vel6_1_0.npy", "vel8_1_35.npy"},
		{"style-a", 120, 14, "model/model1.npy", "model/model134.npy"},
	} {
		d, _ := Lookup(tc.name)
		tr, te := d.OfficialFiles(Train), d.OfficialFiles(Test)
		if len(tr) != tc.train || len(te) != tc.test {
			t.Errorf("%s: %d train / %d test files, want %d / %d", tc.name, len(tr), len(te), tc.train, tc.test)
			continue
		}
		if tr[0].Model != tc.first || te[len(te)-1].Model != tc.last {
			t.Errorf("%s: first train %s, last test %s", tc.name, tr[0].Model, te[len(te)-1].Model)
		}
		for _, r := range te {
			if r.Split != Test {
				t.Errorf("%s: %s in test list has split %v", tc.name, r.Model, r.Split)
			}
		}
	}
	d, _ := Lookup("flatfault-a")
	for _, r := range d.OfficialFiles(Test) {
		if r.Index < 32 {
			t.Errorf("fault test file %s has k < 32", r.Data)
		}
	}
}

func TestRealCollectionSplit(t *testing.T) {
	_, c := realCollection(t, "FlatVel_A", "flatvel-a")
	if c.Layout != Subset {
		t.Fatalf("layout %v, want subset", c.Layout)
	}
	tr, te := c.Train(), c.Test()
	if len(tr) != 10 || len(te) != 2 {
		t.Fatalf("%d train / %d test files, want 10 / 2", len(tr), len(te))
	}
	for _, f := range tr {
		if f.Index > 10 || !f.HasModel || f.HasData {
			t.Errorf("train file %+v", f)
		}
	}
	for _, f := range te {
		if f.Index < 11 {
			t.Errorf("test file %+v", f)
		}
	}
	// The shipped FlatFault_A maps are test files only: no training data.
	_, fc := realCollection(t, "FlatFault_A", "flatfault-a")
	if len(fc.Train()) != 0 || len(fc.Test()) != 2 {
		t.Errorf("FlatFault_A: %d train / %d test, want 0 / 2", len(fc.Train()), len(fc.Test()))
	}
	if _, _, err := fc.LoadTrainModels(); err == nil {
		t.Error("LoadTrainModels on a test-only collection succeeded")
	}
}

func TestCollectionNamingSchemes(t *testing.T) {
	dir := t.TempDir()
	touch := func(p string) {
		p = filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	touch("vel2_1_0.npy")
	touch("seis2_1_0.npy")
	touch("vel4_1_33.npy")
	touch("notes.txt")
	d, _ := Lookup("flatfault-a")
	c, err := OpenCollection(dir, d, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Files) != 2 {
		t.Fatalf("files %+v", c.Files)
	}
	if f := c.Files[0]; f.L != 2 || f.Index != 0 || !f.HasData || !f.HasModel || f.Split != Train {
		t.Errorf("file 0 %+v", f)
	}
	if f := c.Files[1]; f.L != 4 || f.Index != 33 || f.HasData || f.Split != Test {
		t.Errorf("file 1 %+v", f)
	}
	// An official Vel directory (an index above 12) uses the 48/12 split.
	dir2 := t.TempDir()
	for _, i := range []string{"1", "11", "49"} {
		p := filepath.Join(dir2, "model", "model"+i+".npy")
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o644)
	}
	dv, _ := Lookup("curvevel-b")
	cv, err := OpenCollection(dir2, dv, 0)
	if err != nil {
		t.Fatal(err)
	}
	if cv.Layout != Official || len(cv.Train()) != 2 || len(cv.Test()) != 1 || cv.Test()[0].Index != 49 {
		t.Errorf("official layout: %v train %v test %v", cv.Layout, cv.Train(), cv.Test())
	}
	if _, err := OpenCollection(t.TempDir(), dv, 0); err == nil {
		t.Error("empty directory accepted")
	}
}

func TestNormRoundTrip(t *testing.T) {
	for _, d := range Datasets {
		n := d.Norm
		ends := []float32{float32(n.DataMin), float32(n.DataMax), 0}
		n.Data(ends, ends)
		a, b := logTF(n.DataMin), logTF(n.DataMax)
		if math.Abs(float64(ends[0])+1) > 1e-6 || math.Abs(float64(ends[1])-1) > 1e-6 || math.Abs(float64(ends[2])-(-2*a/(b-a)-1)) > 1e-6 {
			t.Errorf("%s: Data(min, max, 0) = %v", d.Name, ends)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		x := make([]float32, 10000)
		for i := range x {
			x[i] = float32(rng.NormFloat64() * 10)
		}
		y := make([]float32, len(x))
		n.Data(y, x)
		n.DataInverse(y, y)
		for i := range x {
			if e := math.Abs(float64(y[i] - x[i])); e > 1e-5*(1+math.Abs(float64(x[i]))) {
				t.Fatalf("%s: data round trip %g -> %g", d.Name, x[i], y[i])
			}
		}
		v := []float32{1500, 3000, 4500, 2250}
		w := make([]float32, 4)
		n.Label(w, v)
		if w[0] != -1 || w[1] != 0 || w[2] != 1 || w[3] != -0.5 {
			t.Errorf("%s: Label = %v", d.Name, w)
		}
		n.LabelInverse(w, w)
		for i := range v {
			if w[i] != v[i] {
				t.Errorf("%s: label round trip %v -> %v", d.Name, v, w)
			}
		}
	}
}

func TestResizeBilinearPyTorch(t *testing.T) {
	// torch.nn.functional.interpolate(torch.tensor([[[[1.,2],[3,4]]]]),
	// size=(4,4), mode="bilinear", align_corners=False).
	up := make([]float32, 16)
	ResizeBilinear(up, 4, 4, []float32{1, 2, 3, 4}, 2, 2)
	want := []float32{1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4}
	for i := range want {
		if math.Abs(float64(up[i]-want[i])) > 1e-6 {
			t.Fatalf("upsample = %v, want %v", up, want)
		}
	}
	// Downsampling by 2 averages neighbour pairs (no antialiasing): (1,4) of
	// [0 1 2 3] samples at 0.5 and 2.5.
	down := make([]float32, 2)
	ResizeBilinear(down, 1, 2, []float32{0, 1, 2, 3}, 1, 4)
	if down[0] != 0.5 || down[1] != 2.5 {
		t.Errorf("downsample = %v, want [0.5 2.5]", down)
	}
	// 70 -> 64: a linear ramp stays linear away from the clamped borders.
	src := make([]float32, 70)
	for i := range src {
		src[i] = float32(i)
	}
	dst := make([]float32, 64)
	ResizeBilinear(dst, 1, 64, src, 1, 70)
	for j := 1; j < 63; j++ {
		want := (float64(j)+0.5)*70/64 - 0.5
		if math.Abs(float64(dst[j])-want) > 1e-4 {
			t.Errorf("ramp[%d] = %g, want %g", j, dst[j], want)
		}
	}
}

func TestResizeLanczos(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	src := make([]float32, 13*9)
	for i := range src {
		src[i] = float32(rng.NormFloat64())
	}
	// Same size: the identity.
	same := make([]float32, len(src))
	ResizeLanczos(same, 13, 9, src, 13, 9)
	for i := range src {
		if math.Abs(float64(same[i]-src[i])) > 1e-5 {
			t.Fatalf("identity resize changed element %d: %g -> %g", i, src[i], same[i])
		}
	}
	// Constants stay constant up and down (weights are normalised).
	for i := range src {
		src[i] = 2500
	}
	for _, sz := range [][2]int{{5, 4}, {30, 20}} {
		dst := make([]float32, sz[0]*sz[1])
		ResizeLanczos(dst, sz[0], sz[1], src, 13, 9)
		for _, v := range dst {
			if math.Abs(float64(v)-2500) > 1e-3 {
				t.Fatalf("constant image resized to %v gives %g", sz, v)
			}
		}
	}
	// A slow sine survives a 1000 -> 256 -> 1000 round trip almost exactly.
	x := make([]float32, 1000)
	for i := range x {
		x[i] = float32(math.Sin(2 * math.Pi * 15 * float64(i) * 1e-3))
	}
	small, back := make([]float32, 256), make([]float32, 1000)
	ResizeLanczos(small, 256, 1, x, 1000, 1)
	ResizeLanczos(back, 1000, 1, small, 256, 1)
	var e float64
	for i := 50; i < 950; i++ {
		e = max(e, math.Abs(float64(back[i]-x[i])))
	}
	if e > 0.01 {
		t.Errorf("15 Hz sine round trip max error %.4f, want < 0.01", e)
	}
}

// TestResizeCubic checks ResizeCubic against the Catmull–Rom spline written
// out independently, its exactness on quadratics away from the borders, and
// the identity on unchanged axes.
func TestResizeCubic(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	src := make([]float32, 11)
	for i := range src {
		src[i] = float32(rng.NormFloat64())
	}
	// Catmull–Rom through p0..p3 at t ∈ [0,1) between p1 and p2.
	cr := func(x float64) float64 {
		i := int(math.Floor(x))
		p := func(k int) float64 { return float64(src[min(max(k, 0), len(src)-1)]) }
		t := x - float64(i)
		p0, p1, p2, p3 := p(i-1), p(i), p(i+1), p(i+2)
		return 0.5 * (2*p1 + (-p0+p2)*t + (2*p0-5*p1+4*p2-p3)*t*t + (-p0+3*p1-3*p2+p3)*t*t*t)
	}
	for _, out := range []int{4, 7, 29} {
		dst := make([]float32, out)
		ResizeCubic(dst, 1, out, src, 1, len(src))
		for j := range dst {
			want := cr((float64(j)+0.5)*float64(len(src))/float64(out) - 0.5)
			if math.Abs(float64(dst[j])-want) > 1e-5 {
				t.Fatalf("11→%d: dst[%d] = %g, Catmull–Rom %g", out, j, dst[j], want)
			}
		}
		// The same along the other axis.
		col := make([]float32, out)
		ResizeCubic(col, out, 1, src, len(src), 1)
		for j := range col {
			if col[j] != dst[j] {
				t.Fatalf("11→%d: column resize differs from row resize at %d", out, j)
			}
		}
	}
	// Quadratics are reproduced exactly where no tap is clamped.
	const sh, sw, dh, dw = 40, 30, 97, 13
	q := func(y, x float64) float64 { return 0.3*y*y - 0.2*x*y + 0.1*x*x + y - 2 }
	img := make([]float32, sh*sw)
	for y := range sh {
		for x := range sw {
			img[y*sw+x] = float32(q(float64(y), float64(x)))
		}
	}
	out := make([]float32, dh*dw)
	ResizeCubic(out, dh, dw, img, sh, sw)
	for i := range dh {
		y := (float64(i)+0.5)*sh/dh - 0.5
		for j := range dw {
			x := (float64(j)+0.5)*sw/dw - 0.5
			if y < 1 || y > sh-3 || x < 1 || x > sw-3 {
				continue
			}
			if want := q(y, x); math.Abs(float64(out[i*dw+j])-want) > 1e-3*math.Max(1, math.Abs(want)) {
				t.Fatalf("quadratic at (%g, %g): %g, want %g", y, x, out[i*dw+j], want)
			}
		}
	}
	// Same size: a copy.
	same := make([]float32, sh*sw)
	ResizeCubic(same, sh, sw, img, sh, sw)
	for i := range img {
		if same[i] != img[i] {
			t.Fatal("same-size resize is not the identity")
		}
	}
}
