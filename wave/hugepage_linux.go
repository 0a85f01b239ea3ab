//go:build linux

package wave

import (
	"syscall"
	"unsafe"
)

// adviseHuge asks Linux to back the 2 MiB-aligned part of b with transparent
// huge pages (madvise MADV_HUGEPAGE; the system default here is "madvise",
// and the Go runtime does not ask for them). The tape is streamed through
// once per sweep, and with 4 KiB pages every 4 KiB costs a TLB miss and stops
// the hardware prefetchers. It is only a hint: errors are ignored, and pages
// already faulted in keep their size until khugepaged collapses them.
func adviseHuge[T float](b []T) {
	const huge = 2 << 20
	if len(b) == 0 {
		return
	}
	size := uintptr(len(b)) * unsafe.Sizeof(b[0])
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := (start + huge - 1) &^ (huge - 1)
	hi := (start + size) &^ (huge - 1)
	if hi <= lo {
		return
	}
	p := unsafe.Add(unsafe.Pointer(unsafe.SliceData(b)), lo-start)
	_ = syscall.Madvise(unsafe.Slice((*byte)(p), hi-lo), syscall.MADV_HUGEPAGE)
}
