// Package npy reads and writes numpy .npy files: format versions 1.0 and 2.0
// (and reads 3.0), dtypes little-endian float32 ("<f4") and float64 ("<f8"),
// C (row-major) order.
//
// # Format
//
// A .npy file is the magic "\x93NUMPY", a major and minor version byte, a
// little-endian header length (uint16 for version 1.0, uint32 for 2.0 and
// 3.0), a Python dict literal such as
//
//	{'descr': '<f4', 'fortran_order': False, 'shape': (500, 1, 70, 70), }
//
// padded with spaces and ended by '\n' so that the data start at a multiple of
// 64 bytes, and then the raw array data. The OpenFWI files are version 1.0
// with a 118-byte header, so their data start at byte 128.
//
// # Streaming
//
// OpenFWI seismic files are 700 MB each, so nothing here needs a whole file in
// memory. [Reader] parses the header once and reads any element or sample
// range with ReadAt; it is safe for concurrent use. [FileWriter] creates a
// file for a known shape and accepts samples (slices along the first axis) in
// any order and from many goroutines, then commits it atomically by renaming
// a temporary file in the same directory, so a reader never sees a partial
// file under the final name. [Writer] streams an array sequentially into any
// io.Writer.
//
// # Errors
//
// Fortran order, other dtypes, big-endian data, structured dtypes, truncated
// files and malformed headers are reported as *[FormatError], which names the
// file and the problem. Shape or length mismatches in calls are programmer
// errors and panic with an "npy: ..." message.
package npy
