package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCIGUsage: bad flags of cig build are usage errors (exit 2) before
// anything is read or written.
func TestCIGUsage(t *testing.T) {
	out := filepath.Join(t.TempDir(), "o")
	for _, args := range [][]string{
		{"cig", "build", "--files", "1:10"},               // no --out
		{"cig", "build", "--out", out, "--files", "3:1"},  // reversed range
		{"cig", "build", "--out", out, "--files", "0"},    // file 0
		{"cig", "build", "--out", out, "--files", "1,1"},  // twice
		{"cig", "build", "--out", out, "--offsets", "33"}, // not 21 or 51
		{"cig", "build", "--out", out, "--snr", "-3"},     // negative SNR
		{"cig", "build", "--out", out, "--shard", "2/2"},  // bad shard
		{"cig", "build", "--out", out, "--limit", "-1"},   // negative limit
		{"cig", "build", "--out", out, "--nb", "2"},       // Devito needs >= 4
		{"cig", "manifest"},                               // no directory
	} {
		if code, _ := runCLI(t, args...); code != 2 {
			t.Errorf("genfwi %v: exit %d, want 2", args, code)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a usage error created %s", out)
	}
}

// TestCIGBuildReal builds two pairs from the real CurveVel-A maps, reads them
// back, and checks that the test files are refused without --maxy-from.
func TestCIGBuildReal(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates two WISE pairs")
	}
	maps := filepath.Join(defaultOpenFWIRoot(), "CurveVel_A")
	if _, err := os.Stat(filepath.Join(maps, "model", "model1.npy")); err != nil {
		t.Skip("real CurveVel_A maps not available")
	}
	dir := filepath.Join(t.TempDir(), "train")
	out := runOK(t, "cig", "build", "--maps", maps, "--files", "1", "--limit", "2", "--out", dir, "--json")
	var res struct {
		Pairs    int     `json:"pairs"`
		MaxY     float64 `json:"max_y"`
		Complete bool    `json:"complete"`
	}
	lastJSON(t, out, &res)
	if res.Pairs != 2 || !(res.MaxY > 0) || !res.Complete {
		t.Fatalf("build result %+v", res)
	}
	if code, _ := runCLI(t, "cig", "verify", dir); code != 0 {
		t.Errorf("verify exit %d", code)
	}
	if code, _ := runCLI(t, "cig", "build", "--maps", maps, "--files", "11", "--limit", "1", "--out", filepath.Join(t.TempDir(), "test")); code != 1 {
		t.Errorf("test files without --maxy-from: exit %d, want 1", code)
	}
}
