#!/usr/bin/env bash
# Stop the one-node SLURM cluster of .ci/slurm/start.sh: slurmd, slurmctld and (if
# start.sh started it) munged, each by its PID file (never by name). Safe to run twice.
#   CUMOR_SLURM_DIR   as for start.sh [/tmp/cumor-slurm]
set -uo pipefail

DIR="${CUMOR_SLURM_DIR:-/tmp/cumor-slurm}"

stop() {  # stop <name> <pidfile>
    local pidfile="$2" pid
    [ -s "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            echo "$1 (pid $pid) ignored SIGTERM; sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null
        fi
        echo "stopped $1 (pid $pid)"
    fi
    rm -f "$pidfile"
}

stop slurmd "$DIR/slurmd.pid"
stop slurmctld "$DIR/slurmctld.pid"
if [ -e "$DIR/munged.ours" ]; then  # a munged that start.sh did not start stays
    stop munged /run/munge/munged.pid
    rm -f "$DIR/munged.ours"
fi
# The clients' config link points into $DIR; drop it with the cluster.
if [ -L /etc/slurm/slurm.conf ] && [ "$(readlink /etc/slurm/slurm.conf)" = "$DIR/slurm.conf" ]; then
    rm -f /etc/slurm/slurm.conf
fi
exit 0
