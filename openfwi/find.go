package openfwi

import (
	"fmt"
	"os"
	"path/filepath"
)

// FindDatasets returns the built datasets under each root: the root itself
// when it holds a manifest.json, else every directory below it that does. A
// root without any is an error (not a genfwi-built dataset).
func FindDatasets(roots []string) ([]string, error) {
	var dirs []string
	for _, root := range roots {
		if _, err := os.Stat(filepath.Join(root, "manifest.json")); err == nil {
			dirs = append(dirs, root)
			continue
		}
		found := false
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && d.Name() == "manifest.json" {
				dirs, found = append(dirs, filepath.Dir(p)), true
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("scanning %s: %w", root, err)
		}
		if !found {
			return nil, fmt.Errorf("%s: no manifest.json found (not a genfwi-built dataset)", root)
		}
	}
	return dirs, nil
}
