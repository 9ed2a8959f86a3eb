#!/bin/bash
# memchr in shared isolation: unsplit (one process), --shards 2, and cargo test --tests -q; 3 rounds rotated, both RUST_BACKTRACE settings
NEW=/tmp/cs-bench13/cargo-shuffle; M=/work/wt-bench13/bench/measure.py
O=/tmp/b13/split; mkdir -p $O/logs; S=$O/samples.tsv
printf 'suite\tbt\tround\trunner\twall_s\tcpu_s\texit\tload1\n' > $S
export CARGO_NET_OFFLINE=true
cd /tmp/rs-bench13/memchr-2.8.3 && cargo test --no-run -q >/dev/null 2>&1
for r in 1 2 3; do for bt in unset 1; do
  if [ $bt = unset ]; then unset RUST_BACKTRACE; else export RUST_BACKTRACE=1; fi
  arr=(unsplit s2 ct); k=$(( (r-1) % 3 )); rot=("${arr[@]:$k}" "${arr[@]:0:$k}")
  for rn in "${rot[@]}"; do
    case $rn in unsplit) c=("$NEW" run --isolation shared --seed 1 --no-progress);; s2) c=("$NEW" run --isolation shared --shards 2 --seed 1 --no-progress);; ct) c=(cargo test --tests -q);; esac
    python3 $M $O/.t "${c[@]}" > $O/logs/$bt.$r.$rn.log 2>&1; rc=$?
    read -r w cpu _ _ < $O/.t
    printf 'memchr-2.8.3\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' $bt $r $rn $w $cpu $rc "$(cut -d' ' -f1 /proc/loadavg)" >> $S
  done
done; done
