package invnet

import (
	"math/rand/v2"
	"testing"

	"genfwi/openfwi"
)

// TestPaperParamsAndShapes checks the paper preset against docs/baselines.md §1:
// 24 409 123 parameters and the layer table's output shapes.
func TestPaperParamsAndShapes(t *testing.T) {
	cfg := PaperNet()
	if got := cfg.NumParams(); got != 24409123 {
		t.Fatalf("PaperNet().NumParams() = %d, want 24409123", got)
	}
	n, err := New(cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if got := n.NumParams(); got != 24409123 {
		t.Fatalf("built %d parameters, want 24409123", got)
	}
	want := map[string][3]int{
		"convblock1": {32, 500, 70}, "convblock2_2": {64, 250, 70}, "convblock3_2": {64, 125, 70},
		"convblock4_2": {128, 63, 70}, "convblock5_2": {128, 32, 35}, "convblock6_2": {256, 16, 18},
		"convblock7_2": {256, 8, 9}, "convblock8": {512, 1, 1}, "deconv1_2": {512, 5, 5}, "deconv2_2": {256, 10, 10},
		"deconv3_2": {128, 20, 20}, "deconv4_2": {64, 40, 40}, "deconv5_2": {32, 80, 80}, "crop": {32, 70, 70},
		"deconv6": {1, 70, 70},
	}
	if testing.Short() {
		return
	}
	seen := 0
	for _, s := range n.Shapes() {
		if w, ok := want[s.Name]; ok {
			seen++
			if got := [3]int{s.C, s.H, s.W}; got != w {
				t.Errorf("%s: shape %v, want %v", s.Name, got, w)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("checked %d of %d layers", seen, len(want))
	}
}

// TestCPUParams pins the cpu preset's size and checks its shapes rejoin the
// paper's after convblock4.
func TestCPUParams(t *testing.T) {
	cfg := CPUNet()
	n, err := New(cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cpu preset: %d parameters, input T %d", n.NumParams(), cfg.InputT())
	for _, s := range n.Shapes() {
		t.Logf("%-13s %4d × %3d × %3d", s.Name, s.C, s.H, s.W)
		if s.Name == "convblock4_2" && (s.H != 63 || s.W != 70) {
			t.Errorf("convblock4_2: %d×%d, want 63×70", s.H, s.W)
		}
	}
}

// TestInputDecimatesThenNormalises: Input (decimate, then normalise) gives
// the values of OpenFWI's order (normalise, then data[:, :, ::k, :]) bit for
// bit.
func TestInputDecimatesThenNormalises(t *testing.T) {
	cfg, err := Preset("cpu")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	raw := make([]float32, Shots*NT*Receivers)
	for i := range raw {
		raw[i] = float32(30 * rng.NormFloat64())
	}
	norm := openfwi.Norm{DataMin: -26.95, DataMax: 52.77, LabelMin: 1500, LabelMax: 4500}
	full := make([]float32, len(raw))
	norm.Data(full, raw)
	want := make([]float32, Shots*cfg.Network.InputT()*Receivers)
	decimate(cfg.Network, want, full)
	got := make([]float32, len(want))
	Input(cfg.Network, norm, got, raw, make([]float32, len(raw)))
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("value %d: %g, want %g", i, got[i], want[i])
		}
	}
}
