// Package preset holds what the model packages (vqae, diffusion, flow,
// invnet) share about their configurations: the table of named built-in
// presets, the strict reading of a JSON configuration file and the format
// of the preset files under configs/. Its test checks that those files hold
// the presets' values, so that a preset name and its file cannot drift
// apart.
package preset

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"genfwi/internal/jsonconfig"
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

// ReadFile reads and validates the JSON configuration file path (unknown
// fields are errors, so that typos do not pass silently); kind names the
// model in error messages.
func ReadFile[C any, P jsonconfig.Validator[C]](path, kind string) (*C, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s config: %w", kind, err)
	}
	return jsonconfig.Parse[C, P](b, kind, path)
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
