// Package openfwi reads, transforms and writes datasets in the OpenFWI layout
// (Deng et al., NeurIPS 2022), and builds new ones from real velocity maps or
// from the family generators of package openfwi/gen.
//
// # Layout
//
// A velocity map is 70×70 cells of 10 m, row-major [z][x] with row 0 at the
// surface, in m/s. A seismic sample is 5 shots × 1000 time samples (dt 1 ms)
// × 70 receivers, [shot][t][receiver]. Files hold 500 samples: model files
// are float32 (n, 1, 70, 70), data files float32 (n, 5, 1000, 70), both .npy
// v1.0 little-endian C order. Two naming schemes exist:
//
//	Vel and Style:  <DS>/data/data{i}.npy, <DS>/model/model{i}.npy  (i from 1)
//	Fault:          <DS>/seis{L}_1_{k}.npy, <DS>/vel{L}_1_{k}.npy   (k from 0)
//
// # Splits
//
// Every file belongs to exactly one [Split]. The official splits are those of
// lanl/OpenFWI's split_files (Vel: files 1–48 train, 49–60 test; Fault: k
// 0–31 train, 32–35 test; Style: 1–120 train, 121–134 test). The real maps
// shipped with genfwi (the FanSmale/ddnet redistribution, files 1–12) use
// their own split: files 1–10 train, 11–12 test. A [Collection] scans a
// dataset directory and classifies each file; training code asks for
// Collection.Train, which never contains a test file, and the builder refuses
// test files unless explicitly allowed.
//
// # Normalisation and resizing
//
// [Norm] holds the dataset_config.json constants of the ten 2D datasets and
// applies OpenFWI's transforms and their exact inverses. [ResizeBilinear]
// resizes with PyTorch's F.interpolate(mode="bilinear", align_corners=False)
// semantics, used for 70×70 ↔ 64×64 velocity and 1000×70 ↔ 256×64 seismic.
//
// # Building
//
// [Build] writes an OpenFWI-layout dataset, simulating seismic for each
// velocity map with a caller-supplied [SimulateFunc] (the wave engine's
// OpenFWI-exact preset in the CLI). It is resumable (each file is written to a
// temporary name and renamed when complete; a per-file manifest entry is
// written last) and shardable (--shard i/n selects files j with j mod n = i,
// with no coordination between shards). [Verify] checks a built dataset
// against its manifest.
package openfwi
