// Package nn builds trainable models on package autograd: parameters in one
// flat arena, layers as plain structs, seeded initialisers, optimisers (SGD
// with momentum, Adam, AdamW), gradient clipping, learning-rate schedules, an
// exponential moving average of weights, and safetensors checkpoints with a
// training-state file beside them.
//
// # Parameters
//
// A layer constructor creates its *Param values (named "layer.weight", ...)
// with their initial values; NewArena then moves every parameter of a model
// into one []float32 (Arena.Data) with gradients in a second one of the same
// layout (Arena.Grad). Optimisers, clipping, EMA and checkpoints are each one
// loop over these flat slices. Arena order is the order of the Param list,
// which is therefore part of the checkpoint format.
//
// # Layers
//
// Layers hold only their parameters and hyper-parameters; Forward takes and
// returns *autograd.Var, so the caller's tape decides whether gradients are
// recorded (Tape.NoGrad for inference) and owns the activations. Randomness
// (initialisation, dropout) comes from a *rand.Rand passed in.
//
// # Checkpoints
//
// SaveModel writes a safetensors file: an 8-byte little-endian header length,
// a JSON header mapping each tensor name to {"dtype":"F32","shape":[...],
// "data_offsets":[begin,end]} plus "__metadata__" (string → string, holding
// the model config as a JSON string under "config"), then the raw
// little-endian float32 data. SaveTrainState writes the optimiser moments,
// step counter, RNG state and EMA weights (with the EMA's update count as
// "ema_updates"; the legacy "ema_n" of older states is converted, see EMA)
// to a second safetensors file (StatePath). Both are written atomically (temporary file in the same
// directory, then rename). Loading validates everything and returns errors
// naming the file and the offending tensor.
//
// The model packages save through SaveCheckpoint, which adds the metadata
// "format" naming the kind of model, and load through LoadCheckpoint, which
// checks that format, builds the model from the stored config and fills its
// Weighted state (parameters and buffers).
package nn
