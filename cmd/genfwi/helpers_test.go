package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genfwi/npy"
)

// writeNPY writes v as a float32 .npy file of the given shape, failing t if
// it cannot, so that a broken fixture stops the test instead of surfacing as
// a confusing command error.
func writeNPY(t *testing.T, path string, shape []int, v []float32) {
	t.Helper()
	if err := npy.WriteFileFloat32(path, npy.Float32, shape, v); err != nil {
		t.Fatal(err)
	}
}

// wantFiles reports each of names that does not exist in dir.
func wantFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, f := range names {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// exitCase is a genfwi command line that must exit with code and mention
// want on stderr.
type exitCase struct {
	args []string
	code int
	want string
}

// checkExits runs each case in-process and reports those whose exit status
// or stderr differ from what the case wants.
func checkExits(t *testing.T, cases []exitCase) {
	t.Helper()
	for _, c := range cases {
		code, _, stderr := cliRun(c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("genfwi %s: exit %d, stderr %q; want exit %d mentioning %q", strings.Join(c.args, " "), code, stderr, c.code, c.want)
		}
	}
}
