#!/usr/bin/env bash
# A private one-node Slurm cluster from Debian's packages, for the Slurm tests and the
# orchestration benchmark: its own munged socket, its own slurm.conf (SLURM_CONF) and ports, and
# every daemon's pid file under STATE_DIR, so it neither touches /etc/slurm nor meets another
# cluster on the same machine.
#
#   bash scripts/slurm_local.sh start STATE_DIR [PORT]  # installs if needed, starts munged, slurmctld, slurmd
#   bash scripts/slurm_local.sh stop  STATE_DIR         # stops exactly the daemons it started
#
# After `start`, `export SLURM_CONF=STATE_DIR/slurm.conf` points sbatch/squeue/scancel at it.
# Needs root (munged and slurmd run as root here). Exit status 3: this machine cannot run it
# (not root, no apt-get); the message says why.
set -euo pipefail
cmd=${1:?usage: slurm_local.sh start|stop STATE_DIR [PORT]}
state=${2:?usage: slurm_local.sh start|stop STATE_DIR [PORT]}
port=${3:-$((20000 + RANDOM % 20000))}

stop() {
  local f pid
  for f in "$state/slurmd.pid" "$state/slurmctld.pid" "$state/munged.pid"; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
  done
}

if [ "$cmd" = stop ]; then
  stop
  exit 0
fi
[ "$cmd" = start ] || { echo "unknown command $cmd" >&2; exit 2; }

if [ "$(id -u)" != 0 ]; then
  echo "not root: a local Slurm needs root (munged, slurmd)" >&2
  exit 3
fi
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
  ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  command -v apt-get >/dev/null || { echo "Slurm is not installed and there is no apt-get" >&2; exit 3; }
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null
fi

mkdir -p "$state"/{state,spool,log}
state=$(cd "$state" && pwd)
trap 'stop' ERR

# munge: the authentication every Slurm command and daemon uses; a private socket and key.
if [ ! -f "$state/munge.key" ]; then
  dd if=/dev/urandom bs=1 count=1024 of="$state/munge.key" 2>/dev/null
  chmod 400 "$state/munge.key"
fi
/usr/sbin/munged --force --socket="$state/munge.sock" --key-file="$state/munge.key" \
  --pid-file="$state/munged.pid" --log-file="$state/log/munged.log" --seed-file="$state/munge.seed"

host=$(hostname -s)
mem=$(($(free -m | awk '/Mem:/{print $2}') * 8 / 10))
cat >"$state/slurm.conf" <<CONF
ClusterName=memesense
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$state/munge.sock
CredType=cred/munge
StateSaveLocation=$state/state
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MessageTimeout=30
NodeName=$host CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$state/slurm.conf"
/usr/sbin/slurmctld -f "$SLURM_CONF"
/usr/sbin/slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do
  sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)' && exit 0
  sleep 0.5
done
echo "the local Slurm did not come up; logs in $state/log" >&2
stop
exit 1
