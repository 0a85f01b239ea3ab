// Package nntest provides helpers for the tests of packages whose networks
// are saved and loaded as nn checkpoints.
package nntest

import (
	"path/filepath"
	"testing"
)

// RoundTrip saves a network with save, as file name in a temporary
// directory of t and with the extra metadata extra, and loads it back with
// load, failing t if either returns an error. It returns the loaded
// network, its metadata and the file's path.
func RoundTrip[N any](t testing.TB, name string, save func(path string, extra map[string]string) error, extra map[string]string,
	load func(path string) (N, map[string]string, error)) (N, map[string]string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := save(path, extra); err != nil {
		t.Fatal(err)
	}
	n, meta, err := load(path)
	if err != nil {
		t.Fatal(err)
	}
	return n, meta, path
}
