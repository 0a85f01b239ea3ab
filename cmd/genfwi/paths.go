package main

import (
	"os"
	"path/filepath"
)

// defaultOpenFWIRoot returns the directory of the real OpenFWI velocity maps:
// $GENFWI_OPENFWI if set, else ../shared/data/openfwi relative to the working
// directory (the layout of the genfwi checkout), else the same relative to the
// executable's parent directories.
func defaultOpenFWIRoot() string {
	if d := os.Getenv("GENFWI_OPENFWI"); d != "" {
		return d
	}
	cands := []string{"../shared/data/openfwi", "../../shared/data/openfwi", "../../../shared/data/openfwi"}
	for _, c := range cands {
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			abs, _ := filepath.Abs(c)
			return abs
		}
	}
	return "../shared/data/openfwi"
}
