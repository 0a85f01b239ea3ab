package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestDatasetMapsFallback: "dataset maps" with a missing --prefer root (the
// demo without ../shared) writes and selects generated maps; run again with
// the generated root preferred it selects that root, reported as generated.
func TestDatasetMapsFallback(t *testing.T) {
	dir := t.TempDir()
	gen := filepath.Join(dir, "openfwi-gen")
	out := runOK(t, "dataset", "maps", "--prefer", filepath.Join(dir, "missing"), "--out", gen, "--per-file", "3")
	if got := strings.TrimSpace(out); got != gen {
		t.Fatalf("selected %q, want %q", got, gen)
	}
	wantFiles(t, gen, "GENERATED.json", "FlatVel_A/model/model1.npy", "CurveVel_A/model/model12.npy")
	code, out := runCLI(t, "dataset", "maps", "--prefer", gen, "--out", filepath.Join(dir, "other"), "--per-file", "3", "--json")
	var c struct {
		Root      string `json:"root"`
		Generated bool   `json:"generated"`
	}
	lastJSON(t, out, &c)
	if code != 0 || c.Root != gen || !c.Generated {
		t.Fatalf("exit %d, choice %+v", code, c)
	}
	if code, _ := runCLI(t, "dataset", "maps", "--out", gen, "--files", "0"); code != 2 {
		t.Errorf("--files 0: exit %d, want 2", code)
	}
}
