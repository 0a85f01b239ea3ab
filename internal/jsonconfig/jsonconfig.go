// Package jsonconfig reads configurations: a JSON file decoded strictly
// (unknown fields are errors) and validated, or a built-in preset named on
// the command line. Load and Parse serve wise and models/invnet; Configure
// is the CLI's one path for every training and WISER configuration (file or
// preset, flag overrides, one validation).
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
	c, err := decode[T](b, kind, name)
	if err != nil {
		return nil, err
	}
	if err := P(c).Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// decode decodes b into a new T, rejecting unknown fields.
func decode[T any](b []byte, kind, name string) (*T, error) {
	var c T
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("parsing %s config %s: %w", kind, name, err)
	}
	return &c, nil
}

// Configure is the one path from a configuration argument to a checked
// configuration: arg is read as a file and decoded strictly, or names a
// preset (when it is not an existing file and does not end in ".json");
// override, if not nil, then applies the caller's changes (command-line
// flags), and the result is validated once, after every change, so that a
// change cannot slip an invalid value past a check made before it.
func Configure[T any, P Validator[T]](arg, kind string, preset func(name string) (*T, error), override func(*T)) (*T, error) {
	b, err := os.ReadFile(arg)
	var c *T
	switch {
	case err == nil:
		c, err = decode[T](b, kind, arg)
	case !errors.Is(err, fs.ErrNotExist) || strings.HasSuffix(arg, ".json"):
		err = fmt.Errorf("reading %s config: %w", kind, err)
	default:
		c, err = preset(arg)
	}
	if err != nil {
		return nil, err
	}
	if override != nil {
		override(c)
	}
	if err := P(c).Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", arg, err)
	}
	return c, nil
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
