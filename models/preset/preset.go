// Package preset holds what the model packages (vqae, diffusion, flow,
// invnet) share about their named built-in configurations: the table they
// are looked up in, and the check that the JSON files under configs/ are
// the same values, so that a preset name and its file cannot drift apart.
package preset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Table maps preset names to functions returning a fresh copy of the
// configuration, so that a caller may change the copy freely.
type Table[C any] map[string]func() *C

// Get returns a fresh copy of the named preset; kind names the model
// ("vqae") in the error for an unknown name.
func (t Table[C]) Get(kind, name string) (*C, error) {
	mk, ok := t[name]
	if !ok {
		return nil, fmt.Errorf("unknown %s preset %q (have %s)", kind, name, strings.Join(t.Names(), ", "))
	}
	return mk(), nil
}

// Names lists the presets, sorted.
func (t Table[C]) Names() []string {
	s := make([]string, 0, len(t))
	for k := range t {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// Marshal returns the preset file content of c: indented JSON and a final
// newline.
func Marshal(c any) ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// CheckFiles checks that dir/<kind>-<name>.json holds Marshal(get(name))
// for every name and that load accepts the file. With update it first
// rewrites the files from the presets. The errors name the file and say how
// to regenerate it (pkg is the package path for go test).
func CheckFiles[C any](dir, kind, pkg string, names []string, get func(string) (*C, error), load func(string) (*C, error), update bool) error {
	var errs []error
	for _, name := range names {
		c, err := get(name)
		if err != nil {
			return err
		}
		want, err := Marshal(c)
		if err != nil {
			return err
		}
		path := filepath.Join(dir, kind+"-"+name+".json")
		if update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				return err
			}
		}
		regen := fmt.Sprintf("run go test %s -run TestPresetFiles -update", pkg)
		got, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w (%s)", err, regen))
			continue
		}
		if !bytes.Equal(got, want) {
			errs = append(errs, fmt.Errorf("%s differs from preset %q (%s)", path, name, regen))
		}
		if _, err := load(path); err != nil {
			errs = append(errs, fmt.Errorf("loading %s: %w", path, err))
		}
	}
	return errors.Join(errs...)
}
