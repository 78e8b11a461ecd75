#!/bin/bash
# run.sh BATCHFILE: each line NAME|PYVER|LOCALE|ENV (K="v" ...)|pip args ; skips names already logged
while IFS='|' read -r name py loc envs args; do
  [ -z "$name" ] && continue; [[ $name == \#* ]] && continue
  [ -e /work/slim-logs/$name.log ] && { echo "skip $name"; continue; }
  eval "env $envs /work/slim-harness/build-loc2.sh $name $py $loc $args"
done < "$1"
