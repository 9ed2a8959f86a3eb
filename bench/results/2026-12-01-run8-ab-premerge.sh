#!/bin/bash
# A/B: merged build (new) vs pre-merge build 24644be (pre) vs cargo test --tests, shared isolation,
# rotating the order every round. Output: /tmp/b13/ab/samples.tsv
ROUNDS=${ROUNDS:-5}
NEW=/tmp/cs-bench13/cargo-shuffle PRE=/tmp/cs-bench13/pre-cargo-shuffle
M=/work/wt-bench13/bench/measure.py
OUTD=/tmp/b13/ab; mkdir -p $OUTD/logs
S=$OUTD/samples.tsv; printf 'suite\tbt\tround\trunner\twall_s\tcpu_s\texit\tload1\n' > $S
export CARGO_NET_OFFLINE=true
one() { # suite bt round runner
  local d=/tmp/rs-bench13/$1 tf=$OUTD/.t rc
  case $4 in
    new) cmd=("$NEW" run --isolation shared --seed 1 --no-progress) ;;
    pre) cmd=("$PRE" run --isolation shared --seed 1 --no-progress) ;;
    new-s2) cmd=("$NEW" run --isolation shared --shards 2 --seed 1 --no-progress) ;;
    ct) cmd=(cargo test --tests -q) ;;
  esac
  (cd $d && python3 $M $tf "${cmd[@]}" > $OUTD/logs/$1.$2.$3.$4.log 2>&1); rc=$?
  read -r wall cpu _ _ < $tf
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' $1 $2 $3 $4 $wall $cpu $rc "$(cut -d' ' -f1 /proc/loadavg)" >> $S
}
for s in glam-0.34.3 itertools-0.15.0 bytes-1.12.2; do (cd /tmp/rs-bench13/$s && cargo test --no-run -q >/dev/null 2>&1); done
for ((r=1;r<=ROUNDS;r++)); do
  for bt in unset 1; do
    if [ $bt = unset ]; then unset RUST_BACKTRACE; runners="new pre ct new-s2"; else export RUST_BACKTRACE=1; runners="new pre ct"; fi
    arr=($runners); n=${#arr[@]}; k=$(( (r-1) % n ))
    rot=("${arr[@]:$k}" "${arr[@]:0:$k}")
    for s in glam-0.34.3 itertools-0.15.0 bytes-1.12.2; do
      for rn in "${rot[@]}"; do one $s $bt $r $rn; done
    done
  done
done
echo finished >> $OUTD/done
