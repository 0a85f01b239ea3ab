#!/usr/bin/env bash
# eval-wavediffusion.sh — every WaveDiffusion measurement of docs/wavediffusion.md
# ("Results") on the TEST files 11 of CurveVel-A and FlatVel-A, for one set of
# trained models. About 10 minutes on 2 cores. Each step writes its directory
# under $OUT and a JSON summary beside it; rerunning repeats every step.
#
# Environment:
#   W     the committed-layout weights: $W/{vqae,diffusion,vqae-one-in,fd-proxy} (weights/wavediffusion-cpu)
#   RUNS  where scripts/pretrain.sh left the models it does not commit: $RUNS/diffusion-one-in and the
#         separate single-modality models $RUNS/diffusion-{velocity,seismic} (runs/pretrain); missing ones
#         are skipped
#   D     the OpenFWI maps (../shared/data/openfwi)
#   OUT   output directory (out/eval-wavediffusion)
set -euo pipefail
cd "$(dirname "$0")/.."

W=${W:-weights/wavediffusion-cpu}
RUNS=${RUNS:-runs/pretrain}
D=${D:-../shared/data/openfwi}
OUT=${OUT:-out/eval-wavediffusion}
G=bin/genfwi
go build -o "$G" ./cmd/genfwi
mkdir -p "$OUT"
CV=$D/CurveVel_A/model/model11.npy
FV=$D/FlatVel_A/model/model11.npy
log() { echo "[eval-wavediffusion $SECONDS s] $*" >&2; }
json() { tail -n 1 > "$OUT/$1.json"; }

log "PDE deviation along forward noising and reverse DDPM sampling; autoencoder reconstruction of 16 test pairs"
"$G" eval pde-deviation --model "$W/diffusion" --vqae "$W/vqae" --n 16 --sampler ddpm --points 11 \
  --real "$CV,$FV" --samples 0:8 --out "$OUT/pde" --json | json pde

log "autoencoder reconstruction of 32 + 32 test pairs (joint and one-in-two-out)"
"$G" eval autoencoder --model "$W/vqae" --real "$CV,$FV" --samples 0:32 --out "$OUT/ae-joint" --json | json ae-joint
"$G" eval autoencoder --model "$W/vqae-one-in" --real "$CV,$FV" --samples 0:32 --out "$OUT/ae-one-in" --json | json ae-one-in

log "64 generated pairs; interface sharpness against 64 + 64 test maps"
"$G" sample --model "$W/diffusion" --vqae "$W/vqae" --n 64 --out "$OUT/sample" --real "$CV,$FV" --real-maps 64 --json | json sample

log "one-in-two-out inversion of 100 CurveVel-A test maps (seismic output against the clean data)"
"$G" simulate --model "$CV" --samples 0:100 --out "$OUT/seis11.npy" --json | json simulate
for noise in 0 0.05; do
  "$G" invert --method wavediffusion --model "$W/vqae-one-in" --data "$OUT/seis11.npy" --true "$CV" \
    --samples 0:100 --noise "$noise" --out "$OUT/invert-$noise" --json | json "invert-$noise"
done

if [ -f "$RUNS/diffusion-one-in/model.safetensors" ]; then
  log "denoising through the one-in-two-out model and its diffusion"
  "$G" denoise --model "$W/vqae-one-in" --diffusion "$RUNS/diffusion-one-in" --data "$OUT/seis11.npy" --true "$CV" \
    --samples 0:32 --noise 0.02,0.05,0.1 --t-star 200 --steps 50 --out "$OUT/denoise-one-in" --json | json denoise-one-in
fi
log "denoising through the joint model (noisy seismic and velocity in, paper A.5)"
"$G" denoise --model "$W/vqae" --diffusion "$W/diffusion" --data "$OUT/seis11.npy" --velocity "$CV" --true "$CV" \
  --samples 0:32 --noise 0.02,0.05,0.1 --t-star 200 --steps 50 --out "$OUT/denoise-joint" --json | json denoise-joint

SEP=()
if [ -f "$RUNS/diffusion-velocity/model.safetensors" ] && [ -f "$RUNS/diffusion-seismic/model.safetensors" ]; then
  SEP=(--separate-velocity "$RUNS/diffusion-velocity" --separate-seismic "$RUNS/diffusion-seismic")
fi
log "FD-proxy, joint${SEP:+ vs separate} models"
"$G" eval fd-proxy --proxy "$W/fd-proxy" --model "$W/diffusion" --vqae "$W/vqae" "${SEP[@]}" --n 32 --sampler ddim --steps 50 \
  --real "$CV,$FV" --samples 100:132 --out "$OUT/fd" --json | json fd
log "done: $OUT"
