#!/usr/bin/env bash
# Table 11 in miniature: stage 2 retrained with the objectives switched off (none, +LocPred, +LocPred+NegPred, all
# three), each from the same stage 0-1 checkpoints and tokenizer, each exported and evaluated through
# @locvlm/runtime + @locvlm/eval on the same held-out items. Run from the repository root:
#   BASE=.tmp/run2 STEPS2=2000 bash apps/shapes-lab/scripts/ablation.sh
# BASE: a train.py --work folder holding tokenizer.json, stage0.pt, stage1.pt. Writes apps/shapes-lab/ablation/.
set -euo pipefail
ROOT=$(pwd)
WORLD=${WORLD:-$ROOT/.tmp/world}
BASE=${BASE:-$ROOT/.tmp/run2}
OUT=${OUT:-$ROOT/.tmp/ablation}
STEPS2=${STEPS2:-2000}
LIMIT=${LIMIT:-200}
ITEMS=${ITEMS:-$ROOT/.tmp/data2/eval_test.json}   # the held-out items of the full data, the same for every arm
REPORT=${REPORT:-$ROOT/apps/shapes-lab/ablation}
ARMS=${ARMS:-"none:+LocPred:locpred +LocPred+NegPred:locpred,negpred all:locpred,negpred,revloc"}
PY=/usr/bin/python3
specs=()
for arm in $ARMS; do
  name=${arm%%:*}; objectives=${arm#*:}; [ "$name" = "none" ] && objectives=""
  dir=$OUT/${name//+/_}
  mkdir -p "$dir/work"
  npm run -s data -w @locvlm/shapes-lab -- --world "$WORLD" --out "$dir/data" --splits train --objectives "$objectives"
  cp "$BASE"/tokenizer.json "$BASE"/tokenizer_config.json "$BASE"/stage0.pt "$BASE"/stage1.pt "$dir/work/"
  cp "$ITEMS" "$dir/data/eval_test.json"
  nice $PY apps/shapes-lab/python/train.py --world "$WORLD" --data "$dir/data" --work "$dir/work" --out "$dir/model" \
    --skip-to 2 --steps2 "$STEPS2" --eval-limit 50
  nice npm run -s evaluate -w @locvlm/shapes-lab -- --model "$dir/model" --world "$WORLD" --items "$ITEMS" \
    --kinds locpred,negpred,presence,side,vertical,revloc --limit "$LIMIT" --meteor --out "$dir/eval.json"
  specs+=(--arm "${name:-none}=$dir/eval.json")
done
npm run -s report -w @locvlm/shapes-lab -- "${specs[@]}" --out "$REPORT" \
  --note "Stage 2 only ($STEPS2 steps) from shared stage 0-1 checkpoints ($BASE); $LIMIT held-out items per kind, greedy, through @locvlm/runtime; regenerate: BASE=$BASE STEPS2=$STEPS2 LIMIT=$LIMIT bash apps/shapes-lab/scripts/ablation.sh"
