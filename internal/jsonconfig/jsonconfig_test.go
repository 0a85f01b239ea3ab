package jsonconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type testConfig struct {
	Name  string `json:"name"`
	Steps int    `json:"steps"`
}

func (c *testConfig) Validate() error {
	if c.Steps < 1 {
		return errors.New("steps must be >= 1")
	}
	return nil
}

func testPreset(name string) (*testConfig, error) {
	if name != "cpu" {
		return nil, errors.New("unknown test preset " + name)
	}
	return &testConfig{Name: "cpu", Steps: 10}, nil
}

func TestConfigure(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.json")
	if err := os.WriteFile(file, []byte(`{"name": "f", "steps": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"name": "f", "steps": 3, "lr": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err := Configure(file, "test", testPreset, nil); err != nil || c.Steps != 3 {
		t.Errorf("file: %+v, %v", c, err)
	}
	if c, err := Configure("cpu", "test", testPreset, func(c *testConfig) { c.Steps = 20 }); err != nil || c.Steps != 20 || c.Name != "cpu" {
		t.Errorf("preset with override: %+v, %v", c, err)
	}
	// An override is validated like the file: one check after every change.
	if _, err := Configure(file, "test", testPreset, func(c *testConfig) { c.Steps = 0 }); err == nil || !strings.Contains(err.Error(), "steps must be") {
		t.Errorf("invalid override: %v", err)
	}
	for arg, want := range map[string]string{bad: `unknown field "lr"`, "gpu": "unknown test preset", filepath.Join(dir, "none.json"): "reading test config"} {
		if _, err := Configure(arg, "test", testPreset, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", arg, err, want)
		}
	}
}
