#!/usr/bin/env bash
# pretrain-wise.sh — builds the WISE data sets from the real CurveVel-A maps and
# trains the cpu-preset WISE networks that weights/wise-cpu and
# weights/wise-cpu-rtm hold (the full network and WISE's RTM-only ablation).
# Every stage is resumable: rerun the script after an interruption.
#
# Environment (defaults reproduce the committed weights):
#   D        OpenFWI root (../shared/data/openfwi, or $GENFWI_OPENFWI)
#   FILES    training files of CurveVel_A (1:2 = 1 000 maps; files 11-12 are test data and are never trained on)
#   EPOCHS   training epochs (40)
#   RUNS     run directory (runs)
set -euo pipefail
cd "$(dirname "$0")/.."
D=${D:-${GENFWI_OPENFWI:-../shared/data/openfwi}}
FILES=${FILES:-1:2}
EPOCHS=${EPOCHS:-40}
RUNS=${RUNS:-runs}
go build -o bin/genfwi ./cmd/genfwi
G=bin/genfwi
mkdir -p "$RUNS" weights
# (velocity, CIG) pairs: 64×64 maps, 16 jittered shots, 21 offsets, 12 dB; the test set takes the
# training set's normalisation constant
$G cig build --maps "$D/CurveVel_A" --files "$FILES" --out "$RUNS/cig-curvevel-train" --json | tail -n 1
$G cig build --maps "$D/CurveVel_A" --files 11:12 --limit 200 --maxy-from "$RUNS/cig-curvevel-train" \
    --out "$RUNS/cig-curvevel-test" --json | tail -n 1
for v in wise-cpu wise-cpu-rtm; do
  extra=()
  [ "$v" = wise-cpu-rtm ] && extra=(--rtm-only)
  $G train wise --config configs/wise-cpu.json --data "$RUNS/cig-curvevel-train" --val 0.04 --epochs "$EPOCHS" \
      "${extra[@]}" --out "$RUNS/$v" --json | tail -n 1
  mkdir -p "weights/$v"
  cp "$RUNS/$v/model.safetensors" "weights/$v/model.safetensors"
  cp "$RUNS/$v/val.csv" "$RUNS/$v/val.png" "$RUNS/$v/loss.csv" "$RUNS/$v/loss.png" "weights/$v/"
done
