package experiments

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genfwi/npy"
	"genfwi/openfwi"
	"genfwi/wavediff"
)

func TestMonotoneFraction(t *testing.T) {
	pt := func(x float64) wavediff.CurvePoint {
		var p wavediff.CurvePoint
		p.Stats.MeanMSENorm = x
		return p
	}
	ps := []wavediff.CurvePoint{pt(4), pt(3), pt(3), pt(5), pt(1)}
	if got := MonotoneFraction(ps, false); got != 0.75 {
		t.Errorf("non-increasing fraction %v, want 0.75", got)
	}
	if got := MonotoneFraction(ps, true); got != 0.5 {
		t.Errorf("non-decreasing fraction %v, want 0.5", got)
	}
	if got := MonotoneFraction(ps[:1], true); got != 1 {
		t.Errorf("one point: %v, want 1", got)
	}
}

func TestFDMarkdown(t *testing.T) {
	r := &FDResult{Rows: []FDRow{{Setup: "joint", FDVelocity: 1.5, FDSeismic: 2.5}, {Setup: "separate", FDVelocity: 3, FDSeismic: 4}},
		FloorVel: 0.25, FloorSeis: 0.5}
	md := r.markdown()
	for _, want := range []string{"| velocity | joint | 1.5 |", "| seismic | separate | 4 |", "| seismic | real half vs real half (floor) | 0.5 |", "| joint | 0 | 0 | 0 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
}

// TestWriteReport writes a report from two results and checks that the
// sections of the missing ones are left out.
func TestWriteReport(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("runs-pairs.json", `{"pairs": 40, "seconds": 12.5}`)
	write("pde.json", `{"reverse_T_over_0": 7.5, "forward": [{"level": 0, "noise_pct": 0, "deviation": {"mean_mse_norm": 0.01}}],
		"floors": {"autoencoder": {"mean_mse_norm": 0.002}}}`)
	if err := WriteReport(ReportOptions{Dir: dir, Short: true, Seconds: 60}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "REPORT.md"))
	if err != nil {
		t.Fatal(err)
	}
	rep := string(b)
	for _, want := range []string{"SHORT run", "40 pairs", "×7.5 from t = T to t = 0 (meets the ≥ 5× target)", "| forward | 0 | 0.0 | 0.01 |"} {
		if !strings.Contains(rep, want) {
			t.Errorf("report lacks %q:\n%s", want, rep)
		}
	}
	for _, absent := range []string{"## Joint generation", "## FD-proxy", "## WISE and WISER"} {
		if strings.Contains(rep, absent) {
			t.Errorf("report has %q without its result", absent)
		}
	}
}

func TestRealPairs(t *testing.T) {
	dir := t.TempDir()
	small, maps := filepath.Join(dir, "small.npy"), filepath.Join(dir, "maps.npy")
	if err := npy.WriteFileFloat32(small, npy.Float32, []int{1, 1, 10, 10}, make([]float32, 100)); err != nil {
		t.Fatal(err)
	}
	v := make([]float32, 2*openfwi.ModelLen)
	for i := range v {
		v[i] = 2000 + float32(i%openfwi.ModelLen/openfwi.NX)*20
	}
	if err := npy.WriteFileFloat32(maps, npy.Float32, []int{2, 1, openfwi.NZ, openfwi.NX}, v); err != nil {
		t.Fatal(err)
	}
	if _, _, err := RealPairs(context.Background(), small, 0, 1, nil); err == nil || !strings.Contains(err.Error(), "70×70") {
		t.Errorf("10×10 maps: %v, want an error naming the 70×70 the forward model needs", err)
	}
	if _, _, err := RealPairs(context.Background(), maps, 2, 4, nil); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("range beyond the file: %v", err)
	}
	if testing.Short() {
		return
	}
	vels, seis, err := RealPairs(context.Background(), maps, 1, 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(vels) != openfwi.ModelLen || len(seis) != openfwi.DataLen || vels[0] != v[openfwi.ModelLen] {
		t.Errorf("maps 1:5 of 2: %d velocities, %d seismic values; want map 1 and its data", len(vels), len(seis))
	}
}
