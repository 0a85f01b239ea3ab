package npy

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// magic is the first six bytes of every .npy file.
const magic = "\x93NUMPY"

// maxHeaderLen bounds the header size accepted by the parser, so that a
// corrupt length field cannot make us allocate gigabytes. numpy's own default
// limit (max_header_size) is 10 000 bytes; real headers are about 120 bytes.
const maxHeaderLen = 1 << 20

// align is the alignment of the data offset used when writing (numpy uses 64
// since version 1.22; older files use 16, which the reader also accepts).
const align = 64

// DType is the element type of an array. Only little-endian IEEE floats are
// supported.
type DType int

const (
	// Float32 is "<f4", 4 bytes per element.
	Float32 DType = iota + 1
	// Float64 is "<f8", 8 bytes per element.
	Float64
)

// Size returns the number of bytes per element. It panics for an invalid DType.
func (d DType) Size() int {
	switch d {
	case Float32:
		return 4
	case Float64:
		return 8
	}
	panic("npy: invalid DType")
}

// Descr returns the numpy descr string ("<f4" or "<f8"). It panics for an
// invalid DType.
func (d DType) Descr() string {
	switch d {
	case Float32:
		return "<f4"
	case Float64:
		return "<f8"
	}
	panic("npy: invalid DType")
}

// String returns the descr string, or "DType(n)" for an invalid value.
func (d DType) String() string {
	if d == Float32 || d == Float64 {
		return d.Descr()
	}
	return fmt.Sprintf("DType(%d)", int(d))
}

// Header is the parsed header of a .npy file.
type Header struct {
	// Major and Minor are the format version (1.0, 2.0 or 3.0).
	Major, Minor int
	// DType is the element type.
	DType DType
	// Shape is the array shape in C order; empty for a 0-d (scalar) array.
	Shape []int
	// DataOffset is the byte offset of the first element in the file.
	DataOffset int64
}

// Len returns the number of elements, the product of Shape (1 for a 0-d array).
func (h Header) Len() int64 {
	n := int64(1)
	for _, d := range h.Shape {
		n *= int64(d)
	}
	return n
}

// DataBytes returns the size in bytes of the array data.
func (h Header) DataBytes() int64 { return h.Len() * int64(h.DType.Size()) }

// Samples returns the number of samples, i.e. the length of the first axis
// (1 for a 0-d array).
func (h Header) Samples() int {
	if len(h.Shape) == 0 {
		return 1
	}
	return h.Shape[0]
}

// SampleLen returns the number of elements in one sample: the product of
// Shape[1:] (1 for 0-d and 1-d arrays).
func (h Header) SampleLen() int {
	n := 1
	for i := 1; i < len(h.Shape); i++ {
		n *= h.Shape[i]
	}
	return n
}

// FormatError reports a malformed, unsupported or truncated .npy file.
type FormatError struct {
	// Name is the file name, or a description of the stream.
	Name string
	// Problem says what is wrong.
	Problem string
}

func (e *FormatError) Error() string {
	if e.Name == "" {
		return "npy: " + e.Problem
	}
	return e.Name + ": npy: " + e.Problem
}

func formatErr(name, format string, args ...any) error {
	return &FormatError{Name: name, Problem: fmt.Sprintf(format, args...)}
}

// ReadHeader reads and parses the header at the start of r. name is used in
// error messages only. It reads exactly DataOffset bytes on success.
func ReadHeader(r io.Reader, name string) (*Header, error) {
	var pre [12]byte
	if n, err := io.ReadFull(r, pre[:8]); err != nil {
		if n == 0 && err == io.EOF {
			return nil, formatErr(name, "empty file")
		}
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return nil, formatErr(name, "truncated: %d bytes, shorter than the magic and version", n)
		}
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if string(pre[:6]) != magic {
		return nil, formatErr(name, "not a .npy file (bad magic %q)", pre[:6])
	}
	major, minor := int(pre[6]), int(pre[7])
	var lenBytes int
	switch {
	case major == 1 && minor == 0:
		lenBytes = 2
	case (major == 2 || major == 3) && minor == 0:
		lenBytes = 4
	default:
		return nil, formatErr(name, "unsupported format version %d.%d (want 1.0, 2.0 or 3.0)", major, minor)
	}
	if _, err := io.ReadFull(r, pre[8:8+lenBytes]); err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return nil, formatErr(name, "truncated in the header length field")
		}
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	var hlen int
	if lenBytes == 2 {
		hlen = int(binary.LittleEndian.Uint16(pre[8:10]))
	} else {
		l := binary.LittleEndian.Uint32(pre[8:12])
		if l > maxHeaderLen {
			return nil, formatErr(name, "header length %d exceeds the limit of %d bytes", l, maxHeaderLen)
		}
		hlen = int(l)
	}
	buf := make([]byte, hlen)
	if n, err := io.ReadFull(r, buf); err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return nil, formatErr(name, "truncated header: %d of %d bytes", n, hlen)
		}
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	h, err := parseDict(buf, major)
	if err != nil {
		return nil, &FormatError{Name: name, Problem: err.Error()}
	}
	h.Major, h.Minor = major, minor
	h.DataOffset = int64(6 + 2 + lenBytes + hlen)
	return h, nil
}

// ParseHeader parses a complete header given as bytes (magic through the
// terminating newline, as found at the start of a file; extra trailing bytes
// are ignored).
func ParseHeader(b []byte) (*Header, error) {
	return ReadHeader(bytes.NewReader(b), "")
}

// parseDict parses the Python dict literal of a header. Only the three keys
// numpy writes are accepted, each exactly once, in any order.
func parseDict(b []byte, major int) (*Header, error) {
	if major < 3 {
		// Versions 1 and 2 are latin-1: every byte is one character. A
		// valid header never uses bytes >= 0x80, so reject them rather
		// than decode.
		for _, c := range b {
			if c >= 0x80 {
				return nil, fmt.Errorf("header contains non-ASCII byte 0x%02x", c)
			}
		}
	}
	p := &dictParser{s: string(b)}
	h := &Header{}
	var haveDescr, haveOrder, haveShape bool
	p.ws()
	if !p.eat('{') {
		return nil, p.errf("header does not start with '{'")
	}
	for {
		p.ws()
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.ws()
		if !p.eat(':') {
			return nil, p.errf("missing ':' after key %q", key)
		}
		p.ws()
		switch key {
		case "descr":
			if haveDescr {
				return nil, p.errf("duplicate key 'descr'")
			}
			haveDescr = true
			if p.peek() == '[' {
				return nil, p.errf("structured dtypes are not supported (only <f4 and <f8)")
			}
			d, err := p.str()
			if err != nil {
				return nil, err
			}
			if h.DType, err = parseDescr(d); err != nil {
				return nil, err
			}
		case "fortran_order":
			if haveOrder {
				return nil, p.errf("duplicate key 'fortran_order'")
			}
			haveOrder = true
			switch {
			case p.word("False"):
			case p.word("True"):
				return nil, p.errf("fortran_order True is not supported (only C order); re-save with numpy.ascontiguousarray")
			default:
				return nil, p.errf("fortran_order must be True or False")
			}
		case "shape":
			if haveShape {
				return nil, p.errf("duplicate key 'shape'")
			}
			haveShape = true
			if h.Shape, err = p.shape(); err != nil {
				return nil, err
			}
		default:
			return nil, p.errf("unexpected header key %q", key)
		}
		p.ws()
		if p.eat(',') {
			continue
		}
		p.ws()
		if p.eat('}') {
			break
		}
		return nil, p.errf("expected ',' or '}' in header")
	}
	// Padding: spaces, then a newline. Be lenient about which whitespace.
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r', 0:
			p.i++
		default:
			return nil, p.errf("unexpected text after the header dict")
		}
	}
	switch {
	case !haveDescr:
		return nil, fmt.Errorf("header has no 'descr' key")
	case !haveOrder:
		return nil, fmt.Errorf("header has no 'fortran_order' key")
	case !haveShape:
		return nil, fmt.Errorf("header has no 'shape' key")
	}
	// The total size must fit in an int64 byte count.
	n := int64(1)
	for _, d := range h.Shape {
		if d != 0 && n > math.MaxInt64/int64(h.DType.Size())/int64(d) {
			return nil, fmt.Errorf("shape %v is too large", h.Shape)
		}
		n *= int64(d)
	}
	return h, nil
}

func parseDescr(d string) (DType, error) {
	switch d {
	case "<f4":
		return Float32, nil
	case "<f8":
		return Float64, nil
	case ">f4", ">f8":
		return 0, fmt.Errorf("big-endian dtype %q is not supported (only <f4 and <f8)", d)
	}
	return 0, fmt.Errorf("dtype %q is not supported (only <f4 and <f8)", d)
}

// dictParser is a cursor over the header text.
type dictParser struct {
	s string
	i int
}

func (p *dictParser) errf(format string, args ...any) error {
	return fmt.Errorf("malformed header at byte %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *dictParser) ws() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *dictParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *dictParser) eat(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

// word consumes w if it is next and not followed by an identifier character.
func (p *dictParser) word(w string) bool {
	if !strings.HasPrefix(p.s[p.i:], w) {
		return false
	}
	j := p.i + len(w)
	if j < len(p.s) && isIdent(p.s[j]) {
		return false
	}
	p.i = j
	return true
}

func isIdent(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// str parses a quoted Python string without escapes.
func (p *dictParser) str() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", p.errf("expected a quoted string")
	}
	p.i++
	j := strings.IndexByte(p.s[p.i:], q)
	if j < 0 {
		return "", p.errf("unterminated string")
	}
	s := p.s[p.i : p.i+j]
	if strings.ContainsAny(s, "\\\n") {
		return "", p.errf("escape sequences and newlines in strings are not supported")
	}
	p.i += j + 1
	return s, nil
}

// shape parses a tuple of non-negative integers: "()", "(5,)", "(5, 3)".
// "(5)" is the integer 5 in Python, not a tuple, and numpy rejects it too.
func (p *dictParser) shape() ([]int, error) {
	if !p.eat('(') {
		return nil, p.errf("shape must be a tuple")
	}
	shape := []int{}
	commas := 0
	for {
		p.ws()
		if p.eat(')') {
			break
		}
		if len(shape) > commas {
			return nil, p.errf("expected ',' or ')' in shape")
		}
		j := p.i
		for j < len(p.s) && '0' <= p.s[j] && p.s[j] <= '9' {
			j++
		}
		if j == p.i {
			return nil, p.errf("shape entries must be non-negative integers")
		}
		v, err := strconv.ParseInt(p.s[p.i:j], 10, 64)
		if err != nil || int64(int(v)) != v {
			return nil, p.errf("shape entry %q is too large", p.s[p.i:j])
		}
		p.i = j
		// Python 2 long suffix, written by very old numpy.
		if p.peek() == 'L' || p.peek() == 'l' {
			p.i++
		}
		shape = append(shape, int(v))
		p.ws()
		if p.eat(',') {
			commas++
		}
	}
	if len(shape) == 1 && commas == 0 {
		return nil, p.errf("shape (%d) is an integer, not a tuple; want (%d,)", shape[0], shape[0])
	}
	if len(shape) > 64 {
		return nil, p.errf("shape has %d dimensions (numpy allows at most 64)", len(shape))
	}
	return shape, nil
}

// EncodeHeader returns the complete header (magic through the terminating
// newline) of a C-order array of dtype dt and the given shape in format
// version major (1, 2 or 3; 0 picks 1.0, or 2.0 if the dict does not fit in
// version 1.0's 65535-byte limit). The header is padded with spaces so that
// the data start at a multiple of 64 bytes, as numpy does. It returns an
// error if the header does not fit in the requested version, and panics on a
// negative dimension or an invalid dtype.
func EncodeHeader(dt DType, shape []int, major int) ([]byte, error) {
	var sb strings.Builder
	sb.WriteString("{'descr': '")
	sb.WriteString(dt.Descr())
	sb.WriteString("', 'fortran_order': False, 'shape': (")
	for i, d := range shape {
		if d < 0 {
			panic("npy: negative dimension in shape")
		}
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		sb.WriteByte(',')
	}
	sb.WriteString("), }")
	dict := sb.String()
	switch major {
	case 0:
		if hdr, err := EncodeHeader(dt, shape, 1); err == nil {
			return hdr, nil
		}
		return EncodeHeader(dt, shape, 2)
	case 1, 2, 3:
	default:
		return nil, fmt.Errorf("npy: cannot write format version %d.0", major)
	}
	pre := 12
	if major == 1 {
		pre = 10
	}
	total := pre + len(dict) + 1 // +1 for '\n'
	pad := (align - total%align) % align
	hlen := len(dict) + pad + 1
	if major == 1 && hlen > math.MaxUint16 {
		return nil, fmt.Errorf("npy: header of %d bytes does not fit in format version 1.0", hlen)
	}
	out := make([]byte, 0, pre+hlen)
	out = append(out, magic...)
	out = append(out, byte(major), 0)
	if major == 1 {
		out = binary.LittleEndian.AppendUint16(out, uint16(hlen))
	} else {
		out = binary.LittleEndian.AppendUint32(out, uint32(hlen))
	}
	out = append(out, dict...)
	out = append(out, bytes.Repeat([]byte{' '}, pad)...)
	out = append(out, '\n')
	return out, nil
}

// encodeHeader is EncodeHeader with the automatic version; it cannot fail
// because version 2.0 holds any shape numpy allows.
func encodeHeader(dt DType, shape []int) []byte {
	hdr, err := EncodeHeader(dt, shape, 0)
	if err != nil {
		panic("npy: " + err.Error())
	}
	return hdr
}
