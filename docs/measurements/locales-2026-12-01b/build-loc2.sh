#!/bin/bash
# usage: build-loc2.sh NAME PYVER LOCALE pip-install-args...  -> /work/slim-logs/NAME.log (+ NAME.cmd)
# Real pip on the host (pyenv's PYVER, or "system" = /usr/bin/python3) under LANGUAGE=LOCALE LC_ALL=LOCALE.UTF-8.
# Optional env:
#   NOTOOLS="gcc cc ..."  PATH = a folder of links to /usr/bin + /bin without these tools (and the venv's bin)
#   PIPVER=X              pip X installed into the venv first (wheel from /work/main/.cache/pips, else the index)
#   TMPFS_MB=N            TMPDIR on a tmpfs of N MB (disk full)
#   ASUSER=nobody         venv made by root, pip run as this user (runuser)
#   OOM_MB=N              the pip run inside a cgroup v1 memory limit of N MB (swap included)
#   NOTIMEOUT=1           pip run by a non-interactive bash with no `timeout` in between (bash reports signals)
#   PRE="shell"           run after the venv is made, before pip (as root)
#   XENV="K=V ..."        extra environment for pip
#   NOVENV=1              run PYVER's own pip (no venv)
name=$1; pyver=$2; loc=$3; shift 3
OOM_CG=/sys/fs/cgroup/memory/safe-pip-loc2p-$$
out=/work/slim-logs/$name.log
if [ "$pyver" = system ]; then py=/usr/bin/python3; else py=/root/.pyenv/versions/$pyver/bin/python; fi
echo "host python$pyver LANGUAGE=$loc LC_ALL=$loc.UTF-8 ${NOTOOLS:+no:[$NOTOOLS]} ${PIPVER:+pip==$PIPVER} ${TMPFS_MB:+tmpfs=${TMPFS_MB}MB} ${ASUSER:+as=$ASUSER} ${OOM_MB:+oom=${OOM_MB}MB} ${XENV} ${PRE:+pre: $PRE} pip install $*" > /work/slim-logs/$name.cmd
start=$(date +%s)
v=/tmp/hv-$name; rm -rf $v
if [ -n "$NOVENV" ]; then v=$(dirname $(dirname $py)); else $py -m venv $v >/dev/null 2>&1 || $py -m virtualenv $v >/dev/null 2>&1; fi
if [ -n "$PIPVER" ]; then
  w=$(ls /work/main/.cache/pips/pip-$PIPVER-*.whl 2>/dev/null | head -1)
  env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null $v/bin/python -m pip install -q ${w:-pip==$PIPVER} >/dev/null 2>&1
fi
path=$v/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/root/.cargo/bin
if [ -n "$NOTOOLS" ]; then
  pd=/tmp/path-$name; rm -rf $pd; mkdir -p $pd
  for d in /usr/local/bin /usr/bin /bin /usr/sbin /sbin; do for f in $d/*; do b=$(basename $f); [ -e $pd/$b ] || ln -s $f $pd/$b; done; done
  for t in $NOTOOLS; do rm -f $pd/$t; done
  path=$v/bin:$pd
fi
tmp=/tmp
if [ -n "$TMPFS_MB" ]; then tmp=/tmp/tfs-$name; mkdir -p $tmp; mount -t tmpfs -o size=${TMPFS_MB}m tmpfs $tmp; fi
[ -n "$PRE" ] && (cd /tmp && V=$v eval "$PRE")
run="cd /tmp; timeout 420 $v/bin/pip install \"\$@\""
[ -n "$NOTIMEOUT" ] && run="cd /tmp; $v/bin/pip install \"\$@\""
[ -n "$OOM_PIPONLY" ] && run="cd /tmp; sh -c 'echo \$\$ > $OOM_CG/cgroup.procs; exec \"\$0\" install \"\$@\"' $v/bin/pip \"\$@\"; exit \$?"
[ -n "$ASUSER" ] && run="cd /tmp; timeout 420 runuser -u $ASUSER -- $v/bin/pip install \"\$@\""
envs="PATH=$path HOME=/tmp/home-$name LANGUAGE=$loc LC_ALL=$loc.UTF-8 TMPDIR=$tmp PIP_CONFIG_FILE=/dev/null PIP_CERT=/etc/ssl/certs/ca-certificates.crt REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt PIP_DISABLE_PIP_VERSION_CHECK=1 ${OLDPIP:-PIP_NO_CACHE_DIR=1} PIP_DEFAULT_TIMEOUT=60 $XENV"
mkdir -p /tmp/home-$name; chmod 777 /tmp/home-$name
if [ -n "$OOM_PIPONLY" ]; then
  cg=$OOM_CG; mkdir -p $cg
  echo $(( OOM_MB << 20 )) > $cg/memory.limit_in_bytes; echo $(( OOM_MB << 20 )) > $cg/memory.memsw.limit_in_bytes
  env -i $envs bash -c "$run" bash "$@" > $out 2>&1
  rc=$?; sleep 1; rmdir $cg
elif [ -n "$OOM_MB" ]; then
  cg=/sys/fs/cgroup/memory/safe-pip-loc2-$$; mkdir -p $cg
  echo $(( OOM_MB << 20 )) > $cg/memory.limit_in_bytes; echo $(( OOM_MB << 20 )) > $cg/memory.memsw.limit_in_bytes
  ( echo $BASHPID > $cg/cgroup.procs; exec env -i $envs bash -c "$run" bash "$@" ) > $out 2>&1
  rc=$?; sleep 1; rmdir $cg
else
  env -i $envs bash -c "$run" bash "$@" > $out 2>&1
  rc=$?
fi
[ -n "$TMPFS_MB" ] && umount $tmp
[ -z "$NOVENV" ] && rm -rf $v
rm -rf /tmp/path-$name /tmp/home-$name
echo "rc=$rc secs=$(( $(date +%s) - start ))" >> /work/slim-logs/$name.cmd
echo "$name rc=$rc secs=$(( $(date +%s) - start ))"
