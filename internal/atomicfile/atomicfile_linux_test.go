package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestWriteRefusesDevicesAndPipes: a character device (made in a temporary
// directory, never /dev itself) and a named pipe are refused and left as
// they are.
func TestWriteRefusesDevicesAndPipes(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	nodes := map[string]string{fifo: "named pipe"}
	dev := filepath.Join(dir, "null")
	// Character device 1:3 (like /dev/null); needs CAP_MKNOD.
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3); err == nil {
		nodes[dev] = "character device"
	} else {
		t.Logf("no device node test: mknod: %v", err)
	}
	for path, what := range nodes {
		err := WriteFile(path, []byte("new"))
		if err == nil || !strings.Contains(err.Error(), what) || !strings.Contains(err.Error(), path) {
			t.Errorf("WriteFile(%s): %v, want a refusal naming the path and %q", path, err, what)
		}
		st, err := os.Lstat(path)
		if err != nil || st.Mode().IsRegular() {
			t.Errorf("%s was replaced by a regular file", path)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(nodes) {
		t.Errorf("temporary files left behind: %v", entries)
	}
}
