package openfwi

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindDatasets(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"A", "B/C", "empty"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"A", "B/C"} {
		if err := os.WriteFile(filepath.Join(root, d, "manifest.json"), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := FindDatasets([]string{root, filepath.Join(root, "A")})
	want := []string{filepath.Join(root, "A"), filepath.Join(root, "B", "C"), filepath.Join(root, "A")}
	if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("FindDatasets = %v, %v; want %v", got, err, want)
	}
	if _, err := FindDatasets([]string{filepath.Join(root, "empty")}); err == nil || !strings.Contains(err.Error(), "no manifest.json") {
		t.Errorf("a directory without a dataset: %v", err)
	}
}
