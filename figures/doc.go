// Package figures writes the PNG figures of genfwi with gonum/plot: velocity
// maps, shot gathers, line plots (misfit and metric curves) and panel grids
// (galleries, true/start/inverted comparisons).
//
// Every function is pure: it takes the data, the labels and an output path,
// renders the figure in memory and writes the file atomically (a temporary
// file in the same directory renamed over the target), so a reader never sees
// a half-written PNG. Nothing here prints or keeps state.
//
// # Layout and axes
//
// A Raster is a row-major field of Rows·Cols float32 values, element
// (r, c) at r·Cols + c, drawn with row 0 at the top. For velocity maps the
// rows are depth (row 0 = surface) and the vertical axis is labelled in
// metres increasing downward; for shot gathers (OpenFWI layout [t][receiver])
// the rows are time samples, so time increases downward as seismologists
// expect. Cells are drawn as crisp blocks (nearest neighbour, no smoothing).
//
// # Colour scales
//
// Velocity maps use a viridis-like perceptually uniform map with a colour
// bar in m/s; shot gathers use a symmetric blue–white–red map centred on 0,
// clipped at a chosen amplitude. Values outside a scale are clamped to its
// end colours.
package figures
