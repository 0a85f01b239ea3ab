package filebuild

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// TestBuildBookkeeping walks one group through the states a build sees: a
// fresh directory, a group with an entry and intact files, a damaged file,
// an entry or a directory of another configuration, and leftover
// temporaries.
func TestBuildBookkeeping(t *testing.T) {
	out := t.TempDir()
	conf := map[string]int{"files": 2}
	cid, err := ConfigID(conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := openDir(out, cid, conf, writeJSON); err != nil {
		t.Fatal(err)
	}
	if err := openDir(out, cid, conf, writeJSON); err != nil {
		t.Fatalf("reopening with the same configuration: %v", err)
	}
	if err := openDir(out, "other", conf, writeJSON); err == nil || !strings.Contains(err.Error(), "different configuration") {
		t.Fatalf("reopening with another configuration: %v", err)
	}

	type entry struct {
		ConfigID string `json:"config_id"`
		File     File   `json:"file"`
	}
	var e entry
	if ok, err := ReadEntry(out, 1, cid, &e); ok || err != nil {
		t.Fatalf("missing entry: %v, %v", ok, err)
	}
	data := filepath.Join(out, "data1.bin")
	if err := os.WriteFile(data, []byte("pairs"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, size, err := Describe(data)
	if err != nil || size != 5 {
		t.Fatalf("Describe: %q, %d, %v", sum, size, err)
	}
	f := File{Path: "data1.bin", Size: size, SHA256: sum}
	if err := writeJSON(EntryPath(out, 1), entry{ConfigID: cid, File: f}); err != nil {
		t.Fatal(err)
	}
	done := func(id int) (bool, error) {
		var e entry
		if ok, err := ReadEntry(out, id, cid, &e); !ok || err != nil {
			return false, err
		}
		return Intact(out, []File{e.File}, true), nil
	}
	todo, skipped, total, err := pending([]int{0, 1, 2, 3}, 1, 2, func(id int) int { return id }, func(int) int { return 10 }, done)
	if err != nil || !slices.Equal(todo, []int{3}) || !slices.Equal(skipped, []int{1}) || total != 10 {
		t.Fatalf("shard 1/2: todo %v, skipped %v, total %d, %v", todo, skipped, total, err)
	}
	if err := os.WriteFile(data, []byte("PAIRS"), 0o644); err != nil {
		t.Fatal(err)
	}
	if Intact(out, []File{f}, false) != true || Intact(out, []File{f}, true) != false {
		t.Error("a changed file of the same size: intact by size, not by checksum")
	}
	if err := writeJSON(EntryPath(out, 1), entry{ConfigID: "other"}); err != nil {
		t.Fatal(err)
	}
	if _, err := done(1); err == nil || !strings.Contains(err.Error(), "different configuration") {
		t.Errorf("entry of another configuration: %v", err)
	}

	tmp := filepath.Join(out, ".data1.bin.partial-123")
	if err := os.WriteFile(tmp, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if p := Partials(out); !slices.Equal(p, []string{".data1.bin.partial-123"}) {
		t.Errorf("Partials: %q", p)
	}
	RemovePartials(data)
	if p := Partials(out); len(p) != 0 {
		t.Errorf("after RemovePartials: %q", p)
	}
}
