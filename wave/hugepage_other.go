//go:build !linux

package wave

// adviseHuge is a no-op outside Linux (see hugepage_linux.go).
func adviseHuge[T float](b []T) {}
