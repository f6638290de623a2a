#!/usr/bin/env bash
# Table 11 in miniature: the language stages (2a and 2) retrained with the objectives switched off (none, +LocPred,
# +LocPred+NegPred, all three), for several seeds and two recipes, each run exported and evaluated through
# @locvlm/runtime + @locvlm/eval on the same held-out items. Run from the repository root:
#   BASE=.tmp/run SEEDS="1 2 3" TABLES="clean onestage attn" bash apps/shapes-lab/scripts/ablation.sh
#
# BASE: a train.py --work folder holding tokenizer.json and stage0.pt. Every run shares that stage-0 encoder and
# tokenizer; the projector and decoder are initialised from the run's seed (train.py --skip-to 1 --seed S), and the
# seed also sets every batch drawn. Every arm trains the same steps: LOCATE_STEPS of stage 2a on the kinds of
# --locate-kinds its data holds (LocPred, NegPred and presence; presence alone in the arm without objectives) and
# STEPS2 of stage 2 on all its records.
# TABLES: which recipes (tables) to run, of RECIPES (id:trainer flags, comma-separated; after the flags above, so
# they override them):
#   clean     the paper's objective with our stages: no attention supervision anywhere (--attn-weight=0 in 2a and 2)
#   onestage  the paper's recipe: no attention supervision and no stage 2a, the same 8,900 steps all in stage 2
#   attn      our addition: the trainer's defaults, the decoder's attention pulled onto box-derived targets
# ARMS: name:objectives[:extra trainer flags, comma-separated]. SEEDS: the seeds of every (table, arm). The report
# covers every finished run in OUT and lists the runs of the whole grid (GRID_SEEDS x GRID_TABLES x arms) not done yet.
# JOBS: runs at once (one torch thread each; two is fine on 2 cores, one when the machine is shared). Runs go in the
# order seed, table, arm (all arms of seed 1 first), so a grid stopped part way has whole seeds.
# Writes OUT/<table>/<arm>/seed<S>/ (work/, model/, train.log, eval.json, run.json) and, after every finished run,
# REPORT/results.json, results.md and report.html from every run in OUT (`npm run report -- --runs OUT`).
# Resumes: a (table, arm, seed) whose run.json was written with the same settings and trainer code (run.cfg) is not
# trained again; an unfinished one starts over.
set -euo pipefail
ROOT=$(pwd)
WORLD=${WORLD:-$ROOT/.tmp/world}
BASE=${BASE:-$ROOT/.tmp/run}
DATA=${DATA:-$ROOT/.tmp/data}     # the full data (all objectives): its eval_test.json is the same for every arm
OUT=${OUT:-$ROOT/.tmp/ablation}
STEPS2=${STEPS2:-4400}
LOCATE_STEPS=${LOCATE_STEPS:-4500}
LIMIT=${LIMIT:-300}
JOBS=${JOBS:-1}
SEEDS=${SEEDS:-"1 2 3"}
TABLES=${TABLES:-"clean onestage attn"}
RECIPES=${RECIPES:-"clean:--attn-weight=0 onestage:--attn-weight=0,--locate-steps=0,--steps2=8900 attn:"}
REPORT=${REPORT:-$ROOT/apps/shapes-lab/ablation}
ALL_ARMS="none: +LocPred:locpred +LocPred+NegPred:locpred,negpred all:locpred,negpred,revloc"
ARMS=${ARMS:-$ALL_ARMS}
# The whole grid the report counts pending runs against (a run of a few seeds, tables or arms is part of it).
GRID_SEEDS=${GRID_SEEDS:-"1 2 3"}
GRID_TABLES=${GRID_TABLES:-"clean onestage attn"}
PY=/usr/bin/python3
# Debian's torch runs OpenBLAS with a worker thread that torch.set_num_threads does not control; one job alone gains
# from it, but with several jobs the spinning workers take the cores (measured: stage-2 steps 2-3x slower). One
# thread also makes a run exactly repeatable on one machine.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
ITEMS=$DATA/eval_test.json
TRAINER_SHA=$(find apps/shapes-lab/python -maxdepth 1 -name "*.py" ! -name "test_*" | sort | xargs cat | sha1sum | cut -c1-12)
GIT_COMMIT=$(git rev-parse HEAD)
# Uncommitted trainer changes: the commit alone does not name the code that trained.
TRAINER_DIRTY=$(git status --porcelain -- apps/shapes-lab/python | grep -v '/test_' | grep -c . || true)
for f in "$BASE/tokenizer.json" "$BASE/tokenizer_config.json" "$BASE/stage0.pt" "$ITEMS"; do
  [[ -f $f ]] || { echo "ablation.sh: $f is missing (BASE=$BASE, DATA=$DATA; see the README's section 5)" >&2; exit 1; }
done
mkdir -p "$OUT"

slug() { local s=${1//+/_}; s=${s//,/_}; echo "${s:-none}"; }

recipe_flags() {
  local r
  for r in $RECIPES; do
    if [[ ${r%%:*} == "$1" ]]; then echo "${r#*:}"; return; fi
  done
  echo "ablation.sh: table '$1' is not in RECIPES ($RECIPES)" >&2
  return 1
}

# The training data of one set of objectives, built once and shared by every seed and table (built under a lock).
arm_data() {
  local objectives=$1 dir
  dir=$OUT/data/$(slug "$objectives")
  (
    flock 9
    if [[ ! -f $dir/done || $(cat "$dir/done") != "$WORLD $objectives" ]]; then
      rm -rf "$dir" && mkdir -p "$dir"
      npm run -s data -w @locvlm/shapes-lab -- --world "$WORLD" --out "$dir" --splits train \
        --objectives "$objectives" > "$dir/data.log"
      echo "$WORLD $objectives" > "$dir/done"
    fi
    cp "$ITEMS" "$dir/eval_test.json"
  ) 9> "$OUT/data.lock"
  echo "$dir"
}

run_one() {
  local table=$1 spec=$2 seed=$3
  local name=${spec%%:*} rest=${spec#*:}
  local objectives=${rest%%:*} extra=() recipe
  if [[ $rest == *:* ]]; then IFS=, read -r -a extra <<< "${rest#*:}"; fi
  recipe=$(recipe_flags "$table")
  local rflags=()
  if [[ -n $recipe ]]; then IFS=, read -r -a rflags <<< "$recipe"; fi
  local flags=(--skip-to 1 --seed "$seed" --locate-steps "$LOCATE_STEPS" --steps2 "$STEPS2" --threads 1
    --eval-limit 50 "${rflags[@]}" "${extra[@]}")
  local dir
  dir=$OUT/$table/$(slug "$name")/seed$seed
  # The settings a run's result depends on, the trainer's code (its defaults) included.
  local cfg="table=$table arm=$spec seed=$seed flags=${flags[*]} base=$BASE world=$WORLD limit=$LIMIT items=$ITEMS trainer=$TRAINER_SHA"
  if [[ -f $dir/run.json && -f $dir/run.cfg && $(cat "$dir/run.cfg") == "$cfg" ]]; then
    echo "$table $name seed $seed already done with these settings: $dir/run.json"
    return
  fi
  rm -rf "$dir"
  mkdir -p "$dir/work"
  local data
  data=$(arm_data "$objectives")
  cp "$BASE"/tokenizer.json "$BASE"/tokenizer_config.json "$BASE"/stage0.pt "$dir/work/"
  echo "$table $name seed $seed: training ($(date -u +%H:%M:%S) UTC)"
  local t0=$SECONDS
  $PY apps/shapes-lab/python/train.py --world "$WORLD" --data "$data" --work "$dir/work" --out "$dir/model" \
    "${flags[@]}" > "$dir/train.log" 2>&1
  local trained=$((SECONDS - t0))
  npm run -s evaluate -w @locvlm/shapes-lab -- --model "$dir/model" --world "$WORLD" --items "$ITEMS" \
    --kinds locpred,negpred,presence,side,vertical,revloc --limit "$LIMIT" --meteor --out "$dir/eval.json" \
    > "$dir/eval.log" 2>&1
  # run.json: what the report needs to name this run (metrics come from eval.json beside it).
  $PY - "$dir" "$table" "$recipe" "$name" "$objectives" "$seed" "$TRAINER_SHA" "$GIT_COMMIT" "$TRAINER_DIRTY" \
    "$trained" "$LIMIT" "${flags[@]}" <<'EOF'
import json, os, sys
d, table, recipe, arm, objectives, seed, sha, commit, dirty, trained, limit, *flags = sys.argv[1:]
summary = json.load(open(os.path.join(d, "work", "summary.json")))
run = {"table": table, "recipe": recipe, "arm": arm, "objectives": [o for o in objectives.split(",") if o],
       "seed": int(seed), "trainerFlags": flags, "trainerSha": sha, "gitCommit": commit,
       "trainerUncommittedFiles": int(dirty), "limit": int(limit), "wallSeconds": int(trained),
       "timings": summary["timings"], "metricsPytorch50": summary["metrics_pytorch"], "eval": "eval.json"}
tmp = os.path.join(d, "run.json.tmp")
json.dump(run, open(tmp, "w"), indent=1)
os.replace(tmp, os.path.join(d, "run.json"))
EOF
  echo "$cfg" > "$dir/run.cfg"
  echo "$table $name seed $seed done ($(date -u +%H:%M:%S) UTC): $dir/run.json"
  report
}

# results.json / results.md / report.html from every finished run in OUT (partial grids included).
report() {
  local arm names=()
  for arm in $ALL_ARMS $ARMS; do
    [[ " ${names[*]} " == *" ${arm%%:*} "* ]] || names+=("${arm%%:*}")
  done
  # The note shows paths under the repository as $PWD/..., so the committed report names no machine's folders.
  local note="Per (recipe, arm, seed): unless its recipe says otherwise, stage 2a ($LOCATE_STEPS steps, one question per sequence, on the LocPred, NegPred and presence questions the arm's data holds: presence alone in the arm without objectives) and stage 2 ($STEPS2 steps on all the arm's records), from one stage-0 encoder and tokenizer shared by every run (BASE, trained once with seed 0); the seed initialises the projector and decoder and draws every batch; the same base data in every arm. Metrics through @locvlm/runtime (greedy) on $LIMIT held-out test items per kind. Regenerate (resumes): BASE=$BASE DATA=$DATA LOCATE_STEPS=$LOCATE_STEPS STEPS2=$STEPS2 LIMIT=$LIMIT SEEDS=\"$GRID_SEEDS\" TABLES=\"$GRID_TABLES\" JOBS=$JOBS bash apps/shapes-lab/scripts/ablation.sh"
  (
    flock 9
    npx tsx apps/shapes-lab/scripts/ablation-results.ts --runs "$OUT" --out "$REPORT" --tables "$GRID_TABLES" \
      --arms "${names[*]}" --seeds "$GRID_SEEDS" --note "${note//$ROOT\//\$PWD/}" > "$OUT/report.log" 2>&1 ||
      echo "ablation.sh: the report failed, see $OUT/report.log" >&2
  ) 9> "$OUT/report.lock"
}
export -f run_one arm_data recipe_flags slug report
export WORLD BASE DATA OUT STEPS2 LOCATE_STEPS LIMIT JOBS SEEDS TABLES RECIPES REPORT PY ITEMS TRAINER_SHA GIT_COMMIT \
  TRAINER_DIRTY ROOT ALL_ARMS ARMS GRID_SEEDS GRID_TABLES

for table in $TABLES; do recipe_flags "$table" > /dev/null; done
jobs=()
for seed in $SEEDS; do
  for table in $TABLES; do
    for arm in $ARMS; do jobs+=("$table $arm $seed"); done
  done
done
status=0
# shellcheck disable=SC2016
printf '%s\n' "${jobs[@]}" | xargs -P "$JOBS" -L 1 bash -c 'set -euo pipefail; run_one "$@"' _ || status=$?
report
echo "ablation.sh: $REPORT/results.md"
if [[ $status != 0 ]]; then echo "ablation.sh: some runs failed (see their train.log / eval.log under $OUT)" >&2; fi
exit "$status"
