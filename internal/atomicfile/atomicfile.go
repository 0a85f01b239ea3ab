// Package atomicfile writes files so that readers see either the old file or
// the complete new one, never a partial write: the data go to a temporary
// file in the destination's directory, which is synced, made world-readable
// (0644) and renamed over the destination. On any error the temporary file
// is removed and the destination is untouched.
//
// It is the one implementation of genfwi's "write to a temp file, then
// rename" rule, shared by every package that writes results or checkpoints.
// A destination is only ever a regular file or nothing: Write, Rename and
// CheckTarget refuse to replace a symbolic link, a directory, a device, a
// named pipe or a socket.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// CheckTarget returns nil if path names nothing or a regular file, the only
// destinations genfwi replaces, and otherwise an error that names path and
// what it is (a symbolic link is not followed: it is refused as such).
func CheckTarget(path string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	m := st.Mode()
	if m.IsRegular() {
		return nil
	}
	what := "not a regular file"
	switch {
	case m&fs.ModeSymlink != 0:
		what = "a symbolic link"
	case m.IsDir():
		what = "a directory"
	case m&fs.ModeCharDevice != 0:
		what = "a character device"
	case m&fs.ModeDevice != 0:
		what = "a device"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	}
	return fmt.Errorf("refusing to replace %s: it is %s (only a regular file or a new path is written)", path, what)
}

// Rename renames the finished temporary file tmp to path after CheckTarget
// allows path. It is the last step of every atomic write.
func Rename(tmp, path string) error {
	if err := CheckTarget(path); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Write creates path atomically with the bytes fill writes to w (buffered).
// Errors name path. A path that exists and is not a regular file is refused
// (CheckTarget) before fill runs and again before the rename.
func Write(path string, fill func(w io.Writer) error) (err error) {
	if err := CheckTarget(path); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("writing %s: %w", path, err)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err = fill(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return Rename(f.Name(), path)
}

// WriteFile creates path atomically with contents b.
func WriteFile(path string, b []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}
