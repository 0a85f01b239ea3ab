// Package jsonconfig reads the training configurations of wise and
// models/invnet: a JSON file decoded strictly (unknown fields are errors)
// and validated, or a built-in preset named on the command line.
package jsonconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Validator is a configuration that can check itself.
type Validator[T any] interface {
	*T
	Validate() error
}

// Parse decodes b into a new T, rejecting unknown fields, and validates it.
// kind names the configuration ("wise", "invnet") and name its source in
// error messages.
func Parse[T any, P Validator[T]](b []byte, kind, name string) (*T, error) {
	var c T
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("parsing %s config %s: %w", kind, name, err)
	}
	if err := P(&c).Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &c, nil
}

// Load reads the configuration file arg with parse, or returns preset(arg)
// when arg is not an existing file and does not end in ".json". kind names
// the configuration in error messages.
func Load[T any](arg, kind string, parse func(b []byte, name string) (*T, error), preset func(name string) (*T, error)) (*T, error) {
	b, err := os.ReadFile(arg)
	if err == nil {
		return parse(b, arg)
	}
	if !errors.Is(err, fs.ErrNotExist) || strings.HasSuffix(arg, ".json") {
		return nil, fmt.Errorf("reading %s config: %w", kind, err)
	}
	return preset(arg)
}
