#!/usr/bin/env bash
# Table 11 in miniature: stage 2 retrained with the objectives switched off (none, +LocPred, +LocPred+NegPred, all
# three), each from the same stage 0-1 checkpoints and tokenizer, each exported and evaluated through
# @locvlm/runtime + @locvlm/eval on the same held-out items. Run from the repository root:
#   BASE=.tmp/run STEPS2=3000 JOBS=2 bash apps/shapes-lab/scripts/ablation.sh
# BASE: a train.py --work folder holding tokenizer.json, stage0.pt, stage1.pt. JOBS: arms trained at once (one torch
# thread each). Writes apps/shapes-lab/ablation/ (results.md, report.html).
set -euo pipefail
ROOT=$(pwd)
WORLD=${WORLD:-$ROOT/.tmp/world}
BASE=${BASE:-$ROOT/.tmp/run}
DATA=${DATA:-$ROOT/.tmp/data}     # the full data (all objectives): its eval_test.json is the same for every arm
OUT=${OUT:-$ROOT/.tmp/ablation}
STEPS2=${STEPS2:-3000}
LIMIT=${LIMIT:-200}
JOBS=${JOBS:-1}
REPORT=${REPORT:-$ROOT/apps/shapes-lab/ablation}
ARMS=${ARMS:-"none: +LocPred:locpred +LocPred+NegPred:locpred,negpred all:locpred,negpred,revloc"}
PY=/usr/bin/python3
ITEMS=$DATA/eval_test.json

run_arm() {
  local name=${1%%:*} objectives=${1#*:}
  local dir=$OUT/${name//+/_}
  mkdir -p "$dir/work"
  npm run -s data -w @locvlm/shapes-lab -- --world "$WORLD" --out "$dir/data" --splits train --objectives "$objectives" \
    > "$dir/data.log"
  cp "$BASE"/tokenizer.json "$BASE"/tokenizer_config.json "$BASE"/stage0.pt "$BASE"/stage1.pt "$dir/work/"
  cp "$ITEMS" "$dir/data/eval_test.json"
  $PY apps/shapes-lab/python/train.py --world "$WORLD" --data "$dir/data" --work "$dir/work" --out "$dir/model" \
    --skip-to 2 --steps2 "$STEPS2" --eval-limit 50 > "$dir/train.log" 2>&1
  npm run -s evaluate -w @locvlm/shapes-lab -- --model "$dir/model" --world "$WORLD" --items "$ITEMS" \
    --kinds locpred,negpred,presence,side,vertical,revloc --limit "$LIMIT" --meteor --out "$dir/eval.json" \
    > "$dir/eval.log" 2>&1
  echo "arm $name done: $dir/eval.json"
}
export -f run_arm
export WORLD BASE OUT STEPS2 LIMIT PY ITEMS

# shellcheck disable=SC2086
printf '%s\n' $ARMS | xargs -P "$JOBS" -I{} bash -c 'run_arm "$@"' _ {}

specs=()
for arm in $ARMS; do
  name=${arm%%:*}
  specs+=(--arm "$name=$OUT/${name//+/_}/eval.json")
done
npm run -s report -w @locvlm/shapes-lab -- "${specs[@]}" --out "$REPORT" \
  --note "Stage 2 only ($STEPS2 steps each) from shared stage 0-1 checkpoints; $LIMIT held-out items per kind (test split), greedy, through @locvlm/runtime. Regenerate: BASE=$BASE DATA=$DATA STEPS2=$STEPS2 LIMIT=$LIMIT JOBS=$JOBS bash apps/shapes-lab/scripts/ablation.sh"
