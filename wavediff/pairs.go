package wavediff

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"

	"genfwi/internal/atomicfile"
	"genfwi/openfwi"
	"genfwi/wave"
)

// Origin names where a pair's velocity map came from.
type Origin struct {
	Dataset string `json:"dataset"` // config name, e.g. "curvevel-a"
	File    string `json:"file"`    // model file relative to the dataset directory
	Index   int    `json:"index"`   // map index within that file
	// Data is the path of the file holding the pair's seismic when the
	// collection has one (a dataset built by "genfwi dataset build"); the
	// pairs are then read from it instead of simulated.
	Data string `json:"data,omitempty"`
}

// Pairs is a set of seismic–velocity pairs at model resolution (the
// codec's geometry), stored as IEEE float16: Vel holds N×VelLen normalised
// velocities (1×64×64 each in resized64), Seis N×SeisLen normalised
// seismic samples (5×256×64 each in resized64).
type Pairs struct {
	N      int
	Codec  Codec
	Vel    []uint16
	Seis   []uint16
	Origin []Origin
	// Key identifies the configuration and inputs the pairs were made from.
	Key string
}

// Velocity decodes the velocity of pair i into dst (Codec.VelLen() float32).
func (p *Pairs) Velocity(dst []float32, i int) {
	vl := p.Codec.VelLen()
	decodeHalf(dst, p.Vel[i*vl:(i+1)*vl])
}

// Seismic decodes the seismic sample of pair i into dst (Codec.SeisLen()
// float32).
func (p *Pairs) Seismic(dst []float32, i int) {
	sl := p.Codec.SeisLen()
	decodeHalf(dst, p.Seis[i*sl:(i+1)*sl])
}

// Batch decodes the pairs idx into vel (len(idx)×VelLen, NCHW [B,1,H,W])
// and seis (len(idx)×SeisLen, [B,5,T,R]). Either may be nil to skip it.
func (p *Pairs) Batch(idx []int, vel, seis []float32) {
	vl, sl := p.Codec.VelLen(), p.Codec.SeisLen()
	for j, i := range idx {
		if vel != nil {
			p.Velocity(vel[j*vl:(j+1)*vl], i)
		}
		if seis != nil {
			p.Seismic(seis[j*sl:(j+1)*sl], i)
		}
	}
}

// Subset returns the pairs idx as a new Pairs sharing nothing with p.
func (p *Pairs) Subset(idx []int) *Pairs {
	vl, sl := p.Codec.VelLen(), p.Codec.SeisLen()
	q := &Pairs{N: len(idx), Codec: p.Codec, Vel: make([]uint16, len(idx)*vl), Seis: make([]uint16, len(idx)*sl), Key: p.Key}
	for j, i := range idx {
		copy(q.Vel[j*vl:], p.Vel[i*vl:(i+1)*vl])
		copy(q.Seis[j*sl:], p.Seis[i*sl:(i+1)*sl])
		if p.Origin != nil {
			q.Origin = append(q.Origin, p.Origin[i])
		}
	}
	return q
}

// SimulateFunc computes the OpenFWI seismic (5×1000×70) of a 70×70 map in
// m/s into dst. The default is wave.OpenFWIForward on one goroutine.
type SimulateFunc func(ctx context.Context, vel, dst []float32) error

func defaultSimulate(ctx context.Context, vel, dst []float32) error {
	return wave.OpenFWIForward(ctx, vel, dst, 1)
}

// PairsFromMaps simulates the seismic of n velocity maps (maps holds n×4900
// values, 70×70 m/s) and converts each pair to model resolution with codec.
// Samples run on workers goroutines (0 = GOMAXPROCS), each simulating one map
// at a time; sim nil means wave.OpenFWIForward. onDone, if set, is called
// after each map (from any goroutine). It allocates the float16 pairs plus
// one full-resolution sample per worker.
func PairsFromMaps(ctx context.Context, codec Codec, maps []float32, sim SimulateFunc, workers int, onDone func()) (*Pairs, error) {
	if sim == nil {
		sim = defaultSimulate
	}
	return pairsFrom(ctx, codec, maps, func(ctx context.Context, _ int, vel, dst []float32) error { return sim(ctx, vel, dst) }, workers, onDone)
}

// pairsFrom is PairsFromMaps with a seismic source that knows the pair index.
func pairsFrom(ctx context.Context, codec Codec, maps []float32, sim func(ctx context.Context, i int, vel, dst []float32) error, workers int, onDone func()) (*Pairs, error) {
	if len(maps)%FullVel != 0 {
		panic("wavediff: PairsFromMaps: maps is not a whole number of 70×70 maps")
	}
	n := len(maps) / FullVel
	vl, sl := codec.VelLen(), codec.SeisLen()
	p := &Pairs{N: n, Codec: codec, Vel: make([]uint16, n*vl), Seis: make([]uint16, n*sl)}
	err := forEach(ctx, n, workers, func() func(context.Context, int) error {
		raw := make([]float32, FullSeis)
		vel := make([]float32, vl)
		seis := make([]float32, sl)
		return func(ctx context.Context, i int) error {
			m := maps[i*FullVel : (i+1)*FullVel]
			if err := sim(ctx, i, m, raw); err != nil {
				return fmt.Errorf("simulating map %d: %w", i, err)
			}
			codec.VelocityToModel(vel, m)
			codec.SeismicToModel(seis, raw)
			encodeHalf(p.Vel[i*vl:(i+1)*vl], vel)
			encodeHalf(p.Seis[i*sl:(i+1)*sl], seis)
			return nil
		}
	}, onDone)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// TrainConfig selects training maps. Only the TRAINING split of each
// collection is read (openfwi.Collection.Train); there is no way to ask for a
// test file here.
type TrainConfig struct {
	// Root is the directory holding the dataset directories
	// (Root/FlatVel_A/model/model1.npy, ...).
	Root string
	// Datasets are config names ("flatvel-a", "curvevel-a").
	Datasets []string
	// PerDataset is the number of maps taken from each dataset, spread
	// evenly over its training split (map ⌊i·n/k⌋ for i < k); 0 takes all.
	PerDataset int
	// Geometry is the model resolution of the pairs (zero: Resized64).
	Geometry Geometry
}

// SelectTrainMaps reads the training split of every dataset of cfg and
// returns the selected maps (70×70 m/s each, concatenated) and their origins.
func SelectTrainMaps(cfg TrainConfig) ([]float32, []Origin, error) {
	var maps []float32
	var origins []Origin
	for _, name := range cfg.Datasets {
		d, err := openfwi.Lookup(name)
		if err != nil {
			return nil, nil, err
		}
		c, err := openfwi.OpenCollection(filepath.Join(cfg.Root, d.Dir), d, 0)
		if err != nil {
			return nil, nil, err
		}
		// Origins, in the order LoadTrainModels concatenates the files.
		var all []Origin
		for _, f := range c.Train() {
			if !f.HasModel {
				continue
			}
			mf, err := openfwi.OpenModels(c.Path(f.Model))
			if err != nil {
				return nil, nil, err
			}
			k := mf.Shape()[0]
			mf.Close()
			data := ""
			if f.HasData {
				data = c.Path(f.Data)
			}
			for j := 0; j < k; j++ {
				all = append(all, Origin{Dataset: d.Name, File: f.Model, Index: j, Data: data})
			}
		}
		v, n, err := c.LoadTrainModels()
		if err != nil {
			return nil, nil, err
		}
		if n != len(all) {
			return nil, nil, fmt.Errorf("wavediff: %s: %d training maps loaded but %d listed", d.Name, n, len(all))
		}
		if n == 0 {
			return nil, nil, fmt.Errorf("no training maps for %s under %s", d.Name, c.Root)
		}
		k := cfg.PerDataset
		if k <= 0 || k > n {
			k = n
		}
		for i := 0; i < k; i++ {
			j := i * n / k
			maps = append(maps, v[j*FullVel:(j+1)*FullVel]...)
			origins = append(origins, all[j])
		}
	}
	return maps, origins, nil
}

// PairsKey hashes what determines a pair set: the format, the codec, the
// simulator name and the velocity values themselves.
func PairsKey(codec Codec, simulator string, maps []float32) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%v|%s|%d|", pairsMagic, codec.Norm, simulator, len(maps))
	if g := codec.G(); g.Name != "resized64" { // resized64 keys predate geometries
		fmt.Fprintf(h, "%+v|", g)
	}
	b := make([]byte, 4)
	for _, v := range maps {
		binary.LittleEndian.PutUint32(b, math.Float32bits(v))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// LoadOrBuildTrainPairs returns the training pairs of cfg, read from the
// cache file when it holds pairs for the same key, otherwise simulated (on
// workers goroutines, onStart(total) then onDone per map) and written to the
// cache atomically. cache "" disables caching. built reports whether the
// pairs were simulated now.
func LoadOrBuildTrainPairs(ctx context.Context, cfg TrainConfig, cache string, workers int, onStart func(int), onDone func()) (p *Pairs, built bool, err error) {
	codec, err := CodecFor(cfg.Datasets...)
	if err != nil {
		return nil, false, err
	}
	codec.Geom = cfg.Geometry.or()
	maps, origins, err := SelectTrainMaps(cfg)
	if err != nil {
		return nil, false, err
	}
	// Seismic comes from the collection's data files when every selected
	// map has one, otherwise from the OpenFWI-exact simulator.
	fromData := len(origins) > 0
	for _, o := range origins {
		fromData = fromData && o.Data != ""
	}
	simName := "wave.OpenFWIForward"
	sim := func(ctx context.Context, _ int, vel, dst []float32) error { return defaultSimulate(ctx, vel, dst) }
	if fromData {
		simName = "openfwi data files"
		sim = func(_ context.Context, i int, _, dst []float32) error {
			f, err := openfwi.OpenData(origins[i].Data)
			if err != nil {
				return err
			}
			defer f.Close()
			return f.ReadSamplesFloat32(dst, origins[i].Index, origins[i].Index+1)
		}
	}
	key := PairsKey(codec, simName, maps)
	if cache != "" {
		p, err := ReadPairs(cache)
		switch {
		case err == nil && p.Key == key:
			return p, false, nil
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return nil, false, err
		}
	}
	if onStart != nil {
		onStart(len(maps) / FullVel)
	}
	p, err = pairsFrom(ctx, codec, maps, sim, workers, onDone)
	if err != nil {
		return nil, false, err
	}
	p.Origin, p.Key = origins, key
	if cache != "" {
		if err := WritePairs(cache, p); err != nil {
			return nil, true, err
		}
	}
	return p, true, nil
}

// pairsMagic starts a pair cache file; the number is the format version.
const pairsMagic = "GFWDPAIR1"

type pairsHeader struct {
	Format    string       `json:"format"`
	N         int          `json:"n"`
	Norm      openfwi.Norm `json:"normalisation"`
	Geometry  string       `json:"geometry,omitempty"` // "" = resized64
	VelShape  []int        `json:"velocity_shape"`
	SeisShape []int        `json:"seismic_shape"`
	DType     string       `json:"dtype"`
	Key       string       `json:"key"`
	CRC32     uint32       `json:"crc32"`
	Origin    []Origin     `json:"origin,omitempty"`
}

// WritePairs writes p to path atomically: the magic "GFWDPAIR1", a uint64
// little-endian header length, a JSON header (shapes, normalisation, key,
// CRC-32 of the payload, origins), then the float16 velocities and seismic
// samples, little-endian.
func WritePairs(path string, p *Pairs) error {
	crc := crc32.NewIEEE()
	writeU16(crc, p.Vel)
	writeU16(crc, p.Seis)
	g := p.Codec.G()
	hdr, err := json.Marshal(pairsHeader{Format: pairsMagic, N: p.N, Norm: p.Codec.Norm, Geometry: g.Name,
		VelShape: append([]int{p.N}, g.VelShape()...), SeisShape: append([]int{p.N}, g.SeisShape()...),
		DType: "<f2", Key: p.Key, CRC32: crc.Sum32(), Origin: p.Origin})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		io.WriteString(w, pairsMagic)
		binary.Write(w, binary.LittleEndian, uint64(len(hdr)))
		w.Write(hdr)
		writeU16(w, p.Vel)
		writeU16(w, p.Seis)
		return nil // a write error shows at the flush
	})
}

func writeU16(w io.Writer, s []uint16) {
	buf := make([]byte, 1<<16)
	for len(s) > 0 {
		k := min(len(s), len(buf)/2)
		for i := 0; i < k; i++ {
			binary.LittleEndian.PutUint16(buf[2*i:], s[i])
		}
		w.Write(buf[:2*k])
		s = s[k:]
	}
}

func readU16(r io.Reader, s []uint16) error {
	buf := make([]byte, 1<<16)
	for len(s) > 0 {
		k := min(len(s), len(buf)/2)
		if _, err := io.ReadFull(r, buf[:2*k]); err != nil {
			return err
		}
		for i := 0; i < k; i++ {
			s[i] = binary.LittleEndian.Uint16(buf[2*i:])
		}
		s = s[k:]
	}
	return nil
}

// ReadPairs reads a file written by WritePairs and checks its CRC-32.
func ReadPairs(path string) (*Pairs, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	magic := make([]byte, len(pairsMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != pairsMagic {
		return nil, fmt.Errorf("reading pairs %s: not a genfwi pair file (%q)", path, magic)
	}
	var hl uint64
	if err := binary.Read(r, binary.LittleEndian, &hl); err != nil || hl > 1<<30 {
		return nil, fmt.Errorf("reading pairs %s: bad header length", path)
	}
	hb := make([]byte, hl)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, fmt.Errorf("reading pairs %s: %w", path, err)
	}
	var h pairsHeader
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, fmt.Errorf("reading pairs %s: header: %w", path, err)
	}
	if h.Format != pairsMagic || h.DType != "<f2" || h.N <= 0 {
		return nil, fmt.Errorf("reading pairs %s: unsupported header %q/%q n=%d", path, h.Format, h.DType, h.N)
	}
	g, err := GeometryNamed(h.Geometry)
	if err != nil {
		return nil, fmt.Errorf("reading pairs %s: %w", path, err)
	}
	if !slices.Equal(h.VelShape, append([]int{h.N}, g.VelShape()...)) || !slices.Equal(h.SeisShape, append([]int{h.N}, g.SeisShape()...)) {
		return nil, fmt.Errorf("reading pairs %s: shapes %v, %v do not match geometry %s", path, h.VelShape, h.SeisShape, g.Name)
	}
	c := Codec{Norm: h.Norm, Geom: g}
	p := &Pairs{N: h.N, Codec: c, Vel: make([]uint16, h.N*c.VelLen()), Seis: make([]uint16, h.N*c.SeisLen()), Origin: h.Origin, Key: h.Key}
	if err := readU16(r, p.Vel); err != nil {
		return nil, fmt.Errorf("reading pairs %s: velocities: %w", path, err)
	}
	if err := readU16(r, p.Seis); err != nil {
		return nil, fmt.Errorf("reading pairs %s: seismic: %w", path, err)
	}
	crc := crc32.NewIEEE()
	writeU16(crc, p.Vel)
	writeU16(crc, p.Seis)
	if crc.Sum32() != h.CRC32 {
		return nil, fmt.Errorf("reading pairs %s: checksum mismatch (file corrupt)", path)
	}
	return p, nil
}
