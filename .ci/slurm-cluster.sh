#!/usr/bin/env bash
# A real single-node SLURM cluster on this machine, for tests and CI (see
# /work/shared/docs/SLURM-CI.md for the facts this relies on).
#
#   .ci/slurm-cluster.sh start    install what is missing, write /etc/slurm/slurm.conf,
#                                 start munged, slurmctld and slurmd, wait until the node
#                                 is idle (idempotent: a running cluster is left as it is)
#   .ci/slurm-cluster.sh stop     stop exactly the daemons `start` started (by PID)
#   .ci/slurm-cluster.sh status   print the node state
#
# Exit codes: 0 ok (start: running; stop: stopped or nothing to stop; status: running),
#             1 error (not root, install failed, a daemon did not come up: logs printed),
#             2 usage, 3 status: not running.
# Root only; no systemd needed: each daemon runs in the foreground (-D / -F) in the
# background, and its PID is recorded in $SLURM_CI_STATE (default /run/slurm-ci).
#
# Environment:
#   SLURM_CI_STATE        state folder with the PID files and daemon output (/run/slurm-ci)
#   SLURM_CI_TIMEOUT      seconds to wait for the node to become idle (60)
#   SLURM_CI_MEMORY_MB    RealMemory of the node (default: 90% of `slurmd -C`, at most 64000)
set -euo pipefail

STATE=${SLURM_CI_STATE:-/run/slurm-ci}
TIMEOUT=${SLURM_CI_TIMEOUT:-60}
CONF=/etc/slurm/slurm.conf
SPOOL=/var/spool/slurm-ci
LOGDIR=/var/log/slurm-ci
MARKER="# Written by .ci/slurm-cluster.sh"
DAEMONS=(munged slurmctld slurmd)  # start order; stop goes the other way

say() { echo "slurm-cluster: $*"; }
die() { echo "slurm-cluster: error: $*" >&2; exit 1; }

require_root() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (it installs Debian packages and starts daemons); you are $(id -un)"
}

# PID recorded for a daemon this script started, if that process still runs that program.
live_pid() {
    local name=$1 pidfile="$STATE/$1.pid" pid
    [[ -f $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    # guard against a recycled PID: the process must still be the program we started
    [[ -r /proc/$pid/comm && $(</proc/"$pid"/comm) == "$name" ]] || return 1
    echo "$pid"
}

node_state() { timeout 10 sinfo -h -N -o %t 2>/dev/null | head -n1; }

node_is_up() {
    local state
    state=$(node_state) || return 1
    # idle, or busy with jobs (mix/alloc/comp); a trailing * or ~ means not responding/powered down
    [[ $state =~ ^(idle|mix|alloc|comp)$ ]]
}

install_packages() {
    local missing=()
    command -v slurmctld >/dev/null || missing+=(slurmctld)
    command -v slurmd >/dev/null || missing+=(slurmd)
    command -v sinfo >/dev/null || missing+=(slurm-client)
    [[ -x /usr/sbin/munged ]] || missing+=(munge)
    ((${#missing[@]} == 0)) && return 0
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$STATE/apt.log" 2>&1; then
        # a fresh machine has no package lists yet
        apt-get update -qq >>"$STATE/apt.log" 2>&1 || true
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$STATE/apt.log" 2>&1 || {
            tail -n 20 "$STATE/apt.log" >&2
            die "could not install ${missing[*]} (full output: $STATE/apt.log)"
        }
    fi
}

# The node line of slurm.conf: topology as slurmd sees it, RealMemory capped.
node_line() {
    local host=$1 hw cpus topo mem_reported mem
    hw=$(slurmd -C 2>/dev/null | head -n1) || true
    cpus=$(nproc)
    topo="CPUs=$cpus"
    if [[ $hw =~ CPUs=([0-9]+).*Boards=([0-9]+).*SocketsPerBoard=([0-9]+).*CoresPerSocket=([0-9]+).*ThreadsPerCore=([0-9]+) ]]; then
        topo="CPUs=${BASH_REMATCH[1]} Boards=${BASH_REMATCH[2]} SocketsPerBoard=${BASH_REMATCH[3]}"
        topo+=" CoresPerSocket=${BASH_REMATCH[4]} ThreadsPerCore=${BASH_REMATCH[5]}"
    fi
    if [[ $hw =~ RealMemory=([0-9]+) ]]; then
        mem_reported=${BASH_REMATCH[1]}
    else
        mem_reported=$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo)
    fi
    # Leave 10% to the host (Snakemake itself runs here too); never above what slurmd sees.
    mem=${SLURM_CI_MEMORY_MB:-$((mem_reported * 9 / 10))}
    ((mem > 64000)) && [[ -z ${SLURM_CI_MEMORY_MB:-} ]] && mem=64000
    ((mem > mem_reported)) && mem=$mem_reported
    echo "NodeName=$host NodeAddr=127.0.0.1 $topo RealMemory=$mem State=UNKNOWN"
}

write_config() {
    local host
    host=$(hostname -s)
    [[ -n $host ]] || die "hostname -s printed nothing"
    if [[ -f $CONF ]] && ! grep -qF "$MARKER" "$CONF"; then
        die "$CONF exists and was not written by this script: refusing to replace a real cluster's configuration"
    fi
    mkdir -p /etc/slurm "$SPOOL/ctld" "$SPOOL/d" "$LOGDIR"
    # The config must be /etc/slurm/slurm.conf: the plugin's job step strips SLURM_*
    # variables, so a SLURM_CONF elsewhere is not seen by its inner srun.
    cat >"$CONF.tmp" <<EOF
$MARKER for tests and CI: a single-node cluster.
ClusterName=ci
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$SPOOL/ctld
SlurmdSpoolDir=$SPOOL/d
SlurmctldPidFile=$STATE/slurmctld.own.pid
SlurmdPidFile=$STATE/slurmd.own.pid
SlurmctldLogFile=$LOGDIR/slurmctld.log
SlurmdLogFile=$LOGDIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
# Allocate single CPUs (not whole cores) and memory: one job per CPU.
SelectTypeParameters=CR_CPU_Memory
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
# Finished jobs stay visible to squeue for 300 s (the plugin's squeue status needs >= 3x
# its init wait).
MinJobAge=300
$(node_line "$host")
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    mv "$CONF.tmp" "$CONF"
}

start_munged() {
    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        live_pid munged >/dev/null || say "munged already runs (not started by this script; left alone)"
        return 0
    fi
    if [[ ! -s /etc/munge/munge.key ]]; then
        say "creating /etc/munge/munge.key"
        if command -v mungekey >/dev/null; then
            mungekey --create --keyfile=/etc/munge/munge.key
        else
            dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
        fi
        chown munge:munge /etc/munge/munge.key
        chmod 0400 /etc/munge/munge.key
    fi
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
    # (9>&-: the daemons must not inherit the lock)
    # setpriv execs munged as the munge user, so $! is munged itself
    setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged -F \
        >"$STATE/munged.out" 2>&1 9>&- &
    echo $! >"$STATE/munged.pid"
    for _ in $(seq 50); do
        munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    fail_start "munged did not start (munge -n | unmunge fails)"
}

fail_start() {
    echo "slurm-cluster: error: $1" >&2
    local f
    for f in "$STATE/munged.out" "$STATE/slurmctld.out" "$STATE/slurmd.out" \
        "$LOGDIR/slurmctld.log" "$LOGDIR/slurmd.log"; do
        [[ -s $f ]] || continue
        echo "----- last lines of $f -----" >&2
        tail -n 25 "$f" >&2
    done
    echo "----- sinfo -----" >&2
    timeout 10 sinfo -N -l >&2 || true
    echo "slurm-cluster: stopping what this script started" >&2
    stop_daemons >&2
    exit 1
}

start_daemon() {  # name, then the command
    local name=$1
    shift
    if live_pid "$name" >/dev/null; then
        return 0
    fi
    "$@" >"$STATE/$name.out" 2>&1 9>&- &
    echo $! >"$STATE/$name.pid"
}

cmd_start() {
    require_root
    mkdir -p "$STATE"
    exec 9>"$STATE/lock"
    flock -w 120 9 || die "another start/stop holds $STATE/lock"
    if node_is_up; then
        if live_pid slurmctld >/dev/null && live_pid slurmd >/dev/null; then
            say "already running (node $(node_state)); started earlier by this script"
        else
            say "a SLURM cluster already answers (node $(node_state)); not started by this script, left alone"
        fi
        return 0
    fi
    install_packages
    write_config
    local t0=$SECONDS
    start_munged
    start_daemon slurmctld /usr/sbin/slurmctld -D
    start_daemon slurmd /usr/sbin/slurmd -D
    while ! node_is_up; do
        for name in slurmctld slurmd; do
            live_pid "$name" >/dev/null || fail_start "$name exited during start-up"
        done
        ((SECONDS - t0 < TIMEOUT)) || fail_start "node not idle after ${TIMEOUT}s (state: '$(node_state)')"
        sleep 0.3
    done
    say "running: node $(hostname -s) is $(node_state) after $((SECONDS - t0))s ($(grep ^NodeName "$CONF"))"
    say "PIDs: munged=$(live_pid munged || echo -) slurmctld=$(live_pid slurmctld) slurmd=$(live_pid slurmd); logs: $LOGDIR"
}

stop_daemons() {
    local name pid i stopped=0
    # jobs still on our cluster would outlive slurmd: cancel them first
    if live_pid slurmctld >/dev/null && [[ -n $(squeue -h -o %i 2>/dev/null) ]]; then
        say "cancelling the jobs still queued or running"
        squeue -h -o %i | xargs -r scancel || true
        for _ in $(seq 20); do
            [[ -z $(squeue -h -o %i 2>/dev/null) ]] && break
            sleep 0.5
        done
    fi
    for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do
        name=${DAEMONS[i]}
        if pid=$(live_pid "$name"); then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.2
            done
            if kill -0 "$pid" 2>/dev/null; then
                say "$name (PID $pid) ignored SIGTERM for 10s: SIGKILL"
                kill -KILL "$pid" 2>/dev/null || true
            fi
            say "stopped $name (PID $pid)"
            stopped=$((stopped + 1))
        fi
        rm -f "$STATE/$name.pid"
    done
    ((stopped > 0)) || say "nothing to stop (no daemon started by this script runs)"
}

cmd_stop() {
    require_root
    [[ -d $STATE ]] || { say "nothing to stop ($STATE does not exist)"; return 0; }
    exec 9>"$STATE/lock"
    flock -w 120 9 || die "another start/stop holds $STATE/lock"
    stop_daemons
}

cmd_status() {
    local name pid
    for name in "${DAEMONS[@]}"; do
        if pid=$(live_pid "$name"); then
            say "$name: running (PID $pid, started by this script)"
        else
            say "$name: not started by this script"
        fi
    done
    if node_is_up; then
        say "node: $(node_state)"
        return 0
    fi
    say "node: not up (sinfo: '$(node_state)')"
    return 3
}

case ${1:-} in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *)
        echo "usage: $0 start|stop|status" >&2
        exit 2
        ;;
esac
