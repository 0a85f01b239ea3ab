#!/usr/bin/env bash
# demo.sh — the WaveDiffusion story at small scale (run by "make demo"; times
# are in the README: about 4–9 minutes on 2 cores, they vary by machine). It
#   0. takes the real OpenFWI velocity maps from $GENFWI_OPENFWI or
#      ../shared/data/openfwi (the default) or, when they are missing, falls
#      back to genfwi's own FlatVel-A/CurveVel-A generators ("genfwi dataset
#      maps", validated against the real maps: docs/datasets.md §4), written in
#      the same layout to $OUT/openfwi-gen — REPORT.md then says so at the top,
#   1. builds a small training set from the FlatVel-A/CurveVel-A TRAINING maps
#      (seismic simulated with the OpenFWI-exact wave preset),
#   2. loads the committed CPU-preset weights (weights/wavediffusion-cpu, made by
#      scripts/pretrain.sh) — or, if they are missing, trains every stage briefly
#      and says so in the report,
#   3. samples joint seismic–velocity pairs (OpenFWI layout + gallery),
#   4. measures the PDE deviation along forward noising and reverse sampling,
#   5. inverts 100 CurveVel-A test maps (model11.npy) clean and with σ = 0.05 noise,
#   6. denoises noisy seismic through the diffusion, computes the FD-proxy,
#   7. runs WISE and WISER (committed weights/wise-cpu) on one CurveVel-A test
#      map perturbed out of distribution at 0 dB,
#   8. writes demo-out/REPORT.md with the figures.
set -euo pipefail
cd "$(dirname "$0")/.."

G=${GENFWI:-bin/genfwi}
[ -x "$G" ] || go build -o "$G" ./cmd/genfwi
OUT=${OUT:-demo-out}
W=${WEIGHTS:-weights/wavediffusion-cpu}
PREFER=${GENFWI_OPENFWI:-../shared/data/openfwi}
N=${N:-16}
INV_N=${INV_N:-100}
PER_DATASET=${PER_DATASET:-40}
# Short-run lengths (used only without committed weights).
AE_STEPS=${AE_STEPS:-150}
DIFF_STEPS=${DIFF_STEPS:-400}
ONEIN_STEPS=${ONEIN_STEPS:-100}
ONEIN_DIFF_STEPS=${ONEIN_DIFF_STEPS:-200}
PROXY_STEPS=${PROXY_STEPS:-200}
T0=$SECONDS
log() { echo "[demo $((SECONDS - T0))s] $*" >&2; }
# geometry prints the model grid an autoencoder config names (resized64 when
# it names none).
geometry() { sed -n 's/.*"geometry": *"\([a-z0-9]*\)".*/\1/p' "$1" | grep . || echo resized64; }

# The velocity maps: the real OpenFWI maps when present (the default), else
# the generators' maps in the same layout (written once, kept for reruns).
mkdir -p "$OUT"
log "velocity maps: the real OpenFWI maps in $PREFER, else genfwi's generators"
if ! DATA=$("$G" dataset maps --prefer "$PREFER" --out "$OUT/openfwi-gen" 2> "$OUT/maps.log" | tail -n 1) || [ -z "$DATA" ]; then
  cat "$OUT/maps.log" >&2
  exit 1
fi
cat "$OUT/maps.log" >&2
GENERATED=no
if [ -f "$DATA/GENERATED.json" ]; then
  GENERATED=yes
  log "NO real OpenFWI maps found: using GENERATED FlatVel-A/CurveVel-A maps from $DATA (the report says so)"
fi

# The short training runs in $OUT/runs resume after an interruption, but a
# changed preset, changed weights or other velocity maps make them stale
# (resuming would refuse the new config or pairs): start them afresh then.
# The pair caches (one per model grid) check their own keys.
FP=$( (cat configs/vqae-cpu.json configs/vqae-cpu-one-in.json configs/diffusion-cpu.json "$W"/*/model.safetensors 2>/dev/null; echo "data $DATA generated $GENERATED") | sha256sum | cut -c1-16)
if [ -d "$OUT/runs" ] && [ "$(cat "$OUT/runs/fingerprint" 2>/dev/null)" != "$FP" ]; then
  log "presets or weights changed since the last demo in $OUT: discarding its training runs"
  find "$OUT/runs" -mindepth 1 -maxdepth 1 ! -name 'pairs*.gfwd' -exec rm -rf {} +
fi
mkdir -p "$OUT/runs"
echo "$FP" > "$OUT/runs/fingerprint"

MODE=pretrained
for d in vqae diffusion vqae-one-in fd-proxy; do
  [ -f "$W/$d/model.safetensors" ] || MODE=short
done
SHORT_STAGES=""

# Each stage finds (or builds) the pair cache of its model grid in $OUT/runs
# (train's default name: pairs-<datasets>-<n>[-<geometry>].gfwd).
PAIRS=(--data "$DATA" --per-dataset "$PER_DATASET")
if [ "$MODE" = short ]; then
  log "no committed weights in $W: training every stage briefly (results are from a SHORT run)"
  R=$OUT/runs
  mkdir -p "$R"
  "$G" train pairs "${PAIRS[@]}" --out "$R/pairs" --geometry "$(geometry configs/vqae-cpu.json)" --json | tail -n 1 > "$OUT/runs-pairs.json"
  "$G" train vqae --config configs/vqae-cpu.json --out "$R/vqae" --steps "$AE_STEPS" --sample-every "$AE_STEPS" "${PAIRS[@]}" --json | tail -n 1 > "$R/vqae.json"
  "$G" train diffusion --config configs/diffusion-cpu.json --vqae "$R/vqae" --out "$R/diffusion" --steps "$DIFF_STEPS" --sample-every "$DIFF_STEPS" "${PAIRS[@]}" --json | tail -n 1 > "$R/diffusion.json"
  "$G" train vqae --config configs/vqae-cpu-one-in.json --out "$R/vqae-one-in" --steps "$ONEIN_STEPS" --sample-every "$ONEIN_STEPS" "${PAIRS[@]}" --json | tail -n 1 > "$R/vqae-one-in.json"
  "$G" train diffusion --config configs/diffusion-cpu.json --vqae "$R/vqae-one-in" --out "$R/diffusion-one-in" --steps "$ONEIN_DIFF_STEPS" --sample-every 0 "${PAIRS[@]}" --json | tail -n 1 > "$R/diffusion-one-in.json"
  "$G" train fd-proxy --out "$R/fd-proxy" --steps "$PROXY_STEPS" "${PAIRS[@]}" --json | tail -n 1 > "$R/fd-proxy.json"
  W=$R
else
  log "using the committed CPU-preset weights in $W"
  log "building the small training set (what the short run would train on)"
  "$G" train pairs "${PAIRS[@]}" --out "$OUT/runs/pairs" --geometry "$(geometry configs/vqae-cpu.json)" --json | tail -n 1 > "$OUT/runs-pairs.json"
  if [ ! -f "$W/diffusion-one-in/model.safetensors" ]; then
    # Not committed (25 MB budget): the one-in-two-out latent diffusion used
    # for denoising and refined inversion is trained briefly here.
    log "training the one-in-two-out latent diffusion briefly ($ONEIN_DIFF_STEPS steps)"
    "$G" train diffusion --config configs/diffusion-cpu.json --vqae "$W/vqae-one-in" --out "$OUT/runs/diffusion-one-in" \
      --steps "$ONEIN_DIFF_STEPS" --sample-every 0 "${PAIRS[@]}" --json | tail -n 1 > "$OUT/runs/diffusion-one-in.json"
    SHORT_STAGES=diffusion-one-in
  fi
fi
DONEIN=$W/diffusion-one-in
[ -f "$DONEIN/model.safetensors" ] || DONEIN=$OUT/runs/diffusion-one-in
echo "$SHORT_STAGES" > "$OUT/short-stages"

log "sampling $N joint pairs"
"$G" sample --model "$W/diffusion" --vqae "$W/vqae" --n "$N" --sampler ddim --steps 50 --out "$OUT/samples" \
  --real "$DATA/CurveVel_A/model/model11.npy,$DATA/FlatVel_A/model/model11.npy" --gallery 6 --json | tail -n 1 > "$OUT/samples.json"

log "PDE deviation along forward noising and reverse (DDPM) sampling"
"$G" eval pde-deviation --model "$W/diffusion" --vqae "$W/vqae" --n "$N" --sampler ddpm --points 11 \
  --real "$DATA/CurveVel_A/model/model11.npy,$DATA/FlatVel_A/model/model11.npy" --samples 0:8 --out "$OUT/pde" --json | tail -n 1 > "$OUT/pde.json"

log "one-in-two-out inversion of $INV_N CurveVel-A test maps (model11.npy)"
"$G" simulate --model "$DATA/CurveVel_A/model/model11.npy" --samples "0:$INV_N" --out "$OUT/seis11.npy" --json | tail -n 1 > /dev/null
for noise in 0 0.05; do
  "$G" invert --method wavediffusion --model "$W/vqae-one-in" --data "$OUT/seis11.npy" --true "$DATA/CurveVel_A/model/model11.npy" \
    --samples "0:$INV_N" --noise "$noise" --out "$OUT/invert-$noise" --json | tail -n 1 > "$OUT/invert-$noise.json"
done
"$G" invert --method wavediffusion --model "$W/vqae-one-in" --diffusion "$DONEIN" --t-star 200 --steps 50 \
  --data "$OUT/seis11.npy" --true "$DATA/CurveVel_A/model/model11.npy" --samples "0:$INV_N" --noise 0.05 \
  --out "$OUT/invert-0.05-diffusion" --json | tail -n 1 > "$OUT/invert-0.05-diffusion.json"

log "denoising (noise 0.02, 0.05, 0.1) through the one-in-two-out diffusion"
"$G" denoise --model "$W/vqae-one-in" --diffusion "$DONEIN" --data "$OUT/seis11.npy" \
  --true "$DATA/CurveVel_A/model/model11.npy" --samples "0:$N" --noise 0.02,0.05,0.1 --t-star 200 --steps 50 \
  --out "$OUT/denoise" --json | tail -n 1 > "$OUT/denoise.json"

log "FD-proxy of generated vs real pairs"
SEP=()
if [ -f runs/pretrain/diffusion-velocity/model.safetensors ] && [ -f runs/pretrain/diffusion-seismic/model.safetensors ] && [ "$MODE" = pretrained ]; then
  SEP=(--separate-velocity runs/pretrain/diffusion-velocity --separate-seismic runs/pretrain/diffusion-seismic)
fi
"$G" eval fd-proxy --proxy "$W/fd-proxy" --model "$W/diffusion" --vqae "$W/vqae" "${SEP[@]}" --n "$((2 * N))" --sampler ddim --steps 50 \
  --real "$DATA/CurveVel_A/model/model11.npy,$DATA/FlatVel_A/model/model11.npy" --samples "100:$((100 + 2 * N))" --out "$OUT/fd" --json | tail -n 1 > "$OUT/fd.json"

if [ -f weights/wise-cpu/model.safetensors ]; then
  # WISE/WISER on one CurveVel-A test map perturbed out of distribution at 0 dB
  # (WISER's Fig. 1 case), with the committed WISE weights.
  log "WISE posterior and WISER refinement of CurveVel-A test map 0 (out of distribution, 0 dB)"
  "$G" posterior --method wiser --config cpu-ood --model weights/wise-cpu --vel "$DATA/CurveVel_A/model/model11.npy" --index 0 \
    --perturb 0.2 --snr 0 --out "$OUT/wiser" --json | tail -n 1 > "$OUT/wiser.json"
fi

log "writing $OUT/REPORT.md"
"$G" eval report --dir "$OUT" --weights "$W" --mode "$MODE" --short-stages "$SHORT_STAGES" --seconds "$((SECONDS - T0))"
if [ "$GENERATED" = yes ]; then
  # Say it at the top of the report, under its title.
  REASON=$(sed -n 's/.* reason=//p' "$OUT/maps.log" | head -n 1)
  NOTE="> **GENERATED velocity maps, not real OpenFWI data.** No usable real OpenFWI maps were found (\`$PREFER\`${REASON:+: $REASON}), so every velocity map in this report — the training set, the \"real\" and test maps (\`model1.npy\`, \`model11.npy\`) and the real side of every comparison — comes from genfwi's own FlatVel-A and CurveVel-A generators (\`openfwi/gen\`), written in the OpenFWI layout to \`$DATA\` (see its GENERATED.json); seismic is simulated from them as usual. The generators are validated statistically against the 5 000 real training maps of each dataset (layer counts, layer velocities and thicknesses, interface curvature: \`go test ./openfwi/gen -run Statistics\`, docs/datasets.md §4), but they are not the real data, and the committed weights were trained on real maps: numbers here are not comparable with results on real OpenFWI maps. For those, put the real maps in ../shared/data/openfwi (or set GENFWI_OPENFWI) and rerun."
  NOTE=$NOTE awk 'NR == 1 { print; print ""; print ENVIRON["NOTE"]; next } { print }' "$OUT/REPORT.md" > "$OUT/REPORT.md.tmp"
  mv "$OUT/REPORT.md.tmp" "$OUT/REPORT.md"
fi
log "done: $OUT/REPORT.md"
