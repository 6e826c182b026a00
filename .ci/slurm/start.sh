#!/usr/bin/env bash
# Stand up a one-node SLURM cluster on this host (CI and the `slurm` test).
#
#   .ci/slurm/start.sh            # prints the cluster's SLURM_CONF on success
#   .ci/slurm/stop.sh             # stops the daemons again (by their PID files)
#
# Needs root and Debian's slurmctld, slurmd, slurm-client and munge (22.05):
#   apt-get install -y slurmctld slurmd slurm-client munge
# No systemd: munged, slurmctld and slurmd are started by hand. No slurmdbd either,
# so `sacct` has nothing to ask: the workflow's SLURM test tells the executor plugin
# to check job states with `squeue` (MinJobAge below keeps finished jobs visible).
#
# Exit status: 0 = cluster up (or already up), 2 = cannot start here (not root, no
# binaries, foreign slurm.conf; the reason is on stderr), 1 = a daemon did not come up
# (its log is printed).
#
# Settings (environment):
#   CUMOR_SLURM_DIR        state, spool, logs, PID files, slurm.conf [/tmp/cumor-slurm]
#   CUMOR_SLURM_PARTITION  the partition's name [main, as in profiles/slurm]
#   CUMOR_SLURM_MEM_MARGIN MB of the host's memory kept back from SLURM [1024]
set -euo pipefail

DIR="${CUMOR_SLURM_DIR:-/tmp/cumor-slurm}"
PARTITION="${CUMOR_SLURM_PARTITION:-main}"
MARGIN="${CUMOR_SLURM_MEM_MARGIN:-1024}"
CONF="$DIR/slurm.conf"
MARKER="# written by cumor .ci/slurm/start.sh"

cannot() { echo "cannot start SLURM here: $*" >&2; exit 2; }

[ "$(id -u)" -eq 0 ] || cannot "needs root (slurmd and munged run as root/munge)"
for bin in munged slurmctld slurmd sbatch squeue sinfo scontrol; do
    command -v "$bin" >/dev/null || [ -x "/usr/sbin/$bin" ] \
        || cannot "'$bin' not installed (apt-get install slurmctld slurmd slurm-client munge)"
done
export PATH="$PATH:/usr/sbin"

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# The clients (sbatch, squeue, ...) read /etc/slurm/slurm.conf; point it at ours,
# but never overwrite a slurm.conf this script did not write.
if [ -e /etc/slurm/slurm.conf ] && ! grep -qF "$MARKER" /etc/slurm/slurm.conf 2>/dev/null; then
    cannot "/etc/slurm/slurm.conf exists and was not written by this script"
fi

if alive "$DIR/slurmctld.pid" && alive "$DIR/slurmd.pid"; then
    echo "SLURM already running (PID files in $DIR)"
    echo "SLURM_CONF=$CONF"
    exit 0
fi

t0=$(date +%s.%N)
mkdir -p "$DIR/state" "$DIR/spool" /etc/slurm
CPUS=$(nproc)
MEM_TOTAL=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)  # = free -m
REAL_MEM=$(( MEM_TOTAL - MARGIN ))
[ "$REAL_MEM" -gt 512 ] || REAL_MEM=$(( MEM_TOTAL * 9 / 10 ))

cat >"$CONF" <<EOF
$MARKER on $(date -u +%FT%TZ)
# One node (this host, as "localhost"), one partition, no accounting database.
ClusterName=cumor-ci
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
SwitchType=switch/none
# No cgroups in a container: track job processes through /proc, no task binding.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
# CPUs and memory are consumable: a job's --mem and --cpus-per-task are enforced
# by the scheduler (a group job asking more than the node has stays pending).
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Finished jobs stay visible to squeue/scontrol for 10 min; the executor plugin
# polls squeue (there is no slurmdbd for sacct) and needs MinJobAge > 3 x its
# first status-check delay.
MinJobAge=600
ReturnToService=2
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$REAL_MEM State=UNKNOWN
PartitionName=$PARTITION Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
ln -sfn "$CONF" /etc/slurm/slurm.conf
export SLURM_CONF="$CONF"

# --- munge: key, runtime dir, daemon as the munge user ---
if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    if command -v mungekey >/dev/null || [ -x /usr/sbin/mungekey ]; then
        mungekey --create --keyfile=/etc/munge/munge.key
    else
        create-munge-key -f
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
fi
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
chmod 0755 /run/munge
if ! alive /run/munge/munged.pid; then
    rm -f /run/munge/munge.socket.2*
    runuser -u munge -- munged
    touch "$DIR/munged.ours"  # stop.sh stops munged only if this script started it
fi
for _ in $(seq 50); do munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
munge -n </dev/null | unmunge >/dev/null || { echo "munged did not come up" >&2; cat /var/log/munge/munged.log >&2 || true; exit 1; }

# --- slurmctld, slurmd (node name must match NodeName above) ---
alive "$DIR/slurmctld.pid" || slurmctld -f "$CONF"
alive "$DIR/slurmd.pid" || slurmd -f "$CONF" -N localhost

state=""
for _ in $(seq 120); do
    state=$(sinfo -h -N -n localhost -o %t 2>/dev/null | head -n1 || true)
    case "$state" in idle|mix|alloc) break ;; esac
    sleep 0.25
done
case "$state" in
    idle|mix|alloc) ;;
    *)
        echo "SLURM node not ready (state '${state:-none}')" >&2
        tail -n 30 "$DIR/slurmctld.log" "$DIR/slurmd.log" >&2 || true
        exit 1 ;;
esac
t1=$(date +%s.%N)
printf 'SLURM up in %.1f s: node localhost, %s CPUs, %s MB, partition %s\n' \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" "$CPUS" "$REAL_MEM" "$PARTITION"
echo "SLURM_CONF=$CONF"
