//go:build !unix

package flock

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// staleLock is the age after which a lock file is taken to be left behind by
// a killed process (a manifest merge takes milliseconds).
const staleLock = time.Minute

// Lock takes an exclusive lock by creating path with O_EXCL, retrying
// until it can, and returns the function that releases it (removes the
// file). A lock file older than staleLock is removed first.
func Lock(path string) (unlock func(), err error) {
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("creating lock %s: %w", path, err)
		}
		if st, err := os.Stat(path); err == nil && time.Since(st.ModTime()) > staleLock {
			os.Remove(path)
			continue
		}
		time.Sleep(10 * time.Millisecond)
	}
}
