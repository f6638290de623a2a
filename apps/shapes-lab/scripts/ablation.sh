#!/usr/bin/env bash
# Table 11 in miniature: the language stages (2a and 2) retrained with the objectives switched off (none, +LocPred,
# +LocPred+NegPred, all three), each from the same stage-0 encoder, initial weights and tokenizer, each exported and
# evaluated through @locvlm/runtime + @locvlm/eval on the same held-out items. Run from the repository root:
#   BASE=.tmp/run STEPS2=4400 JOBS=2 bash apps/shapes-lab/scripts/ablation.sh
# BASE: a train.py --work folder holding tokenizer.json, stage0.pt and stage1.pt. Arms with LocPred train stage 2a
# on the kinds their data holds (LocPred, presence, and NegPred only in the arms that have it); the arm without
# LocPred cannot have that stage and trains stage 2 alone. ALL_MODEL: evaluate this export as the "all" arm instead
# of retraining it (the shipped model is that arm: same checkpoints, data, flags and seed).
# JOBS: arms trained at once (one torch thread each). Writes apps/shapes-lab/ablation/ (results.md, report.html).
# ARMS: name:objectives[:trainer flags, comma-separated]. The default adds "none, no attention targets": the attention
# supervision of section 3 takes its targets from the annotated boxes, so even the "none" arm sees where objects are;
# that arm turns it off to measure how much of "none" comes from it.
# Resumes: an arm whose eval.json was written with the same settings and trainer code (arm.cfg) is not trained again.
set -euo pipefail
ROOT=$(pwd)
WORLD=${WORLD:-$ROOT/.tmp/world}
BASE=${BASE:-$ROOT/.tmp/run}
DATA=${DATA:-$ROOT/.tmp/data}     # the full data (all objectives): its eval_test.json is the same for every arm
OUT=${OUT:-$ROOT/.tmp/ablation}
STEPS2=${STEPS2:-4400}
LIMIT=${LIMIT:-200}
JOBS=${JOBS:-1}
REPORT=${REPORT:-$ROOT/apps/shapes-lab/ablation}
ARMS=${ARMS:-"none: none-no-attention-targets::--attn-weight=0 +LocPred:locpred +LocPred+NegPred:locpred,negpred
  all:locpred,negpred,revloc"}
PY=/usr/bin/python3
# Debian's torch runs OpenBLAS with a worker thread that torch.set_num_threads does not control; one job alone gains
# from it, but with several jobs the spinning workers take the cores (measured: stage-2 steps 2-3x slower).
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
ITEMS=$DATA/eval_test.json
TRAINER_SHA=$(find apps/shapes-lab/python -maxdepth 1 -name "*.py" ! -name "test_*" | sort | xargs cat | sha1sum | cut -c1-12)

arm_dir() { local name=${1%%:*}; name=${name//+/_}; echo "$OUT/${name//,/_}"; }

run_arm() {
  local name=${1%%:*} rest=${1#*:}
  local objectives=${rest%%:*} flags=()
  if [[ $rest == *:* ]]; then IFS=, read -r -a flags <<< "${rest#*:}"; fi
  local dir cfg
  dir=$(arm_dir "$1")
  # The settings an arm's result depends on, the trainer's code (its defaults) included.
  cfg="$1 base=$BASE steps2=$STEPS2 limit=$LIMIT items=$ITEMS all_model=${ALL_MODEL:-} trainer=$TRAINER_SHA"
  if [[ -f $dir/eval.json && -f $dir/arm.cfg && $(cat "$dir/arm.cfg") == "$cfg" ]]; then
    echo "arm $name already done with these settings: $dir/eval.json"
    return
  fi
  rm -f "$dir/arm.cfg" "$dir/eval.json"
  mkdir -p "$dir/work"
  npm run -s data -w @locvlm/shapes-lab -- --world "$WORLD" --out "$dir/data" --splits train --objectives "$objectives" \
    > "$dir/data.log"
  cp "$BASE"/tokenizer.json "$BASE"/tokenizer_config.json "$BASE"/stage0.pt "$BASE"/stage1.pt "$dir/work/"
  cp "$ITEMS" "$dir/data/eval_test.json"
  local model=$dir/model
  if [[ $name == all && -n ${ALL_MODEL:-} ]]; then
    model=$ALL_MODEL
  else
    local locate=(--locate-steps 0)
    if [[ $objectives == *locpred* ]]; then locate=(); fi
    $PY apps/shapes-lab/python/train.py --world "$WORLD" --data "$dir/data" --work "$dir/work" --out "$model" \
      --skip-to 2 "${locate[@]}" "${flags[@]}" --steps2 "$STEPS2" --eval-limit 50 > "$dir/train.log" 2>&1
  fi
  npm run -s evaluate -w @locvlm/shapes-lab -- --model "$model" --world "$WORLD" --items "$ITEMS" \
    --kinds locpred,negpred,presence,side,vertical,revloc --limit "$LIMIT" --meteor --out "$dir/eval.json" \
    > "$dir/eval.log" 2>&1
  echo "$cfg" > "$dir/arm.cfg"
  echo "arm $name done: $dir/eval.json"
}
export -f run_arm arm_dir
export WORLD BASE OUT STEPS2 LIMIT PY ITEMS ALL_MODEL TRAINER_SHA

# shellcheck disable=SC2086
printf '%s\n' $ARMS | xargs -P "$JOBS" -I{} bash -c 'run_arm "$@"' _ {}

specs=()
for arm in $ARMS; do
  specs+=(--arm "${arm%%:*}=$(arm_dir "$arm")/eval.json")
done
# The note shows paths under the repository as $PWD/..., so the committed report names no machine's folders.
note="Stages 2a and 2 ($STEPS2 stage-2 steps) retrained per arm from the same stage-0 encoder and initial weights; stage 2a (the trainer's default steps, on the kinds the arm's data holds) only in arms with LocPred${ALL_MODEL:+; the all arm is $ALL_MODEL}; $LIMIT held-out items per kind (test split), greedy, through @locvlm/runtime. Regenerate: BASE=$BASE DATA=$DATA STEPS2=$STEPS2 LIMIT=$LIMIT JOBS=$JOBS${ALL_MODEL:+ ALL_MODEL=$ALL_MODEL} bash apps/shapes-lab/scripts/ablation.sh"
npm run -s report -w @locvlm/shapes-lab -- "${specs[@]}" --out "$REPORT" --note "${note//$ROOT\//\$PWD/}"
