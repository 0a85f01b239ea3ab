package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"genfwi/openfwi"
)

// runCLI runs one genfwi command line in-process and returns its exit status
// and stdout.
func runCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	if code != 0 {
		t.Logf("genfwi %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
	}
	return code, out.String()
}

// runOK is runCLI for a command line that must succeed: it fails t on a
// non-zero exit status and returns stdout.
func runOK(t *testing.T, args ...string) string {
	t.Helper()
	code, out := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("genfwi %s: exit %d", strings.Join(args, " "), code)
	}
	return out
}

func lastJSON(t *testing.T, s string, v any) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), v); err != nil {
		t.Fatalf("last stdout line %q is not JSON: %v", lines[len(lines)-1], err)
	}
}

func TestDatasetBuildVerifyGallery(t *testing.T) {
	dir := t.TempDir()
	build := []string{"dataset", "build", "--source", "gen", "--datasets", "flatfault-a", "--files", "2", "--per-file", "2", "--out", dir, "--json"}
	out := runOK(t, build...)
	var res struct {
		Samples int     `json:"samples_simulated"`
		Rate    float64 `json:"samples_per_hour"`
	}
	lastJSON(t, out, &res)
	if res.Samples != 4 || res.Rate <= 0 {
		t.Errorf("build result %+v", res)
	}
	// Fault naming: vel{L}_1_{k} with L cycling through 2, 3, 4.
	wantFiles(t, filepath.Join(dir, "FlatFault_A"), "vel2_1_0.npy", "seis2_1_0.npy", "vel3_1_0.npy", "seis3_1_0.npy", "manifest.json")
	code, out := runCLI(t, "dataset", "verify", "--json", dir)
	var v struct {
		OK bool `json:"ok"`
	}
	lastJSON(t, out, &v)
	if code != 0 || !v.OK {
		t.Fatalf("verify exit %d, %s", code, out)
	}
	// Rerun: nothing to do.
	code, out = runCLI(t, build...)
	if code != 0 || !strings.Contains(out, `"samples_simulated":0`) {
		t.Errorf("rerun exit %d: %s", code, out)
	}
	// Corrupt a file: verify fails with status 1.
	p := filepath.Join(dir, "FlatFault_A", "seis3_1_0.npy")
	b, _ := os.ReadFile(p)
	b[len(b)-1] ^= 0x40
	os.WriteFile(p, b, 0o644)
	if code, _ := runCLI(t, "dataset", "verify", dir); code != 1 {
		t.Errorf("verify of a corrupted dataset: exit %d, want 1", code)
	}
	png := filepath.Join(dir, "g.png")
	if code, _ := runCLI(t, "dataset", "gallery", "--out", png, "--datasets", "flatvel-a,style-b", "--n", "1"); code != 0 {
		t.Fatalf("gallery exit %d", code)
	}
	if st, err := os.Stat(png); err != nil || st.Size() < 1000 {
		t.Errorf("gallery PNG: %v", err)
	}
	for _, bad := range [][]string{
		{"dataset"},
		{"dataset", "frobnicate"},
		{"dataset", "build", "--out", dir, "--shard", "2/2"},
		{"dataset", "build", "--out", dir, "--datasets", "marmousi"},
		{"dataset", "build"},
	} {
		if code, _ := runCLI(t, bad...); code != 2 {
			t.Errorf("genfwi %s: exit %d, want 2", strings.Join(bad, " "), code)
		}
	}
}

// TestDatasetHelperProcess is not a test: TestDatasetBuildSurvivesKill runs
// the test binary with GENFWI_DATASET_HELPER=1 to get a genfwi process it can
// kill.
func TestDatasetHelperProcess(t *testing.T) {
	if os.Getenv("GENFWI_DATASET_HELPER") != "1" {
		return
	}
	args := strings.Split(os.Getenv("GENFWI_DATASET_ARGS"), "\x1f")
	os.Exit(run(context.Background(), args, os.Stdout, os.Stderr))
}

func TestDatasetBuildSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a dataset build (about 10 s)")
	}
	base := t.TempDir()
	args := func(out string) []string {
		return []string{"dataset", "build", "--source", "gen", "--datasets", "curvevel-a", "--files", "3", "--per-file", "4", "--workers", "2", "--out", out}
	}
	// Reference: an uninterrupted build.
	ref := filepath.Join(base, "ref")
	if code, _ := runCLI(t, args(ref)...); code != 0 {
		t.Fatal("reference build failed")
	}
	killed := filepath.Join(base, "killed")
	for round := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDatasetHelperProcess$")
		cmd.Env = append(os.Environ(), "GENFWI_DATASET_HELPER=1", "GENFWI_DATASET_ARGS="+strings.Join(args(killed), "\x1f"))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill it in the middle of a file: once the first (round 0) or
		// second (round 1) entry exists, wait a little more.
		entry := filepath.Join(killed, "CurveVel_A", ".manifest.d", []string{"file00000.json", "file00001.json"}[round])
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			if _, err := os.Stat(entry); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
	}
	entries, _ := filepath.Glob(filepath.Join(killed, "CurveVel_A", ".manifest.d", "file*.json"))
	partial, _ := filepath.Glob(filepath.Join(killed, "CurveVel_A", "*", ".*.partial-*"))
	t.Logf("after two kills: %d of 3 files complete, %d partial files left", len(entries), len(partial))
	if code, _ := runCLI(t, args(killed)...); code != 0 {
		t.Fatal("resumed build failed")
	}
	if code, out := runCLI(t, "dataset", "verify", killed); code != 0 {
		t.Fatalf("verify after kill and resume: %s", out)
	}
	mr, err := openfwi.ReadManifest(filepath.Join(ref, "CurveVel_A"))
	if err != nil {
		t.Fatal(err)
	}
	mk, err := openfwi.ReadManifest(filepath.Join(killed, "CurveVel_A"))
	if err != nil {
		t.Fatal(err)
	}
	if len(mk.Files) != 3 {
		t.Fatalf("%d files after resume", len(mk.Files))
	}
	for i := range mr.Files {
		if mr.Files[i].DataSHA256 != mk.Files[i].DataSHA256 || mr.Files[i].ModelSHA256 != mk.Files[i].ModelSHA256 {
			t.Errorf("file %d differs from the uninterrupted build", i)
		}
	}
}
