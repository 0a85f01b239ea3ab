// Package flock is the exclusive inter-process lock that serialises the
// manifest merges of the resumable dataset builders (openfwi, cig): flock(2)
// on Unix, released by the kernel when the holder dies; elsewhere an O_EXCL
// lock file, taken over after a minute.
package flock
