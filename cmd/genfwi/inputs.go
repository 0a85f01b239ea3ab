package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"genfwi/experiments"
	"genfwi/fwi/driver"
	"genfwi/internal/atomicfile"
	"genfwi/internal/cli"
	"genfwi/internal/jsonconfig"
	"genfwi/openfwi"
	"genfwi/wavediff"
)

// openVelocity opens the velocity file named by flag; errors name the flag.
func openVelocity(flag, path string) (*openfwi.VelocityFile, error) {
	v, err := openfwi.OpenVelocity(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return v, nil
}

// readVelocityMap reads map k of the velocity file named by flag on the
// nz×nx grid (openfwi.VelocityFile.Resized: NaN/Inf and non-positive
// velocities are refused); a k beyond the file is a usage error.
func readVelocityMap(flag, path string, k, nz, nx int) ([]float32, error) {
	v, err := openVelocity(flag, path)
	if err != nil {
		return nil, err
	}
	defer v.Close()
	if k >= v.N {
		return nil, cli.Usagef("%s %s holds %d maps, no map %d", flag, path, v.N, k)
	}
	m, err := v.Resized(k, nz, nx)
	if err != nil {
		return nil, fmt.Errorf("%s %w", flag, err)
	}
	return m, nil
}

// configFlag reads the --config argument arg, a configuration of kind: a
// file or one of preset, with override (if not nil) applied before its one
// validation (jsonconfig.Configure). Any error is a usage error naming
// --config, in every command that takes one.
func configFlag[T any, P jsonconfig.Validator[T]](arg, kind string, preset func(name string) (*T, error), override func(*T)) (*T, error) {
	c, err := jsonconfig.Configure[T, P](arg, kind, preset, override)
	if err != nil {
		return nil, cli.Usagef("--config: %v", err)
	}
	return c, nil
}

// setIfPositive sets *dst to the flag value v if v > 0: the override rule
// of the flags whose default 0 means "the config's value".
func setIfPositive[T int | float64](dst *T, v T) {
	if v > 0 {
		*dst = v
	}
}

// setIfNonNegative sets *dst to the flag value v if v >= 0: the override
// rule of the flags whose default -1 means "the config's value" (0 is a
// value of its own).
func setIfNonNegative[T int | float64](dst *T, v T) {
	if v >= 0 {
		*dst = v
	}
}

// fileArg is a file named on the command line: its flag and its path.
type fileArg struct{ Flag, Path string }

// checkOutputs refuses, before anything is computed, outputs that cannot be
// written safely: a path that exists and is not a regular file (a symbolic
// link, a directory, a device: atomicfile.CheckTarget), or the same file as
// one of the inputs (os.SameFile). Empty paths and inputs that do not exist
// are skipped (an input's own errors come when it is read).
func checkOutputs(outs, ins []fileArg) error {
	for _, o := range outs {
		if o.Path == "" {
			continue
		}
		if err := atomicfile.CheckTarget(o.Path); err != nil {
			return fmt.Errorf("%s: %w", o.Flag, err)
		}
		ost, err := os.Stat(o.Path)
		if err != nil {
			continue
		}
		for _, in := range ins {
			if in.Path == "" {
				continue
			}
			if ist, err := os.Stat(in.Path); err == nil && os.SameFile(ost, ist) {
				return fmt.Errorf("%s %s is the same file as the input %s %s: refusing to overwrite an input", o.Flag, o.Path, in.Flag, in.Path)
			}
		}
	}
	return nil
}

// checkOutDir refuses, before anything is read, an --out directory that
// exists and is not a directory (checkRunDir) and the files names inside it
// that cannot be written safely (checkOutputs against the inputs ins).
func checkOutDir(out string, names []string, ins ...fileArg) error {
	if err := checkRunDir(out); err != nil {
		return err
	}
	return checkOutputs(inDir("--out", out, names...), ins)
}

// modelFileArg resolves a model flag (run directory or .safetensors) to the
// file it names, for checkOutputs; a path that does not resolve is kept as
// given.
func modelFileArg(flag, arg string) fileArg {
	if arg == "" {
		return fileArg{flag, ""}
	}
	if p, err := wavediff.ModelPath(arg); err == nil {
		return fileArg{flag, p}
	}
	return fileArg{flag, arg}
}

// inDir lists names inside dir as outputs of flag (e.g. "--out").
func inDir(flag, dir string, names ...string) []fileArg {
	out := make([]fileArg, len(names))
	for i, n := range names {
		out[i] = fileArg{flag, filepath.Join(dir, n)}
	}
	return out
}

// sameDir reports whether a and b both exist and are the same directory.
func sameDir(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}

// splitList splits a comma list of names, trimming spaces and dropping empty
// entries.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// lookupDatasets resolves --datasets, a comma list of OpenFWI dataset names;
// an unknown name is a usage error.
func lookupDatasets(list string) ([]openfwi.Dataset, error) {
	var ds []openfwi.Dataset
	for _, n := range splitList(list) {
		d, err := openfwi.Lookup(n)
		if err != nil {
			return nil, cli.Usagef("--datasets: %v", err)
		}
		ds = append(ds, d)
	}
	return ds, nil
}

// inputError names the input of a library error (experiments.InputError,
// driver.InputError: an options field) by its flag: "--real: ...".
func inputError(err error) error {
	var ie *experiments.InputError
	var de *driver.InputError
	switch {
	case errors.As(err, &ie):
		return fmt.Errorf("%s: %w", optionFlag(ie.Input), ie.Err)
	case errors.As(err, &de):
		return fmt.Errorf("%s: %w", optionFlag(de.Input), de.Err)
	}
	return err
}

// optionFlag is the flag of an options field of the libraries.
func optionFlag(field string) string {
	switch field {
	case "SepVelocity":
		return "--separate-velocity"
	case "SepSeismic":
		return "--separate-seismic"
	case "Velocity":
		return "--vel"
	}
	return "--" + strings.ToLower(field)
}
