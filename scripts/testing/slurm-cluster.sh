#!/usr/bin/env bash
# A one-node Slurm cluster on 127.0.0.1, for tests of `weir run --executor slurm`.
#
#   scripts/testing/slurm-cluster.sh install        # apt-get the daemons and clients (root)
#   scripts/testing/slurm-cluster.sh start DIR      # write DIR/slurm.conf, start munged,
#                                                   # slurmctld and slurmd, wait for the node
#   scripts/testing/slurm-cluster.sh stop DIR       # stop them by PID
#
# After `start`, point the clients at it with `export SLURM_CONF=DIR/slurm.conf`.
# It runs as root with no systemd: every daemon in the foreground as a background job of
# this script, its PID in DIR/*.pid, its log in DIR/*.log.
set -euo pipefail

command=${1:-}
dir=${2:-}

install() {
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null && command -v munged >/dev/null; then
        return
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    local seconds=$1 what=$2
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            echo "slurm-cluster: $what did not happen within ${seconds}s; logs in $dir" >&2
            tail -n 20 "$dir"/*.log >&2 || true
            return 1
        fi
        sleep 0.2
    done
}

start() {
    [[ -n $dir ]] || { echo "usage: $0 start DIR" >&2; exit 2; }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    # munged refuses a socket or key in a directory others may write.
    chmod 755 "$dir"
    mkdir -p "$dir/spool/ctld" "$dir/spool/d" "$dir/munge"
    chmod 755 "$dir/munge"
    local user
    user=$(id -un)
    local cpus
    cpus=$(nproc)
    local memory
    memory=$(awk '/MemTotal/ { print int($2 / 1024 * 0.8) }' /proc/meminfo)

    cat >"$dir/slurm.conf" <<EOF
ClusterName=weirtest
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=$user
SlurmdUser=root
SlurmctldPort=$(free_port 6817)
SlurmdPort=$(free_port 7818)
AuthType=auth/munge
CryptoType=crypto/munge
StateSaveLocation=$dir/spool/ctld
SlurmdSpoolDir=$dir/spool/d
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Without a default, every job would ask for the whole node's memory and run alone.
DefMemPerCPU=512
SchedulerParameters=batch_sched_delay=0
DependencyParameters=kill_invalid_depend
MinJobAge=3600
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.txt
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF=$dir/slurm.conf

    # The daemons outlive this script: they must not keep the caller's descriptors open, or a
    # caller waiting for this script's pipes or exit notice (Foundation's Process) waits forever.
    local fd
    for fd in /proc/$$/fd/*; do
        fd=${fd##*/}
        if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
    done

    mungekey --create --keyfile="$dir/munge/munge.key" --force >/dev/null 2>&1 || {
        dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    }
    chmod 400 "$dir/munge/munge.key"
    munged --foreground --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
        --pid-file="$dir/munge/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/munged.seed" >"$dir/munged.out" 2>&1 &
    echo $! >"$dir/munged.pid"
    wait_for 10 "munged start" test -S "$dir/munge/munge.socket" || { stop; exit 1; }

    # Slurm's munge plugin finds the socket through this file's AuthInfo line.
    sed -i "s|^AuthType=auth/munge|AuthType=auth/munge\nAuthInfo=socket=$dir/munge/munge.socket|" "$dir/slurm.conf"

    slurmctld -D -i -f "$dir/slurm.conf" >"$dir/slurmctld.out" 2>&1 &
    echo $! >"$dir/slurmctld.process"
    slurmd -D -N localhost -f "$dir/slurm.conf" >"$dir/slurmd.out" 2>&1 &
    echo $! >"$dir/slurmd.process"

    wait_for 30 "the node becoming idle" node_idle || { stop; exit 1; }
    echo "slurm-cluster: up; export SLURM_CONF=$dir/slurm.conf"
}

# A port from BASE upwards (random steps) that nothing listens on, so several clusters and
# leftovers of a killed one do not collide.
free_port() {
    local port
    for _ in $(seq 50); do
        port=$(($1 + RANDOM % 1000 * 2))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
    done
    echo "slurm-cluster: no free port above $1" >&2
    return 1
}

node_idle() {
    sinfo -h -N -o '%T' 2>/dev/null | grep -qx 'idle'
}

stop() {
    [[ -n $dir ]] || { echo "usage: $0 stop DIR" >&2; exit 2; }
    local file pid
    for file in slurmd.process slurmctld.process munged.pid; do
        [[ -f $dir/$file ]] || continue
        pid=$(cat "$dir/$file")
        kill "$pid" 2>/dev/null || true
    done
    for file in slurmd.process slurmctld.process munged.pid; do
        [[ -f $dir/$file ]] || continue
        pid=$(cat "$dir/$file")
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$dir/$file"
    done
}

case $command in
    install) install ;;
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 install | start DIR | stop DIR" >&2; exit 2 ;;
esac
