package experiments

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genfwi/npy"
	"genfwi/openfwi"
	"genfwi/wavediff"
)

// writeBaselineEval writes one evaluation as "genfwi invert" does: the
// predictions (truth plus noise of sd m/s) and invert.json with their scores.
func writeBaselineEval(t *testing.T, root, fam, tag string, truth []float32, n int, sd float64, rng *rand.Rand) {
	t.Helper()
	dir := filepath.Join(root, fam, "eval-"+tag)
	pred := make([]float32, len(truth))
	for i, v := range truth {
		pred[i] = v + float32(sd*rng.NormFloat64())
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeVelocity(dir, "", n, pred); err != nil {
		t.Fatal(err)
	}
	a, b := wavediff.VelocityScores(truth, pred)
	res := []InversionScores{{Velocity: &a, VelocityMS: &b}}
	if err := writeSummary(filepath.Join(dir, "invert.json"), map[string]any{"samples": "0:3"}, n, res, "test"); err != nil {
		t.Fatal(err)
	}
}

// TestBaselinesStudy: the collection reads every finished evaluation, puts
// the paper's row beside ours, checks the claims on our numbers (true and
// false cases), and draws the figures; a badly named evaluation is an error.
func TestBaselinesStudy(t *testing.T) {
	root := t.TempDir()
	const n = 3
	rng := rand.New(rand.NewPCG(3, 4))
	truth := make([]float32, n*openfwi.ModelLen)
	for k := range n {
		for z := range openfwi.NZ {
			for x := range openfwi.NX {
				truth[(k*openfwi.NZ+z)*openfwi.NX+x] = float32(1600 + 40*z + 10*k + 3*x)
			}
		}
	}
	for _, fam := range []string{"CurveVel_A", "FlatVel_A"} {
		if err := os.MkdirAll(filepath.Join(root, "test", fam, "model"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := npy.WriteFileFloat32(filepath.Join(root, "test", fam, "model", "model11.npy"), npy.Float32, []int{n, 1, openfwi.NZ, openfwi.NX}, truth); err != nil {
			t.Fatal(err)
		}
	}
	// CurveVel: Gen+1 % better than 1 % Only, PureGen close to Full;
	// FlatVel: the reverse. Under noise WaveDiffusion loses little,
	// InversionNet much.
	sds := map[string]map[string]float64{
		"CurveVel_A": {"invnet-puregen-noise0": 120, "invnet-gen1-noise0": 150, "invnet-one-noise0": 500, "invnet-full-noise0": 100,
			"invnet-full-noise0.05": 700, "wavediffusion-full-noise0": 200, "wavediffusion-full-noise0.05": 220, "velocitygan-full-noise0": 90, "invnet-full-aug-noise0.05": 150,
			// VelocityGAN: 1 % Only as good as Full, so PureGen has no gap to approach.
			"velocitygan-one-noise0": 90, "velocitygan-puregen-noise0": 400},
		"FlatVel_A": {"invnet-puregen-noise0": 800, "invnet-gen1-noise0": 400, "invnet-one-noise0": 200, "invnet-full-noise0": 50},
	}
	for fam, m := range sds {
		for tag, sd := range m {
			writeBaselineEval(t, root, fam, tag, truth, n, sd, rng)
		}
	}
	// An unfinished evaluation (no invert.json) is left out.
	if err := os.MkdirAll(filepath.Join(root, "CurveVel_A", "eval-upfwi-full-noise0"), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := BaselinesStudy(root, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rows) != 15 {
		t.Fatalf("%d rows, want 15", len(s.Rows))
	}
	if r := s.Rows[0]; r.Family != "CurveVel_A" || r.Model != "invnet" || r.Regime != RegimePureGen || r.Paper == nil || r.Paper.SSIM != 0.5204 {
		t.Errorf("first row %+v, want CurveVel_A InversionNet PureGen with the paper's Table 7 row", r)
	}
	if r := findRow(s.Rows, "CurveVel_A", "invnet", RegimeFull, 0.05); r == nil || r.Paper == nil || r.Paper.MAE != 0.9069 || r.Paper.RMSE != 1.0701 {
		t.Errorf("noisy InversionNet row %+v, want Table 8 (MAE 0.9069, RMSE 1.0701)", r)
	}
	verdicts := map[string]string{}
	for _, c := range s.Claims {
		verdicts[c.Claim] = c.Verdict
	}
	want := map[string]string{
		"CurveVel_A, InversionNet: Gen+1% beats 1% Only":                                                      VerdictHolds,
		"FlatVel_A, InversionNet: Gen+1% beats 1% Only":                                                       VerdictFails,
		"CurveVel_A, InversionNet: PureGen approaches Full":                                                   VerdictHolds,
		"FlatVel_A, InversionNet: PureGen approaches Full":                                                    VerdictFails,
		"CurveVel_A, VelocityGAN: PureGen approaches Full":                                                    VerdictUntestable,
		"CurveVel_A: WaveDiffusion degrades less under σ = 0.05 noise than InversionNet (both trained clean)": VerdictHolds,
	}
	for c, w := range want {
		if v, ok := verdicts[c]; !ok || v != w {
			t.Errorf("claim %q: verdict %q (present %v), want %q; all: %+v", c, v, ok, w, s.Claims)
		}
	}
	if len(s.Claims) != len(want) {
		t.Errorf("%d claims, want %d: %+v", len(s.Claims), len(want), s.Claims)
	}
	md, err := os.ReadFile(filepath.Join(root, "results.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"| InversionNet | Full | 0 |", "0.6661 | Table 7 (CVB) |", "| InversionNet | Full | 0.05 |", "| fails |", "| untestable |",
		"noise-trained models (σ drawn per training sample from [0, 0.1]), clean and noisy test input\n\n| model | trained on | test noise σ | MAE | RMSE | SSIM | MAE (m/s) | paper MAE | paper RMSE | paper SSIM | paper source |\n|---|---|---|---|---|---|---|---|---|---|---|\n| InversionNet | Full, noise-trained | 0.05 |"} {
		if !strings.Contains(string(md), w) {
			t.Errorf("results.md lacks %q:\n%s", w, md)
		}
	}
	for _, f := range []string{"results.csv", "results.json", "CurveVel_A/regimes-invnet.png", "CurveVel_A/regimes-velocitygan.png",
		"CurveVel_A/noise.png", "FlatVel_A/regimes-invnet.png"} {
		if st, err := os.Stat(filepath.Join(root, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "FlatVel_A", "noise.png")); err == nil {
		t.Error("FlatVel_A/noise.png drawn without noisy evaluations")
	}
	// A directory named outside the grammar is an error naming it.
	writeBaselineEval(t, root, "CurveVel_A", "invnet-half-noise0", truth, n, 10, rng)
	if _, err := BaselinesStudy(root, 0); err == nil || !strings.Contains(err.Error(), "eval-invnet-half-noise0") {
		t.Errorf("bad regime: %v", err)
	}
}
